-- Refresh-token families and rate limits.
-- parent_hash links each refresh token to the one it replaced, so a concurrent refresh with the
-- parent inside the grace interval is told apart from a replay; sealed is the token encrypted with
-- a key only the server holds, so that grace answer can hand out the current token.
ALTER TABLE {{prefix}}refresh_token
  ADD COLUMN parent_hash VARCHAR(64) COLLATE "C" NULL,
  ADD COLUMN sealed VARCHAR(255) COLLATE "C" NULL;
CREATE INDEX ix_{{prefix}}refresh_token_parent_hash ON {{prefix}}refresh_token (parent_hash);

-- Brute-force counters (per account and per client address), keyed by a hash; times unix seconds.
CREATE TABLE {{prefix}}throttle (
  throttle_key VARCHAR(64) COLLATE "C" NOT NULL,
  window_start BIGINT NOT NULL,
  window_count BIGINT NOT NULL,
  consecutive BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (throttle_key)
);
CREATE INDEX ix_{{prefix}}throttle_updated_at ON {{prefix}}throttle (updated_at);
