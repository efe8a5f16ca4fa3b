/**
 * What the maintenance machine exchanges with the runtime (issue 13). Pure types: the runtime
 * provides the actors (credential check, PIN check, the dashboard's actions) with `provide`.
 */

import type { ActionResult, CredentialRefusal, MaintenanceAction } from '../../contract/maintenance.js';

// The actions, their result and the refusals are shared with the bridge (contract/maintenance.ts).
export { MAINTENANCE_ACTIONS, type ActionResult, type CredentialRefusal, type MaintenanceAction } from '../../contract/maintenance.js';

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
