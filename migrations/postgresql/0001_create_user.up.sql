-- The tutorial's user table (Alembic revision e176fc408bdb), column for column as SQLAlchemy
-- creates it on PostgreSQL (Integer primary key: SERIAL; TIMESTAMP(timezone=True): TIMESTAMPTZ;
-- the constraints' default names {{prefix}}user_pkey and {{prefix}}user_email_key), so that its
-- clients and its data carry over. Times are written by the application in UTC; Gatehouse
-- sessions run with TIME ZONE 'UTC', so they read back as '... +00'.
-- Names are unquoted, as in the store's SQL: with an empty DATABASE_PREFIX the table would be
-- named `user`, a reserved word in PostgreSQL.
CREATE TABLE {{prefix}}user (
  id SERIAL NOT NULL,
  name VARCHAR(255) NOT NULL,
  email VARCHAR(255) NOT NULL,
  password VARCHAR(255) NOT NULL,
  photo VARCHAR(255) NULL,
  verified BOOLEAN NOT NULL DEFAULT false,
  role VARCHAR(255) NOT NULL DEFAULT 'user',
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (email)
);
CREATE INDEX ix_{{prefix}}user_id ON {{prefix}}user (id);
