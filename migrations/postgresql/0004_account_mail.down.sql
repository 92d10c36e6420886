DROP TABLE {{prefix}}outbox;
DROP TABLE {{prefix}}account_token;
