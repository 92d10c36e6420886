-- Refresh-token families and rate limits.
-- parent_hash links each refresh token to the one it replaced, so a concurrent refresh with the
-- parent inside the grace interval is told apart from a replay; sealed is the token encrypted with
-- a key only the server holds, so that grace answer can hand out the current token.
ALTER TABLE {{prefix}}refresh_token
  ADD COLUMN parent_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN sealed VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD INDEX ix_{{prefix}}refresh_token_parent_hash (parent_hash);

-- Brute-force counters (per account and per client address), keyed by a hash; times unix seconds.
CREATE TABLE {{prefix}}throttle (
  throttle_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  window_start BIGINT NOT NULL,
  window_count BIGINT NOT NULL,
  consecutive BIGINT NOT NULL,
  blocked_until BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (throttle_key),
  INDEX ix_{{prefix}}throttle_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
