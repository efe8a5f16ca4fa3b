/**
 * RetrySchedule: the Retry-After of shed journal batches gives each its own return slot at the
 * rate this process drains, so a storm comes back spread over the drain instead of all at once.
 */
import { describe, expect, it } from 'vitest';
import { RetrySchedule } from './intake-gate.js';

function schedule(o: Partial<ConstructorParameters<typeof RetrySchedule>[0]> = {}) {
  let now = 1_000_000;
  const s = new RetrySchedule({ minS: 2, maxS: 120, minRatePerS: 10, ...o }, () => now);
  return { s, advance: (ms: number) => void (now += ms) };
}

function histogram(values: number[]): Map<number, number> {
  const h = new Map<number, number>();
  for (const v of values) h.set(v, (h.get(v) ?? 0) + 1);
  return h;
}

describe('RetrySchedule (Retry-After of shed journal batches)', () => {
  it('1,000 batches shed at once with nothing measured come back at the assumed 10/s: ten per second from 3 s to 101 s, the first at 2 s', () => {
    const { s } = schedule();
    const ras = Array.from({ length: 1000 }, () => s.retryAfterS());
    expect(ras[0]).toBe(2);
    expect(Math.max(...ras)).toBe(102); // the 1,000th slot: 2 s + 999 x 100 ms
    const h = histogram(ras);
    expect(h.get(2)).toBe(1);
    for (let sec = 3; sec <= 101; sec++) expect(h.get(sec)).toBe(10);
    expect(h.get(102)).toBe(9);
    expect(ras).toEqual([...ras].sort((a, b) => a - b)); // later sheds never get earlier slots
  });

  it('measured completions set the rate, with 25 % headroom: 300 in the last 5 s = 75/s', () => {
    const { s, advance } = schedule();
    for (let i = 0; i < 300; i++) {
      s.completed();
      advance(16);
    }
    expect(s.rate()).toBe(75);
    const ras = Array.from({ length: 750 }, () => s.retryAfterS());
    expect(Math.max(...ras)).toBe(12); // 750 / 75 = 10 s of slots after the first 2 s
  });

  it('completions older than the window no longer count; the rate falls back to the floor', () => {
    const { s, advance } = schedule();
    for (let i = 0; i < 300; i++) s.completed();
    advance(5001);
    expect(s.rate()).toBe(10);
  });

  it('a process that never sheds keeps only the last window of completions (a day at 100 batches/s: 500 kept, not 8.6 million)', () => {
    const { s, advance } = schedule();
    for (let i = 0; i < 8_640_000; i++) {
      s.completed();
      advance(10);
    }
    expect(s.held).toBe(500);
  });

  it('the shortest Retry-After is exactly minS at any clock reading (no second added by floating-point rounding)', () => {
    // A clock reading where (t + 3000) - t is 3000.000000000001 in floating point.
    const s = new RetrySchedule({ minS: 3, maxS: 120, minRatePerS: 0.1 }, () => 7116.021189086386);
    expect(s.retryAfterS()).toBe(3);
  });

  it('once the promised slots are past, a shed batch gets the shortest Retry-After again', () => {
    const { s, advance } = schedule();
    for (let i = 0; i < 100; i++) s.retryAfterS();
    expect(s.retryAfterS()).toBe(12); // slot 101: 2 s + 100 x 100 ms
    advance(20_000);
    expect(s.retryAfterS()).toBe(2);
  });

  it('never longer than maxS, however many are shed', () => {
    const { s } = schedule({ maxS: 30 });
    const ras = Array.from({ length: 5000 }, () => s.retryAfterS());
    expect(Math.max(...ras)).toBe(30);
    expect(Math.min(...ras)).toBe(2);
  });
});
