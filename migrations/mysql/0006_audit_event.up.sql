-- The audit trail: one row per security event (a login and its failure with the reason, a
-- registration, a lockout, a replayed refresh token, a logout and its scope, a session ended, a
-- password changed or reset, an e-mail verified or changed, an admin's action), with who, from
-- where and when. Written in the transaction of the change it records where there is one; rows
-- older than AUDIT_RETENTION_DAYS are deleted by the sweeper. No foreign key: the trail of an
-- account outlives the account. `email` is the account's address at the time (for a failed login
-- the address tried); `actor_id` the admin who acted on someone else's account; times are unix
-- seconds.
CREATE TABLE {{prefix}}audit_event (
  id BIGINT NOT NULL AUTO_INCREMENT,
  at BIGINT NOT NULL,
  event VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id INT NULL,
  session_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  email VARCHAR(255) NULL,
  ip VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  user_agent VARCHAR(512) NOT NULL DEFAULT '',
  detail VARCHAR(255) NOT NULL DEFAULT '',
  actor_id INT NULL,
  PRIMARY KEY (id),
  INDEX ix_{{prefix}}audit_event_user_id (user_id, id),
  INDEX ix_{{prefix}}audit_event_email (email, id),
  INDEX ix_{{prefix}}audit_event_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
