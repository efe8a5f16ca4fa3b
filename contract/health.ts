/**
 * The kiosk's health as every side sees it (issue 13): what each part reports, and what the kiosk
 * may offer now. Decided by main/health/health-model.ts; the session machine takes the
 * `Availability` (it never sees a driver), `/health` and the fleet heartbeat report the whole
 * `HealthReport`. Plain data.
 */

/** Why the kiosk is out of service (technical reasons; the traveller only reads "out of order"). */
export type OutOfServiceReason = 'card-reader' | 'journal-unwritable' | 'journal-chain' | 'blocked-list-stale' | 'technician';

/** Why an option a card would get is not offered now (the menu says so). */
export type NotOfferedReason = 'payment-terminal' | 'backoffice' | 'journal-unavailable';

/** What the session may offer now. */
export interface Availability {
  /** Empty: in service. Any reason: the start screen says "out of order" and takes no card. */
  outOfService: OutOfServiceReason[];
  /** null: top-up is offered; otherwise why not. */
  topUp: NotOfferedReason | null;
  /** null: collecting orders is offered; otherwise why not. */
  collectOrders: NotOfferedReason | null;
}

export const FULL_SERVICE: Availability = { outOfService: [], topUp: null, collectOrders: null };

/** One part's state as last observed. */
export interface PartHealth {
  ok: boolean;
  /** Short, privacy-safe detail (driver state, error code). */
  detail?: string;
  /** When this part's `ok` last changed (ISO), or when it was first observed. */
  since: string;
  /** When it was last checked (ISO). */
  checkedAt?: string;
}

export interface HealthReport {
  availability: Availability;
  parts: {
    cardReader: PartHealth & { readerName?: string };
    paymentTerminal: PartHealth & { state?: string };
    journal: PartHealth & { writable: boolean; chainOk: boolean; freeBytes?: number };
    backOffice: PartHealth & { lastContact?: string };
    blockedList: PartHealth & { version?: number; ageMs?: number };
    /** Issue 13: the technician list synced from the back office (ok: one is held); reported only, it
     * decides nothing a traveller is offered. */
    technicianList?: PartHealth & { version?: number; ageMs?: number };
  };
  /** Faults a tester switched on (emulated/wire only), so a report never hides them. */
  testerFaults: string[];
}
