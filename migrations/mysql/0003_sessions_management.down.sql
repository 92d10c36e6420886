DROP TABLE {{prefix}}throttle;
ALTER TABLE {{prefix}}refresh_token
  DROP INDEX ix_{{prefix}}refresh_token_parent_hash,
  DROP COLUMN sealed,
  DROP COLUMN parent_hash;
