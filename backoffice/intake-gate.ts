/** Backpressure for journal intake, per back-office process (see IntakeGate). */
export interface IntakeGateOptions {
  /** Journal batches processed at once by this process; default 8. */
  concurrency?: number;
  /** Batches allowed to wait for a turn; more are answered 503 + Retry-After at once; default 64. */
  maxWaiting?: number;
  /** A batch that waited this long is answered 503 instead of being done late; default 3 s. */
  maxWaitMs?: number;
  /** Retry-After (seconds) sent with 503 overloaded; default 2. */
  retryAfterS?: number;
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
