/**
 * The driver's one retry helper: run an attempt, and while its result says "again" (and retries
 * are left) wait a growing pause and run it again. Used for a terminal that answers "receiver not
 * ready" (registration, repeat receipt) and for a status enquiry that got no answer right after a
 * customer cancel.
 *
 * Written here rather than taken from a library (p-retry, async-retry): the pauses must run on the
 * injected Scheduler, so unit tests drive them with a manual scheduler, and "again" is decided on
 * the terminal's answer, not on a thrown error; both would need adapters larger than this.
 */
import { delay, type Scheduler } from '../../scheduler.js';

export interface RetryPolicy<T> {
  /** Retries after the first attempt. */
  retries: number;
  /** Pause before retry number `n` (0 = the first retry). */
  pauseMs: (n: number) => number;
  /** Whether this result calls for another attempt. */
  again: (result: T) => boolean;
}

export async function retrying<T>(scheduler: Scheduler, attempt: () => Promise<T>, policy: RetryPolicy<T>): Promise<T> {
  let result = await attempt();
  for (let n = 0; n < policy.retries && policy.again(result); n++) {
    await delay(scheduler, policy.pauseMs(n));
    result = await attempt();
  }
  return result;
}

/** 250 ms, 500 ms, 1 s, ... but never longer than `capMs`. */
export const doubling =
  (firstMs: number, capMs = Number.POSITIVE_INFINITY) =>
  (n: number): number =>
    Math.min(capMs, firstMs * 2 ** n);
