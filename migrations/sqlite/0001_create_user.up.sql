-- The tutorial's user table (Alembic revision e176fc408bdb), unchanged, so that its clients and
-- its data carry over. Timestamps are UTC 'YYYY-MM-DD HH:MM:SS', written by the application.
CREATE TABLE {{prefix}}user (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL UNIQUE,
  password VARCHAR(255) NOT NULL,
  photo VARCHAR(255),
  verified BOOLEAN NOT NULL DEFAULT 0,
  role VARCHAR(255) NOT NULL DEFAULT 'user',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX ix_{{prefix}}user_id ON {{prefix}}user (id);
