/**
 * The journal guard (issue 12, window 6): the kiosk takes money only while its journal can be
 * written. Every append goes through it; the first one that fails (disk full, I/O error, a closed
 * journal) closes the guard, and from then on the top-up refuses before a payment starts and the
 * menu shows the top-up as unavailable ("journal unavailable") instead of offering it. The guard
 * opens again only after a probe append succeeds (a `kiosk.note` {event: 'journal-writable'}),
 * tried at most every `probeEveryMs` when someone asks (each tap).
 *
 * Money already in flight when the journal fails is not undone blindly: recovery finds the last
 * durable record (e.g. `card.write-intent` when `card.written` could not be written) and follows
 * its rules (card check; card unknown -> the payment is kept, the credit owed: credit-pending).
 */
import type { Clock } from '../../contract/time.js';
import type { Journal, JournalEntryInput, JournalRecord } from '../journal/journal.js';
import { errorText } from './errors.js';

export type JournalHealth = { ok: true } | { ok: false; reason: 'journal-unavailable'; detail: string; since: string };

export interface JournalGuard {
  /** The journal to hand to the money services: appends are watched. */
  journal: Journal;
  /** May money be taken now? Probes a closed guard (at most every probeEveryMs). */
  health(): JournalHealth;
}

export function createJournalGuard(journal: Journal, deps: { clock: Clock; probeEveryMs?: number; onChange?: (h: JournalHealth) => void }): JournalGuard {
  const probeEveryMs = deps.probeEveryMs ?? 10_000;
  let state: JournalHealth = { ok: true };
  let lastProbe = 0;
  let probes = 0;
  const set = (h: JournalHealth) => {
    state = h;
    deps.onChange?.(h);
  };
  const append = (entry: JournalEntryInput): JournalRecord => {
    try {
      return journal.append(entry);
    } catch (e) {
      // A refused entry (validation, an operation already finished) is the caller's bug, not a sick
      // journal; anything else (SQLite I/O, disk full, closed) closes the guard.
      const code = (e as { code?: unknown }).code;
      if (code !== 'invalid-entry' && code !== 'operation-finished' && code !== 'privacy' && code !== 'not-an-intent')
        set({ ok: false, reason: 'journal-unavailable', detail: errorText(e), since: deps.clock.now().toISOString() });
      throw e;
    }
  };
  const guarded = new Proxy(journal, {
    get(t, p) {
      if (p === 'append') return append;
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return {
    journal: guarded,
    health() {
      if (state.ok) return state;
      const now = deps.clock.now().getTime();
      if (now - lastProbe < probeEveryMs) return state;
      lastProbe = now;
      try {
        // (no timestamp in the id: a 13-digit run would look like a card number to the privacy check)
        journal.append({ type: 'kiosk.note', operationId: `journal-probe-${state.since}-${++probes}`, data: { event: 'journal-writable', unavailableSince: state.since } });
        set({ ok: true });
      } catch (e) {
        state = { ...state, detail: errorText(e) };
      }
      return state;
    },
  };
}
