/**
 * The kiosk's uploader against a saturated back office: it does not ask again before Retry-After
 * has passed, spreads the fleet with jitter (between 1x and 2x Retry-After), and then delivers.
 * (The server side, 503 + Retry-After at saturation, is proved in db/multi-process.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fixedClock, type Time } from '../contract/time.js';
import { BackOfficeBusyError, type JournalIntake } from '../main/backoffice-client/http-client.js';
import { openJournal } from '../main/journal/sqlite-journal.js';
import { createUploader } from '../main/uploader/uploader.js';

function rig(random: number, busyTimes: number) {
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
    [0.5, 6000],
    [0.99, 7960],
  ])('with random() = %s it waits %s ms after a 503 with Retry-After 4 s (never less than Retry-After), then delivers', async (random, expected) => {
    const { up, journal, sleeps, callTimes, calls } = rig(random, 2);
    up.start();
    while (journal.counts().pending > 0) await new Promise((r) => setImmediate(r));
    await up.stop();
    expect(calls()).toBe(3);
    expect(sleeps.slice(0, 2)).toEqual([expected, expected]);
    expect(callTimes[1]! - callTimes[0]!).toBeGreaterThanOrEqual(4000);
    expect(journal.counts()).toMatchObject({ pending: 0, delivered: 5 });
  });
});
