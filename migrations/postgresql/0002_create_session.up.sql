-- Server-side sessions: one row per login; access tokens carry its id as `sid`.
-- Times are unix seconds (UTC). Ids and token hashes are ASCII compared and sorted byte for byte
-- (COLLATE "C", as ascii_bin on MySQL): session ids are base64url, where 'a' and 'A' differ.
CREATE TABLE {{prefix}}session (
  id VARCHAR(32) COLLATE "C" NOT NULL,
  user_id INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT NULL,
  revoke_reason VARCHAR(32) NULL,
  user_agent VARCHAR(512) NOT NULL DEFAULT '',
  ip VARCHAR(64) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  CONSTRAINT fk_{{prefix}}session_user_id FOREIGN KEY (user_id)
    REFERENCES {{prefix}}user (id) ON DELETE CASCADE
);
CREATE INDEX ix_{{prefix}}session_user_id ON {{prefix}}session (user_id);
CREATE INDEX ix_{{prefix}}session_expires_at ON {{prefix}}session (expires_at);

-- Every refresh token a session was given, by SHA-256 (hex) of the token: the current one has
-- retired_at NULL; retired ones stay until the session is swept, so a replay is recognised.
-- Hashes are VARCHAR(64), not CHAR(64) as on MySQL: PostgreSQL's CHAR keeps its padding when
-- read, MySQL's drops it.
CREATE TABLE {{prefix}}refresh_token (
  token_hash VARCHAR(64) COLLATE "C" NOT NULL,
  session_id VARCHAR(32) COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  retired_at BIGINT NULL,
  PRIMARY KEY (token_hash),
  CONSTRAINT fk_{{prefix}}refresh_token_session_id FOREIGN KEY (session_id)
    REFERENCES {{prefix}}session (id) ON DELETE CASCADE
);
CREATE INDEX ix_{{prefix}}refresh_token_session_id ON {{prefix}}refresh_token (session_id);
