/**
 * The kiosk's uploader against a saturated back office: it does not ask again before Retry-After
 * has passed, asks again soon after it (a jitter of up to a twentieth of it, at least 1 s: the back
 * office spreads the fleet with its Retry-Afters, intake-gate.ts), and then delivers. Busy answers
 * do not grow the exponential backoff: the waits stay Retry-After however many there were.
 * (The server side, 503 + Retry-After at saturation, is proved in db/multi-process.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fixedClock, type Time } from '../contract/time.js';
import { BackOfficeBusyError, type JournalIntake } from '../main/backoffice-client/http-client.js';
import { openJournal } from '../main/journal/sqlite-journal.js';
import { busyDelay, createUploader } from '../main/uploader/uploader.js';

function rig(random: number, busyTimes: number, timeoutsAfter = 0) {
  const clock = fixedClock('2026-11-23T08:00:00Z');
  const journal = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: 'uploader-bp-secret-0123456789', clock });
  for (let i = 0; i < 5; i++) journal.append({ type: 'kiosk.note', operationId: `n${i}` });
  let calls = 0;
  const callTimes: number[] = [];
  const intake: JournalIntake = {
    async submitRecords(records) {
      calls++;
      callTimes.push(clock.now().getTime());
      if (calls <= busyTimes) throw new BackOfficeBusyError('back office busy (HTTP 503 overloaded)', 4000);
      if (calls <= busyTimes + timeoutsAfter) throw new Error('request timed out');
      return { results: records.map((r) => ({ seq: r.seq, key: `${r.kioskId}/${r.seq}/${r.hash.slice(0, 16)}`, status: 'accepted' as const })), contiguousSeq: 5, gaps: [] };
    },
  };
  const sleeps: number[] = [];
  // Every wait the uploader takes on the time port is recorded, moves the fake clock on, and ends at once.
  let timerId = 0;
  const time: Time = {
    now: () => clock.now(),
    setTimeout(fn, ms) {
      sleeps.push(ms);
      clock.advance(ms);
      setImmediate(fn);
      return { id: ++timerId };
    },
    clearTimeout() {},
  };
  const up = createUploader({
    queue: journal,
    intake,
    time,
    random: () => random,
    baseDelayMs: 100,
  });
  return { up, journal, sleeps, callTimes, calls: () => calls };
}

describe('uploader under backpressure', () => {
  it.each([
    [0, 4000],
    [0.5, 4500],
    [0.99, 4990],
  ])('with random() = %s it waits %s ms after each of six 503s with Retry-After 4 s (never less, never growing), then delivers', async (random, expected) => {
    const { up, journal, sleeps, callTimes, calls } = rig(random, 6);
    up.start();
    while (journal.counts().pending > 0) await new Promise((r) => setImmediate(r));
    await up.stop();
    expect(calls()).toBe(7);
    expect(sleeps.slice(0, 6)).toEqual(Array(6).fill(expected));
    expect(callTimes[1]! - callTimes[0]!).toBeGreaterThanOrEqual(4000);
    expect(journal.counts()).toMatchObject({ pending: 0, delivered: 5 });
  });

  it('a long Retry-After (a return slot ~50 s out) is kept to within a twentieth: the last kiosks of a storm come back when told, not 12 s later', () => {
    expect(busyDelay(50_000, () => 0, 300_000)).toBe(50_000);
    expect(busyDelay(50_000, () => 0.999, 300_000)).toBe(52_497);
    expect(busyDelay(2_000, () => 0.999, 300_000)).toBe(2_999); // at least a second of spread
    expect(busyDelay(400_000, () => 0.5, 300_000)).toBe(300_000); // never past the cap
  });

  it('a timeout after six busy answers backs off from the base (100 ms), not as if it were the seventh failure', async () => {
    const { up, journal, sleeps } = rig(0.99, 6, 1);
    up.start();
    while (journal.counts().pending > 0) await new Promise((r) => setImmediate(r));
    await up.stop();
    expect(sleeps[6]).toBe(Math.floor(0.99 * 200)); // base 100 ms x 2^1
    expect(journal.counts()).toMatchObject({ pending: 0, delivered: 5 });
  });
});
