-- Up Migration
-- Enrollment and key rotation (issue 11 finding 5; contract/enrollment.ts, backoffice/kiosk-keys.ts).
-- Tokens are kept as their SHA-256 only and used at most once (used_at set by a conditional UPDATE).
-- A kiosk has at most one active and one pending key (partial unique indexes); retired and revoked
-- keys stay for the audit trail. Distribution: every table starts with kiosk_id or is tiny.

CREATE TABLE enrollment_tokens (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  kiosk_id text NOT NULL CHECK (kiosk_id ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$'),
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  CHECK (expires_at > issued_at)
);
CREATE INDEX enrollment_tokens_open ON enrollment_tokens (kiosk_id) WHERE used_at IS NULL AND revoked_at IS NULL;

CREATE TABLE kiosks (
  kiosk_id text PRIMARY KEY CHECK (kiosk_id ~ '^[A-Za-z0-9][A-Za-z0-9-]{0,31}$'),
  last_key_id integer NOT NULL CHECK (last_key_id >= 0),
  enrolled_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE TABLE kiosk_keys (
  kiosk_id text NOT NULL REFERENCES kiosks (kiosk_id),
  key_id integer NOT NULL CHECK (key_id > 0),
  secret text NOT NULL CHECK (secret ~ '^[0-9a-f]{64}$'),
  state text NOT NULL CHECK (state IN ('active', 'pending', 'retired', 'revoked')),
  created_at timestamptz NOT NULL,
  confirmed_at timestamptz,
  ended_at timestamptz,
  PRIMARY KEY (kiosk_id, key_id)
);
CREATE UNIQUE INDEX kiosk_keys_one_active ON kiosk_keys (kiosk_id) WHERE state = 'active';
CREATE UNIQUE INDEX kiosk_keys_one_pending ON kiosk_keys (kiosk_id) WHERE state = 'pending';

-- Down Migration
DROP TABLE kiosk_keys;
DROP TABLE kiosks;
DROP TABLE enrollment_tokens;
