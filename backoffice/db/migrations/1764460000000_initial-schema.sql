-- Up Migration
-- The back office's schema, run by node-pg-migrate (backoffice/db/migrate.ts) against PostgreSQL
-- and against the embedded engine (PGlite) alike.
--
-- Distribution (backoffice/README.md "Scaling out"): every table that grows with the fleet carries
-- kiosk_id and its keys start with it, so on a sharded PostgreSQL (Citus) they become distributed
-- tables on kiosk_id and one kiosk's intake stays on one shard. cards, orders and blocked_changes
-- grow with customers, not with kiosks: reference tables.

CREATE TABLE cards (
  card_number text PRIMARY KEY CHECK (card_number ~ '^\d{16}$'),
  kind text NOT NULL CHECK (kind IN ('personal', 'anonymous', 'business')),
  replaced_by text
);
CREATE INDEX cards_replaced_by ON cards (replaced_by) WHERE replaced_by IS NOT NULL;

CREATE TABLE orders (
  order_id text PRIMARY KEY,
  card_number text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('kaartservicecode', 'ns-extra', 'product')),
  announced_on date NOT NULL,
  amount_cents integer CHECK (amount_cents IS NULL OR amount_cents > 0),
  product jsonb,
  collected_at timestamptz,
  collected_kiosk text,
  collected_operation text
);
CREATE INDEX orders_card_pending ON orders (card_number, announced_on, order_id) WHERE collected_at IS NULL;

-- The blocked list as numbered changes. Versions are handed out under a table lock in the writing
-- transaction (not by a sequence), so they become visible in version order: a kiosk that has seen
-- version N never later finds an N-1 it skipped.
CREATE TABLE blocked_changes (
  version bigint PRIMARY KEY CHECK (version > 0),
  card_number text NOT NULL,
  blocked boolean NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX blocked_changes_card ON blocked_changes (card_number, version DESC);

-- Per kiosk: how far its journal has arrived without a gap. Its row is the kiosk's intake lock
-- (SELECT ... FOR UPDATE), so two back-office processes never interleave one kiosk's batches.
CREATE TABLE kiosk_state (
  kiosk_id text PRIMARY KEY,
  contiguous_seq bigint NOT NULL DEFAULT 0,
  max_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Delivered journal records, partitioned by month of the record's own time (`at`, part of its
-- signed content, so a resent record lands in the same partition and meets its first copy).
-- Retention drops a month's partition. Partitions are created on demand (journal_partition_for).
CREATE TABLE journal_records (
  kiosk_id text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  at timestamptz NOT NULL,
  hash text NOT NULL,
  prev_hash text NOT NULL,
  type text NOT NULL,
  operation_id text NOT NULL,
  amount_cents bigint,
  card_hash text,
  card_last4 text,
  data jsonb,
  at_text text NOT NULL,
  hmac text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (kiosk_id, seq, at)
) PARTITION BY RANGE (at);

-- Idempotent and safe to call from several processes at once: the advisory lock serialises
-- creators, and one that still finds the partition made meanwhile (its catalog view may be older
-- than the lock) takes that as done.
CREATE FUNCTION journal_partition_for(t timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  month_start timestamptz := date_trunc('month', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  name text := 'journal_records_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('journal_partition'));
    IF to_regclass(name) IS NULL THEN
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF journal_records FOR VALUES FROM (%L) TO (%L)',
          name, month_start, month_start + interval '1 month');
      EXCEPTION WHEN duplicate_table OR unique_violation THEN
        NULL;
      END;
    END IF;
  END IF;
  RETURN name;
END $$;

CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);

-- Down Migration
DROP TABLE meta;
DROP FUNCTION journal_partition_for(timestamptz);
DROP TABLE journal_records;
DROP TABLE kiosk_state;
DROP TABLE blocked_changes;
DROP TABLE orders;
DROP TABLE cards;
