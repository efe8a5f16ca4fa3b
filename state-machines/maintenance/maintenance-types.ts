/**
 * What the maintenance machine exchanges with the runtime (issue 13). Pure types: the runtime
 * provides the actors (credential check, PIN check, the dashboard's actions) with `provide`.
 */

/** Dashboard actions a technician can run; each is journaled as `maintenance.action`. */
export const MAINTENANCE_ACTIONS = [
  'reader-test-read',
  'terminal-status',
  'terminal-diagnosis',
  'terminal-register',
  'terminal-end-of-day',
  'journal-verify',
  'upload-now',
  'backoffice-check',
  'out-of-service',
  'back-in-service',
  /** Issue 11: rotate the kiosk's key with the back office (main/backoffice-client/key-ring.ts). */
  'rotate-key',
] as const;
export type MaintenanceAction = (typeof MAINTENANCE_ACTIONS)[number];

export interface Technician {
  technicianId: string;
  roles: string[];
  /** ISO date-time the credential stops being valid. */
  expiresAt: string;
}

// ---- actor: verifyCredential (fromPromise) --------------------------------------------------
export interface VerifyCredentialInput {
  /** The credential as read from the card (signed token), and the card's UID it is bound to. */
  credential: string;
  uid: string;
}
export type CredentialRefusal = 'forged' | 'expired' | 'revoked' | 'unknown-technician' | 'locked-out' | 'wrong-card';
export type VerifyCredentialOutput =
  | { ok: true; technician: Technician; attemptsLeft: number }
  | { ok: false; reason: CredentialRefusal; technicianId?: string; lockedUntil?: string };

// ---- actor: checkPin (fromPromise) ----------------------------------------------------------
export interface CheckPinInput {
  technicianId: string;
  uid: string;
  pin: string;
}
export type CheckPinOutput =
  | { ok: true }
  /** Wrong: `attemptsLeft` before the card is locked out; 0 with `lockedUntil`: locked out now. */
  | { ok: false; attemptsLeft: number; lockedUntil?: string };

// ---- actor: runAction (fromPromise) ---------------------------------------------------------
export interface RunActionInput {
  technicianId: string;
  action: MaintenanceAction;
  /** out-of-service: the technician's reason. */
  reason?: string;
}
export interface ActionResult {
  action: MaintenanceAction;
  outcome: 'ok' | 'failed';
  /** Plain, privacy-safe facts to show (e.g. end-of-day totals, the masked number of a test read). */
  detail: Record<string, string | number | boolean | null>;
}

export interface MaintenanceTiming {
  /** No touch for this long on the PIN or dashboard screen: the session locks itself. */
  idleLockMs: number;
  /** How long a refusal (forged card, locked out) stays on screen before the kiosk returns. */
  refusedMs: number;
}

export interface MaintenanceMachineInput {
  credential: string;
  uid: string;
  timing: MaintenanceTiming;
}

/** Every session ends locked; `technicianId` once the credential was verified. */
export interface MaintenanceMachineOutput {
  outcome: 'locked';
  why: 'lock' | 'idle' | 'refused' | 'locked-out' | 'cancelled' | 'failed';
  technicianId?: string;
}
