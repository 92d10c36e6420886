-- Accounts an admin disabled: one row per disabled account, deleted when it is enabled again. A
-- table of its own, so the tutorial's user table stays unchanged (its app keeps reading it).
-- disabled_by is the acting admin (NULL: an operator at the command line); times unix seconds.
CREATE TABLE {{prefix}}disabled_user (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES {{prefix}}user (id) ON DELETE CASCADE,
  disabled_at INTEGER NOT NULL,
  disabled_by INTEGER NULL
);
