/**
 * The maintenance journey's vocabulary shared by every side (issue 13): the dashboard's actions,
 * an action's result, and what the maintenance screens are shown. Plain data: the machine is
 * state-machines/maintenance/, the actions main/maintenance/, the screens
 * renderer/src/screens/maintenance/.
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

export interface ActionResult {
  action: MaintenanceAction;
  outcome: 'ok' | 'failed';
  /** Plain, privacy-safe facts to show (e.g. end-of-day totals, the masked number of a test read). */
  detail: Record<string, string | number | boolean | null>;
}

export type CredentialRefusal = 'forged' | 'expired' | 'revoked' | 'unknown-technician' | 'locked-out' | 'wrong-card';

/** A subsystem as the dashboard shows it, live (main/maintenance/dashboard-facts.ts). */
export interface SubsystemFacts {
  ok: boolean;
  /** Short state word (driver state, 'reachable', ...). */
  state: string;
  /** Last error seen, privacy-safe, if any. */
  lastError?: string;
  /** ISO time the state last changed. */
  since?: string;
  /** Named facts shown as a list (values already plain: numbers, ISO times, short strings). */
  facts: Record<string, string | number | boolean | null>;
}

export interface DashboardFacts {
  cardReader: SubsystemFacts;
  paymentTerminal: SubsystemFacts;
  journal: SubsystemFacts;
  backOffice: SubsystemFacts;
  software: SubsystemFacts;
  /** The kiosk is out of service now, and why (technical reasons). */
  outOfService: string[];
}
