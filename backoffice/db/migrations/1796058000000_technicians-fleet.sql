-- Up Migration
-- Technicians and the fleet view (issue 13; backoffice/technicians.ts, backoffice/fleet.ts). The
-- same tables as the SQLite store's migration 4 (store.ts): times are ISO text and flags 0/1
-- integers in both, so one set of queries runs on either store. Keys are led by what a query
-- looks up: the technician id, the kiosk id.

-- One row per technician: the argon2id hash of their PIN (never the PIN), their roles, revoked or
-- not, and the list version of their last change.
CREATE TABLE technicians (
  technician_id text PRIMARY KEY CHECK (technician_id ~ '^[A-Za-z0-9_-]{1,40}$'),
  pin_hash text NOT NULL CHECK (pin_hash LIKE '$argon2id$%'),
  roles text NOT NULL,
  revoked integer NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  version bigint NOT NULL,
  updated_at text NOT NULL,
  updated_by text NOT NULL
);

-- The list version: one row, raised by every change (its row lock orders concurrent changes), so
-- it only grows.
CREATE TABLE technician_list (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
INSERT INTO technician_list (id, version) VALUES (1, 0);

-- The audit trail: who issued or revoked whom, when.
CREATE TABLE technician_events (
  technician_id text NOT NULL,
  at text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL CHECK (action IN ('issued', 'revoked')),
  version bigint NOT NULL
);
CREATE INDEX technician_events_technician ON technician_events (technician_id, at);

-- The latest heartbeat per kiosk.
CREATE TABLE kiosk_heartbeats (
  kiosk_id text PRIMARY KEY,
  received_at text NOT NULL,
  sent_at text NOT NULL,
  out_of_service text NOT NULL,
  pending bigint NOT NULL,
  oldest_pending_at text,
  report text NOT NULL
);

-- The maintenance actions kiosks journaled (fleet page).
CREATE INDEX journal_records_maintenance ON journal_records (at) WHERE type = 'maintenance.action';

-- Down Migration
DROP INDEX journal_records_maintenance;
DROP TABLE kiosk_heartbeats;
DROP TABLE technician_events;
DROP TABLE technician_list;
DROP TABLE technicians;
