-- The account lifecycle over mail (e-mail verification, password reset, e-mail change).

-- One-time proofs sent by mail. The link's token and the 6-digit code are stored only as keyed
-- hashes (hex); `email` is where the mail went (the new address for change_email); times are unix
-- seconds. A row is deleted when it is used.
CREATE TABLE {{prefix}}account_token (
  token_hash CHAR(64) PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES {{prefix}}user (id) ON DELETE CASCADE,
  purpose VARCHAR(16) NOT NULL,
  code_hash CHAR(64) NOT NULL,
  email VARCHAR(255) NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  failed_codes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_{{prefix}}account_token_user_id ON {{prefix}}account_token (user_id, purpose);
CREATE INDEX ix_{{prefix}}account_token_email ON {{prefix}}account_token (email);
CREATE INDEX ix_{{prefix}}account_token_expires_at ON {{prefix}}account_token (expires_at);

-- Mail waiting to be sent (and, for a while, mail sent or dropped: done_at, outcome), written in
-- the transaction of what it announces and delivered by the background sender. `secret` is the link token and code sealed
-- with a server key (never in clear in the database); a sender claims a row (claimed_by,
-- claimed_until) before it sends, so several processes never send one mail twice.
CREATE TABLE {{prefix}}outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind VARCHAR(32) NOT NULL,
  recipient VARCHAR(255) NOT NULL,
  user_id INTEGER NULL,
  secret VARCHAR(1024) NULL,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by VARCHAR(64) NULL,
  claimed_until INTEGER NULL,
  done_at INTEGER NULL,
  outcome VARCHAR(16) NULL,
  last_error VARCHAR(255) NULL
);
CREATE INDEX ix_{{prefix}}outbox_next_attempt_at ON {{prefix}}outbox (done_at, next_attempt_at);
