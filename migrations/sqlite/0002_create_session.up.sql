-- Server-side sessions: one row per login; access tokens carry its id as `sid`.
-- Times are unix seconds (UTC).
CREATE TABLE {{prefix}}session (
  id VARCHAR(32) PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES {{prefix}}user (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  revoke_reason VARCHAR(32),
  user_agent VARCHAR(512) NOT NULL DEFAULT '',
  ip VARCHAR(64) NOT NULL DEFAULT ''
);
CREATE INDEX ix_{{prefix}}session_user_id ON {{prefix}}session (user_id);
CREATE INDEX ix_{{prefix}}session_expires_at ON {{prefix}}session (expires_at);

-- Every refresh token a session was given, by SHA-256 (hex) of the token: the current one has
-- retired_at NULL; retired ones stay until the session is swept, so a replay is recognised.
CREATE TABLE {{prefix}}refresh_token (
  token_hash CHAR(64) PRIMARY KEY,
  session_id VARCHAR(32) NOT NULL REFERENCES {{prefix}}session (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  retired_at INTEGER
);
CREATE INDEX ix_{{prefix}}refresh_token_session_id ON {{prefix}}refresh_token (session_id);
