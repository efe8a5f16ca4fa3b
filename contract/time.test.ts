import { describe, expect, it } from 'vitest';
import { simulatedTime, sleep, systemTime } from './time.js';

describe('time port', () => {
  it('simulated time fires due timers in due order (ties: the order they were set), moving now() to each', () => {
    const time = simulatedTime('2026-11-30T10:00:00Z');
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${time.now().toISOString().slice(11, 23)}`);
    time.setTimeout(at('b'), 200);
    time.setTimeout(at('a'), 100);
    time.setTimeout(at('b2'), 200);
    const gone = time.setTimeout(at('cleared'), 150);
    time.clearTimeout(gone);
    time.setTimeout(() => {
      at('c')();
      time.setTimeout(at('d (set while advancing)'), 50);
    }, 250);
    time.advance(299);
    expect(fired).toEqual(['a@10:00:00.100', 'b@10:00:00.200', 'b2@10:00:00.200', 'c@10:00:00.250']);
    expect(time.now().toISOString()).toBe('2026-11-30T10:00:00.299Z');
    time.advance(1);
    expect(fired.at(-1)).toBe('d (set while advancing)@10:00:00.300');
    expect(time.pending()).toBe(0);
  });

  it('simulated time refuses to go backwards', () => {
    expect(() => simulatedTime().advance(-1)).toThrow(/cannot advance/);
  });

  it('sleep resolves on the port timer, and at once when aborted (its timer cleared)', async () => {
    const time = simulatedTime();
    let done = false;
    const p = sleep(time, 1000).then(() => (done = true));
    time.advance(999);
    await Promise.resolve();
    expect(done).toBe(false);
    time.advance(1);
    await p;
    expect(done).toBe(true);
    const ctl = new AbortController();
    const q = sleep(time, 60_000, ctl.signal);
    expect(time.pending()).toBe(1);
    ctl.abort();
    await q;
    expect(time.pending()).toBe(0);
  });

  it('system time runs real timers and can cancel them', async () => {
    const time = systemTime();
    const fired: number[] = [];
    const h = time.setTimeout(() => fired.push(1), 5);
    time.clearTimeout(h);
    time.setTimeout(() => fired.push(2), 5);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toEqual([2]);
  });
});
