/**
 * Timers reach the payment drivers only through a Scheduler, so tests can run the ZVT timers
 * (T1 200 ms, T2 5 s, T3 5 s, T4 180 s) and the emulators' prompt delays fast or by hand.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** Real timers (Node's event loop). */
export function realScheduler(): Scheduler {
  const live = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  return {
    setTimeout(fn, ms) {
      const id = next++;
      live.set(
        id,
        setTimeout(() => {
          live.delete(id);
          fn();
        }, Math.max(0, ms)),
      );
      return { id };
    },
    clearTimeout(handle) {
      if (!handle) return;
      const t = live.get(handle.id);
      if (t !== undefined) clearTimeout(t);
      live.delete(handle.id);
    },
  };
}

/**
 * A scheduler driven by hand: nothing fires until `advance(ms)`. Timers due at the same time fire
 * in the order they were set. For unit tests of timer logic (T1/T2/T3/T4) without waiting.
 */
export function manualScheduler(): Scheduler & { advance(ms: number): void; now(): number; pending(): number } {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { id };
    },
    clearTimeout(handle) {
      if (handle) timers.delete(handle.id);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const e of timers) if (e[1].at <= until && (!due || e[1].at < due[1].at)) due = e;
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
    now: () => now,
    pending: () => timers.size,
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
