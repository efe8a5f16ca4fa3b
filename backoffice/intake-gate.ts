/** Backpressure for journal intake, per back-office process (see IntakeGate). */

/**
 * Batches one process lets wait for a turn (each waits at most maxWaitMs, 3 s, so a deeper queue
 * never makes a kiosk time out). After an outage the whole fleet's first batches arrive at once:
 * each one queued instead of turned away is one return slot fewer at the end of the drain. Fleet
 * storm, 5,000 kiosks x 200 records, 2 processes, alternated (backoffice/README.md "Stop 24"):
 * 53.9-55.7 s with 128 or 150 against 55.8-57.6 s with 64, fewer 503s at every pair (4 processes,
 * one pair: 57.9 against 63.4 s). A queue holding more than 3 s of a process's work sheds its tail
 * after 3 s, with a return slot, as before.
 */
export const DEFAULT_INTAKE_QUEUE = 128;
export interface IntakeGateOptions {
  /** Journal batches processed at once by this process; default 8. */
  concurrency?: number;
  /** Batches allowed to wait for a turn; more are answered 503 + Retry-After at once; default 128 (DEFAULT_INTAKE_QUEUE). */
  maxWaiting?: number;
  /** A batch that waited this long is answered 503 instead of being done late; default 3 s. */
  maxWaitMs?: number;
  /**
   * Retry-After (seconds) sent with 503 overloaded: the shortest one; default 2. Longer ones spread
   * the shed batches over the time this process needs to drain them (RetrySchedule).
   */
  retryAfterS?: number;
  /** The longest Retry-After sent; default 120 s. */
  maxRetryAfterS?: number;
  /**
   * The drain rate (batches/s) assumed before and while less is measured; default 100 (one process
   * on this 2-core machine drains about 70 batches of 200 records a second at best: the estimate
   * must err high, see RetrySchedule).
   */
  minRetryRate?: number;
}

/**
 * Backpressure for journal intake: a bounded number of batches at work and a bounded, time-limited
 * queue. When saturated the back office says so at once (503 + Retry-After) instead of letting the
 * kiosk time out on work it would still do (which came back as a duplicate). Hand-written: a
 * dozen lines of counting; the libraries (p-limit, fastify-rate-limit) either queue without bound
 * or limit per client, not per process capacity.
 */
export class IntakeGate {
  running = 0;
  shed = 0;
  closing = false;
  private readonly waiting: { since: number; resolve: (ok: boolean) => void }[] = [];
  constructor(
    readonly concurrency: number,
    readonly maxWaiting: number,
    readonly maxWaitMs: number,
  ) {}
  get queued(): number {
    return this.waiting.length;
  }
  /** Resolves true when the caller may run, false when it must be answered 503. */
  enter(): Promise<boolean> {
    if (this.closing) return Promise.resolve(false);
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= this.maxWaiting) {
      this.shed++;
      return Promise.resolve(false);
    }
    return new Promise((resolve) => this.waiting.push({ since: performance.now(), resolve }));
  }
  leave(): void {
    this.running--;
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (performance.now() - next.since > this.maxWaitMs) {
        this.shed++;
        next.resolve(false);
        continue;
      }
      this.running++;
      next.resolve(true);
      return;
    }
  }
  /** Shutdown: whoever still waits is told to come back later; running batches finish. */
  close(): void {
    this.closing = true;
    for (const w of this.waiting.splice(0)) w.resolve(false);
  }
}

/**
 * Retry-After for a shed batch: each one is given its own return slot, so a storm of kiosks comes
 * back at about the rate this process drains batches instead of all at the same Retry-After (they
 * were all turned away again, several times each, and every refused batch costs the kiosk a
 * signed 100 KB body and the back office its reading). The slots are promised at `headroom` times
 * the completions measured over the last `windowMs`, never below `minRatePerS` (overestimating
 * costs another 503; underestimating leaves the process idle with kiosks waiting to be asked
 * back, so the estimate errs high). Time is injected. Hand-written: a dozen lines of arithmetic on
 * this process's own completions; rate limiters (token buckets) meter clients, not a drain.
 */
export class RetrySchedule {
  private horizon = 0;
  private readonly done: number[] = [];
  constructor(
    readonly options: { minS: number; maxS: number; minRatePerS: number; windowMs?: number; headroom?: number },
    private readonly now: () => number,
  ) {}
  /** A batch was done (answered, whatever the outcome). */
  completed(): void {
    this.done.push(this.now());
    this.trim(); // a process that never sheds must not keep every completion for years
  }
  /** Completion times held (the memory this costs): those of the last window, once trimmed. */
  get held(): number {
    return this.done.length;
  }
  /** Batches/s the slots are handed out at. */
  rate(): number {
    this.trim();
    return Math.max(this.options.minRatePerS, ((this.options.headroom ?? 1.25) * this.done.length * 1000) / this.windowMs);
  }
  private get windowMs(): number {
    return this.options.windowMs ?? 5000;
  }
  private trim(): void {
    const since = this.now() - this.windowMs;
    while (this.done.length > 0 && this.done[0]! <= since) this.done.shift();
  }
  /** The Retry-After (whole seconds, as HTTP sends it) for the next shed batch. */
  retryAfterS(): number {
    const t = this.now();
    const { minS, maxS } = this.options;
    // The wait itself, not (t + wait) - t: that difference can come out a hair over whole seconds
    // in floating point (t = 7116.021189086386: 3000.000000000001) and round up a second.
    const waitMs = Math.max(this.horizon - t, minS * 1000);
    this.horizon = t + waitMs + 1000 / this.rate();
    return Math.min(maxS, Math.ceil(waitMs / 1000));
  }
}
