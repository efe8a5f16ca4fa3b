/** What the back office's routes need of a store, whichever engine is under it (pg-store.ts on
 * PostgreSQL or PGlite; store.ts on SQLite behind an async adapter). */
import type { JournalRecord } from '../../contract/journal-record.js';
import type { SecretKey } from '../../contract/record-crypto.js';
import type { IntakeResponseDto, PendingOrder } from '../../contract/backoffice-api.js';
import type { CardKind } from '../../contract/card.js';
import type { Db } from './engine.js';
import type { IntakeKeys, KioskKeyStore } from '../kiosk-keys.js';
import type { Reconciliation } from '../reconciliation.js';
import type { TechnicianStore } from '../technicians.js';
import type { FleetStore } from '../fleet.js';

export type CollectOutcome =
  | { ok: true; alreadyCollected: boolean }
  | { ok: false; error: 'unknown-order' | 'wrong-card' | 'not-loadable' | 'already-collected' | 'card-blocked'; message: string };

export interface IntakeStatusDto {
  contiguousSeq: number;
  maxSeq: number;
  gaps: { from: number; to: number }[];
}

export interface JournalRow {
  seq: number;
  type: string;
  operationId: string;
  hash: string;
  amountCents: number | null;
}

/** The store as the HTTP layer uses it: every call may wait for the database. */
export interface AsyncBackOfficeStore {
  pendingOrders(cardNumber: string): Promise<PendingOrder[]>;
  collect(orderId: string, cardNumber: string, kioskId: string, operationId: string): Promise<CollectOutcome>;
  blockedChanges(since: number, limit: number): Promise<{ version: number; cardNumber: string; blocked: boolean }[]>;
  blockedVersion(): Promise<number>;
  isBlocked(cardNumber: string): Promise<boolean>;
  setBlocked(cardNumber: string, blocked: boolean): Promise<number>;
  addCard(cardNumber: string, kind: CardKind, replacedBy?: string): Promise<void>;
  addOrder(order: PendingOrder & { cardNumber: string }): Promise<void>;
  /** `keys`: the kiosk's intake keys (kiosk-keys.ts intakeKeysOf), or a bare secret = its original key. */
  intake(kioskId: string, keys: SecretKey | IntakeKeys, records: JournalRecord[]): Promise<IntakeResponseDto>;
  intakeStatus(kioskId: string): Promise<IntakeStatusDto>;
  journalRecords(kioskId: string): Promise<JournalRow[]>;
  order(orderId: string): Promise<{ collected: boolean; collectedOperation: string | null } | undefined>;
  restoreFixtureOrders(): Promise<number>;
  /** Enrollment tokens and enrolled kiosks' keys (../kiosk-keys.ts). */
  readonly keys: KioskKeyStore;
  /** Reconciliation and pending credits (issue 12, backoffice/reconciliation.ts). */
  readonly recon: Reconciliation;
  /** Technicians and their list (issue 13, ../technicians.ts). */
  readonly technicians: TechnicianStore;
  /** Heartbeats and the fleet view (issue 13, ../fleet.ts). */
  readonly fleet: FleetStore;
  close(): Promise<void>;
}

export interface PgStore extends AsyncBackOfficeStore {
  readonly db: Db;
  /** Total journal records and the bytes of the journal partitions (benchmarks). */
  journalSize(): Promise<{ records: number; bytes: number; partitions: string[] }>;
}
