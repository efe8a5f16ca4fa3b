/**
 * The health model (issue 13): from what the parts report to what the kiosk may offer now. Pure:
 * the monitor (health-monitor.ts) gathers the observations; this decides.
 *
 * - no card reader, a journal that cannot be written, or a broken hash chain: out of service (the
 *   kiosk can neither read cards nor keep money durable, so it must take no card at all);
 * - no payment terminal: no top-up (the menu says why; orders and the balance still work);
 * - the back office out of reach: no order collection (top-up never needs it);
 * - a blocked-card list older than `blockedList.maxAgeMs`: what `blockedList.whenStale` says
 *   ('serve': keep serving on the cached list, only reported; 'out-of-service');
 * - a technician took the kiosk out of service: out of service until they bring it back.
 * Nothing here latches: a part that comes back gives its service back at the next decision.
 */
import type { Availability, OutOfServiceReason } from '../../contract/health.js';

export interface HealthObservations {
  cardReaderOk: boolean;
  /** The terminal's state as last enquired ('ready' | 'busy' count as present). */
  terminalState: string;
  journalWritable: boolean;
  chainOk: boolean;
  backOfficeReachable: boolean;
  /** Age of the blocked-card list, ms; undefined when it was never fetched in this run. */
  blockedListAgeMs: number | undefined;
  /** A technician's out-of-service, with their reason (undefined: none). */
  technicianOutOfService: string | undefined;
}

export interface HealthPolicy {
  blockedList: { maxAgeMs: number; whenStale: 'serve' | 'out-of-service' };
}

/** Terminal states in which a payment can be taken (busy: one is running now). */
export const TERMINAL_PRESENT_STATES: readonly string[] = ['ready', 'busy'];

export function blockedListStale(o: Pick<HealthObservations, 'blockedListAgeMs'>, policy: HealthPolicy): boolean {
  return o.blockedListAgeMs === undefined || o.blockedListAgeMs > policy.blockedList.maxAgeMs;
}

export function decideAvailability(o: HealthObservations, policy: HealthPolicy): Availability {
  const out: OutOfServiceReason[] = [];
  if (!o.cardReaderOk) out.push('card-reader');
  if (!o.journalWritable) out.push('journal-unwritable');
  if (!o.chainOk) out.push('journal-chain');
  if (policy.blockedList.whenStale === 'out-of-service' && blockedListStale(o, policy)) out.push('blocked-list-stale');
  if (o.technicianOutOfService !== undefined) out.push('technician');
  return {
    outOfService: out,
    topUp: TERMINAL_PRESENT_STATES.includes(o.terminalState) ? null : 'payment-terminal',
    collectOrders: o.backOfficeReachable ? null : 'backoffice',
  };
}

export function sameAvailability(a: Availability, b: Availability): boolean {
  return a.topUp === b.topUp && a.collectOrders === b.collectOrders && a.outOfService.join() === b.outOfService.join();
}
