DROP TABLE {{prefix}}refresh_token;
DROP TABLE {{prefix}}session;
