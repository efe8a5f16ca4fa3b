-- Up Migration
-- Order loads whose outcome the kiosk could not know (issue 12: the orders crash table's card-absent
-- cases): `card.write-failed {orderId, uncertain}`. The order stays pending; a card read that shows
-- the order's ref on its card settles it as collected ("on card"), and a later real load of an order
-- so settled opens `loaded-twice` (backoffice/reconciliation.ts). The same table as the SQLite
-- store's migration 5 (store.ts).
CREATE TABLE recon_uncertain_loads (
  order_id text NOT NULL,
  kiosk_id text NOT NULL,
  operation_id text NOT NULL,
  card_hash text NOT NULL,
  ref text NOT NULL,
  at text NOT NULL,
  PRIMARY KEY (order_id, kiosk_id, operation_id)
);
CREATE INDEX recon_uncertain_loads_ref ON recon_uncertain_loads (ref);

-- Down Migration
DROP TABLE recon_uncertain_loads;
