-- Accounts an admin disabled: one row per disabled account, deleted when it is enabled again. A
-- table of its own, so the tutorial's user table stays unchanged (its app keeps reading it).
-- disabled_by is the acting admin (NULL: an operator at the command line); times unix seconds.
CREATE TABLE {{prefix}}disabled_user (
  user_id INT NOT NULL,
  disabled_at BIGINT NOT NULL,
  disabled_by INT NULL,
  PRIMARY KEY (user_id),
  CONSTRAINT fk_{{prefix}}disabled_user_user_id FOREIGN KEY (user_id)
    REFERENCES {{prefix}}user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
