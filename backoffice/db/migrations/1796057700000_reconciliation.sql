-- Up Migration
-- Reconciliation (issue 12, backoffice/reconciliation.ts): what the journals say of each payment
-- and load, the credit refs cards were seen holding, pending credits, and the cases an operator
-- settles (with their audit trail). The same tables as the SQLite store's migration 2 (store.ts):
-- times are ISO text and flags 0/1 integers in both, so reconciliation.ts runs one set of queries.

-- A pending credit is served to its card as an order: it is loaded under the payment's own ref.
ALTER TABLE orders ADD COLUMN credit_ref text;

-- Per kiosk: up to which seq its stored records have been reconciled (the row is also the lock
-- that serialises two processes reconciling one kiosk).
CREATE TABLE recon_cursor (kiosk_id text PRIMARY KEY, seq bigint NOT NULL DEFAULT 0);

-- One row per payment operation of a kiosk (operation_id = payment id).
CREATE TABLE recon_payments (
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  ref text NOT NULL,
  card_hash text,
  card_last4 text,
  amount_cents bigint,
  first_at text NOT NULL,
  approved integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  committed integer NOT NULL DEFAULT 0,
  reversed integer NOT NULL DEFAULT 0,
  reversed_credited integer NOT NULL DEFAULT 0,
  refund_owed integer NOT NULL DEFAULT 0,
  credit_pending integer NOT NULL DEFAULT 0,
  written integer NOT NULL DEFAULT 0,
  write_uncertain integer NOT NULL DEFAULT 0,
  PRIMARY KEY (kiosk_id, operation_id)
);
CREATE INDEX recon_payments_ref ON recon_payments (ref);

-- Card writes that loaded an order (a real write, not one found on the card already).
CREATE TABLE recon_loads (
  order_id text NOT NULL,
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  card_last4 text,
  amount_cents bigint,
  at text NOT NULL,
  PRIMARY KEY (order_id, kiosk_id, operation_id)
);

-- The credit refs a card was seen holding, under the keyed card hash of the kiosk that read it.
CREATE TABLE recon_refs_seen (
  kiosk_id text NOT NULL,
  card_hash text NOT NULL,
  ref text NOT NULL,
  first_seen_at text NOT NULL,
  PRIMARY KEY (kiosk_id, card_hash, ref)
);
CREATE INDEX recon_refs_seen_ref ON recon_refs_seen (ref);

-- Pending credits: state pending -> bound (its card number learnt at a tap; an order row exists)
-- -> on-card (a card read showed the ref: settled without loading). Loaded = its order collected.
CREATE TABLE recon_credits (
  order_id text PRIMARY KEY,
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  card_hash text NOT NULL,
  card_last4 text NOT NULL,
  ref text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  created_at text NOT NULL,
  card_number text,
  on_card_at text,
  UNIQUE (kiosk_id, operation_id)
);
CREATE INDEX recon_credits_ref ON recon_credits (ref);
CREATE INDEX recon_credits_unbound ON recon_credits (kiosk_id) WHERE card_number IS NULL AND on_card_at IS NULL;

CREATE TABLE recon_cases (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('credited-not-paid', 'paid-not-credited', 'refund-owed', 'loaded-twice')),
  subject text NOT NULL,
  kiosk_id text NOT NULL,
  operation_id text,
  order_id text,
  card_last4 text,
  ref text,
  amount_cents bigint,
  state text NOT NULL CHECK (state IN ('open', 'settled-by-credit', 'refunded', 'written-off')),
  detail text NOT NULL,
  opened_at text NOT NULL,
  updated_at text NOT NULL,
  UNIQUE (kind, subject)
);
CREATE INDEX recon_cases_state ON recon_cases (state, id);

-- The audit trail: every opening and every transition, by whom.
CREATE TABLE recon_case_events (
  case_id bigint NOT NULL REFERENCES recon_cases (id),
  at text NOT NULL,
  actor text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  note text NOT NULL
);
CREATE INDEX recon_case_events_case ON recon_case_events (case_id);

-- Down Migration
DROP TABLE recon_case_events;
DROP TABLE recon_cases;
DROP TABLE recon_credits;
DROP TABLE recon_refs_seen;
DROP TABLE recon_loads;
DROP TABLE recon_payments;
DROP TABLE recon_cursor;
ALTER TABLE orders DROP COLUMN credit_ref;
