-- JWT_KEYS=managed: the signing keys of every server process on this database. `generation`
-- orders the keys (a rotation inserts max + 1, so two processes rotating at once collide on the
-- primary key and one of them wins); `kid` is the RFC 7638 thumbprint; the private key is sealed
-- under KEYS_ENCRYPTION_SECRET (never in clear); times are unix seconds. A key is published from
-- `created_at`, signs from `signs_from`, and is deleted once no token it signed can be live.
CREATE TABLE {{prefix}}signing_key (
  generation BIGINT NOT NULL,
  kid VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  algorithm VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  public_pem TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  private_sealed TEXT CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at BIGINT NOT NULL,
  signs_from BIGINT NOT NULL,
  PRIMARY KEY (generation),
  UNIQUE KEY uq_{{prefix}}signing_key_kid (kid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
