import type { Apdu } from './apdu.js';
import type { Scheduler } from '../scheduler.js';

/** A queue of received APDUs that a conversation reads with a timeout. */
export class Inbox {
  private q: Apdu[] = [];
  private waiter: ((a: Apdu | undefined) => void) | undefined;
  private closed = false;

  constructor(private readonly scheduler: Scheduler) {}

  push(a: Apdu): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(a);
    } else this.q.push(a);
  }

  /** Next message, or undefined after `ms` without one (or once closed). */
  next(ms: number): Promise<Apdu | undefined> {
    const a = this.q.shift();
    if (a) return Promise.resolve(a);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const t = this.scheduler.setTimeout(() => {
        if (this.waiter === done) this.waiter = undefined;
        resolve(undefined);
      }, ms);
      const done = (x: Apdu | undefined) => {
        this.scheduler.clearTimeout(t);
        resolve(x);
      };
      this.waiter = done;
    });
  }

  clear(): void {
    this.q = [];
  }

  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(undefined);
  }
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  settled(): boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let done = false;
  const promise = new Promise<T>((r) => (resolve = r));
  return {
    promise,
    resolve(v) {
      if (done) return;
      done = true;
      resolve(v);
    },
    settled: () => done,
  };
}
