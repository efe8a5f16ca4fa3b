/**
 * Timers reach the payment drivers through the project's one time port (contract/time.ts), so tests
 * run the ZVT timers (T1 200 ms, T2 5 s, T3 5 s, T4 180 s) and the simulator's prompt delays on
 * simulated time. `Scheduler` is the port's timer half; the names below keep the drivers' vocabulary.
 */
import { simulatedTime, systemTime, type Time, type TimerHandle } from '../../contract/time.js';

export type { TimerHandle };

/** The timer half of the time port. */
export type Scheduler = Pick<Time, 'setTimeout' | 'clearTimeout'>;

/** Real timers (Node's event loop). */
export function realScheduler(): Scheduler {
  return systemTime();
}

/**
 * Timers driven by hand: nothing fires until `advance(ms)`; timers due at the same time fire in the
 * order they were set. `now()` is the milliseconds advanced so far.
 */
export function manualScheduler(): Scheduler & { advance(ms: number): void; now(): number; pending(): number } {
  const time = simulatedTime(new Date(0));
  return {
    setTimeout: (fn, ms) => time.setTimeout(fn, ms),
    clearTimeout: (handle) => time.clearTimeout(handle),
    advance: (ms) => time.advance(ms),
    now: () => time.now().getTime(),
    pending: () => time.pending(),
  };
}

/** Resolve after `ms` on the scheduler; rejects with an AbortError when `signal` aborts. */
export function delay(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      scheduler.clearTimeout(handle);
      reject(abortError());
    };
    const handle = scheduler.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
