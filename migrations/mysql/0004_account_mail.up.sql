-- The account lifecycle over mail (e-mail verification, password reset, e-mail change).

-- One-time proofs sent by mail. The link's token and the 6-digit code are stored only as keyed
-- hashes (hex); `email` is where the mail went (the new address for change_email); times are unix
-- seconds. A row is deleted when it is used.
CREATE TABLE {{prefix}}account_token (
  token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id INT NOT NULL,
  purpose VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  code_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  email VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  failed_codes INT NOT NULL DEFAULT 0,
  PRIMARY KEY (token_hash),
  INDEX ix_{{prefix}}account_token_user_id (user_id, purpose),
  INDEX ix_{{prefix}}account_token_email (email),
  INDEX ix_{{prefix}}account_token_expires_at (expires_at),
  CONSTRAINT fk_{{prefix}}account_token_user_id FOREIGN KEY (user_id)
    REFERENCES {{prefix}}user (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;

-- Mail waiting to be sent (and, for a while, mail sent or dropped: done_at, outcome), written in
-- the transaction of what it announces and delivered by the background sender. `secret` is the link token and code sealed
-- with a server key (never in clear in the database); a sender claims a row (claimed_by,
-- claimed_until) before it sends, so several processes never send one mail twice.
CREATE TABLE {{prefix}}outbox (
  id BIGINT NOT NULL AUTO_INCREMENT,
  kind VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  recipient VARCHAR(255) NOT NULL,
  user_id INT NULL,
  secret VARCHAR(1024) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  claimed_by VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  claimed_until BIGINT NULL,
  done_at BIGINT NULL,
  outcome VARCHAR(16) NULL,
  last_error VARCHAR(255) NULL,
  PRIMARY KEY (id),
  INDEX ix_{{prefix}}outbox_next_attempt_at (done_at, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
