/** Client for the browser host's tester API (emulated hardware only). Same origin as the page. */
import type { FixtureCardId } from '../../../contract/fixture-cards.js';
import type { LedgerEntry, TerminalBehaviour } from '../../../hardware/payment/emulator-control.js';

export type { FixtureCardId, LedgerEntry, TerminalBehaviour };

/** Every behaviour an emulated terminal knows; the type check keeps the list complete. */
const ALL = {
  approve: true,
  decline: true,
  'wrong-pin': true,
  'customer-abort': true,
  'card-not-readable': true,
  'not-registered': true,
  'host-timeout': true,
  silent: true,
  'drop-acks': true,
  'corrupt-crc': true,
  slow: true,
} satisfies Record<TerminalBehaviour, true>;
export const TERMINAL_BEHAVIOURS = Object.keys(ALL) as TerminalBehaviour[];

export class TesterApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`tester API answered ${status}: ${body}`);
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, base = ''): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new TesterApiError(res.status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** What GET /tester/state answers (main/host/browser-host.ts). */
export interface TesterState {
  snapshot?: { screen?: string; locale?: string };
  card: { fixtures: { id: FixtureCardId; label: string }[]; presented: FixtureCardId | null } | null;
  terminal: { behaviour: TerminalBehaviour; behaviours: TerminalBehaviour[] } | null;
  backOffice: { reachable: boolean };
}

/** The faults a tester can cause (main/composition.ts TESTER_FAULTS), each in one line. */
export const FAULTS = {
  'card-reader': { label: 'Card reader gone', does: 'the reader driver stops: the kiosk goes out of service until it returns' },
  'payment-terminal': { label: 'Payment terminal gone', does: 'the terminal logs off: the menu leaves top-up out and says why; orders still work' },
  'disk-full': { label: 'Disk full', does: 'the journal has no room: the kiosk goes out of service (no money without a journal)' },
  backoffice: { label: 'Back office gone', does: 'the back office cannot be reached: no order collection; top-up still works' },
} as const;
export type FaultName = keyof typeof FAULTS;

export function testerApi(base = '') {
  return {
    setFault: (fault: FaultName, on: boolean) => call<{ health?: { testerFaults?: string[] } }>('POST', '/tester/fault', { fault, on }, base),
    state: () => call<TesterState>('GET', '/tester/state', undefined, base),
    setBackOffice: (reachable: boolean) => call<unknown>('POST', '/tester/backoffice', { reachable }, base),
    presentCard: (fixtureId: FixtureCardId) => call<unknown>('POST', '/tester/card/present', { fixtureId }, base),
    removeCard: () => call<unknown>('POST', '/tester/card/remove', {}, base),
    setBehaviour: (behaviour: TerminalBehaviour) => call<unknown>('POST', '/tester/terminal/behaviour', { behaviour }, base),
    reset: () => call<unknown>('POST', '/tester/reset', {}, base),
    ledger: () => call<LedgerEntry[] | { ledger: LedgerEntry[] }>('GET', '/tester/ledger', undefined, base),
  };
}
