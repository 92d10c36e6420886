DROP TABLE {{prefix}}signing_key;
