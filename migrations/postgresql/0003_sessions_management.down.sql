DROP TABLE {{prefix}}throttle;
DROP INDEX ix_{{prefix}}refresh_token_parent_hash;
ALTER TABLE {{prefix}}refresh_token
  DROP COLUMN sealed,
  DROP COLUMN parent_hash;
