-- The audit trail: one row per security event (a login and its failure with the reason, a
-- registration, a lockout, a replayed refresh token, a logout and its scope, a session ended, a
-- password changed or reset, an e-mail verified or changed, an admin's action), with who, from
-- where and when. Written in the transaction of the change it records where there is one; rows
-- older than AUDIT_RETENTION_DAYS are deleted by the sweeper. No foreign key: the trail of an
-- account outlives the account. `email` is the account's address at the time (for a failed login
-- the address tried); `actor_id` the admin who acted on someone else's account; times are unix
-- seconds.
CREATE TABLE {{prefix}}audit_event (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  event VARCHAR(32) NOT NULL,
  user_id INTEGER NULL,
  session_id VARCHAR(64) NULL,
  email VARCHAR(255) NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  user_agent VARCHAR(512) NOT NULL DEFAULT '',
  detail VARCHAR(255) NOT NULL DEFAULT '',
  actor_id INTEGER NULL
);
CREATE INDEX ix_{{prefix}}audit_event_user_id ON {{prefix}}audit_event (user_id, id);
CREATE INDEX ix_{{prefix}}audit_event_email ON {{prefix}}audit_event (email, id);
CREATE INDEX ix_{{prefix}}audit_event_at ON {{prefix}}audit_event (at);
