DROP INDEX ix_{{prefix}}user_id;
DROP TABLE {{prefix}}user;
