DROP TABLE {{prefix}}disabled_user;
