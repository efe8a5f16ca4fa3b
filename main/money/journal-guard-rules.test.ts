/**
 * The journal guard's rules (journal-guard.ts) on their own: which append failures close it (a sick
 * journal) and which do not (an entry the journal refused: the caller's bug), what the closed
 * health says (the dashboard and the technician read reason, detail and since), how often a closed
 * guard probes (at most every `probeEveryMs`, default 10 s, on the injected clock) and what the
 * probe journals. The end-to-end behaviour (no top-up while closed) is journal-guard.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import type { Journal, JournalEntryInput } from '../journal/journal.js';
import { cardRef, openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { createJournalGuard, type JournalHealth } from './journal-guard.js';
import { TEST_SECRET } from './testing/rig.js';

const CARD = cardRef('3528000000000001', TEST_SECRET);

function setup(probeEveryMs?: number) {
  const clock = fixedClock('2026-11-23T10:00:00Z');
  const journal = openJournal({ path: ':memory:', kioskId: 'K1', hmacKey: TEST_SECRET, clock });
  const disk = { error: undefined as unknown, attempts: [] as JournalEntryInput[] };
  const sick: Journal = new Proxy(journal, {
    get(t, p) {
      if (p === 'append')
        return (e: JournalEntryInput) => {
          disk.attempts.push(e);
          if (disk.error !== undefined) throw disk.error;
          return t.append(e);
        };
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  const changes: JournalHealth[] = [];
  const guard = createJournalGuard(sick, { clock, ...(probeEveryMs !== undefined ? { probeEveryMs } : {}), onChange: (h) => void changes.push(h) });
  const full = () => Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' });
  return { clock, journal, disk, guard, changes, full };
}

describe('the journal guard', () => {
  it('entries the journal refuses (invalid, personal data, finished operation, not an intent) are the caller’s bug: the guard stays open', () => {
    const t = setup();
    const refused: [JournalEntryInput, string][] = [
      [{ type: 'no.such-type' as JournalEntryInput['type'], operationId: 'x1' }, 'invalid-entry'],
      [{ type: 'payment.intent', operationId: 'x2', data: { detail: 'card 3528000000000001' } }, 'privacy'],
      [{ type: 'payment.approved', operationId: 'x3' }, 'not-an-intent'],
    ];
    t.journal.append({ type: 'payment.intent', operationId: 'x4', amountCents: 500, card: CARD });
    t.journal.append({ type: 'payment.failed', operationId: 'x4', data: { reason: 'declined' } });
    refused.push([{ type: 'payment.committed', operationId: 'x4' }, 'operation-finished']);
    for (const [entry, code] of refused) expect(() => t.guard.journal.append(entry)).toThrow(expect.objectContaining({ code }));
    expect(t.guard.health()).toEqual({ ok: true });
    expect(t.changes).toEqual([]);
  });

  it('any other failure closes it: journal unavailable, the error as detail (long digit runs blanked), since when; onChange is told; the error still reaches the caller', () => {
    const t = setup();
    t.disk.error = Object.assign(new Error('I/O error writing page 1234567890123456'), { code: 'SQLITE_IOERR' });
    expect(() => t.guard.journal.append({ type: 'kiosk.note', operationId: 'n1' })).toThrow(t.disk.error as Error);
    const closed = { ok: false, reason: 'journal-unavailable', detail: 'I/O error writing page [number]', since: '2026-11-23T10:00:00.000Z' };
    expect(t.changes).toStrictEqual([closed]);
  });

  it('an error without a code (a closed handle, a thrown string) closes it too', () => {
    for (const error of [new Error('The database connection is not open'), 'disk gone']) {
      const t = setup();
      t.disk.error = error;
      expect(() => t.guard.journal.append({ type: 'kiosk.note', operationId: 'n1' })).toThrow();
      expect(t.changes).toMatchObject([{ ok: false, reason: 'journal-unavailable', detail: String(error instanceof Error ? error.message : error) }]);
    }
  });

  it('a closed guard probes at once, then at most every 10 s (the default); the probe is a kiosk.note that says since when; a success reopens it', () => {
    const t = setup();
    t.disk.error = t.full();
    expect(() => t.guard.journal.append({ type: 'kiosk.note', operationId: 'n1' })).toThrow(/SQLITE_FULL/);
    t.disk.error = Object.assign(new Error('still full'), { code: 'SQLITE_FULL' });
    const since = '2026-11-23T10:00:00.000Z';
    // first question: a probe (it fails: the detail is the probe's error)
    expect(t.guard.health()).toStrictEqual({ ok: false, reason: 'journal-unavailable', detail: 'still full', since });
    expect(t.disk.attempts.length).toBe(2);
    t.disk.error = undefined;
    t.clock.advance(9_999);
    expect(t.guard.health()).toMatchObject({ ok: false }); // too soon: no probe
    expect(t.disk.attempts.length).toBe(2);
    t.clock.advance(1);
    expect(t.guard.health()).toStrictEqual({ ok: true });
    expect(t.disk.attempts.at(-1)).toStrictEqual({
      type: 'kiosk.note',
      operationId: `journal-probe-${since}-2`,
      data: { event: 'journal-writable', unavailableSince: since },
    });
    expect(t.journal.operation(`journal-probe-${since}-2`).length).toBe(1);
    expect(t.changes.map((h) => h.ok)).toEqual([false, true]);
    // open again: asking does not probe
    expect(t.guard.health()).toStrictEqual({ ok: true });
    expect(t.disk.attempts.length).toBe(3);
  });

  it('probeEveryMs sets the probe interval', () => {
    const t = setup(60_000);
    t.disk.error = t.full();
    expect(() => t.guard.journal.append({ type: 'kiosk.note', operationId: 'n1' })).toThrow();
    t.guard.health();
    t.disk.error = undefined;
    t.clock.advance(59_999);
    expect(t.guard.health().ok).toBe(false);
    t.clock.advance(1);
    expect(t.guard.health().ok).toBe(true);
  });

  it('everything but append reaches the journal unchanged (methods bound to it, plain properties as they are)', () => {
    const t = setup();
    const j = t.guard.journal as SqliteJournal;
    expect(j.kioskId).toBe('K1');
    const rec = j.append({ type: 'kiosk.note', operationId: 'n1', data: { event: 'x' } });
    expect(j.operation('n1')).toEqual([rec]);
    expect(j.unfinishedOperations()).toEqual([]);
  });
});
