DROP INDEX ix_{{prefix}}user_id ON {{prefix}}user;
DROP TABLE {{prefix}}user;
