-- The tutorial's user table (Alembic revision e176fc408bdb), column for column, so that its
-- clients and its data carry over; a database made by the tutorial is adopted without running
-- this file. created_at/updated_at are UTC (every Gatehouse session runs with time_zone '+00:00')
-- and written by the application.
CREATE TABLE {{prefix}}user (
  id INT NOT NULL AUTO_INCREMENT,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL,
  password VARCHAR(255) NOT NULL,
  photo VARCHAR(255) NULL,
  verified BOOL NOT NULL DEFAULT false,
  role VARCHAR(255) NOT NULL DEFAULT 'user',
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE INDEX ix_{{prefix}}user_id ON {{prefix}}user (id);
