/**
 * Time reaches the kiosk only through these ports, so tests are deterministic and never wait.
 *
 * - `Clock`: the wall clock (`now()`), for everything that only reads the time.
 * - `Time`: the one time port: `now()` plus timers. Its timer half has the same shape as
 *   hardware/payment/scheduler.ts's `Scheduler` (`setTimeout(fn, ms): TimerHandle`,
 *   `clearTimeout(handle)`), and it is what XState's `createActor(machine, { clock })` accepts.
 *   `systemTime()` runs on Node's timers; `simulatedTime()` moves only when a test advances it.
 */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(start: Date | string): Clock & { advance(ms: number): void; set(d: Date | string): void } {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    set(d: Date | string) {
      t = new Date(d).getTime();
    },
  };
}

export interface TimerHandle {
  readonly id: number;
}

export interface Time extends Clock {
  /** Run `fn` once after `ms` (negative counts as 0). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer; unknown, fired or undefined handles are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** Node's timers (like hardware/payment's realScheduler) and the given wall clock. */
export function systemTime(clock: Clock = systemClock): Time {
  const live = new Map<number, ReturnType<typeof setTimeout>>();
  let next = 1;
  return {
    now: () => clock.now(),
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

export interface SimulatedTime extends Time {
  /** Move time on by `ms`, firing every timer that falls due, in due order (same due time: the
   * order they were set); `now()` reads each timer's due time while it fires. Timers set while
   * advancing fire too if they fall due within the advance. */
  advance(ms: number): void;
  /** Timers set and not yet fired or cleared. */
  pending(): number;
}

/** Time that stands still until a test advances it. */
export function simulatedTime(start: Date | string = '2026-01-01T00:00:00Z'): SimulatedTime {
  let t = new Date(start).getTime();
  if (Number.isNaN(t)) throw new Error(`simulatedTime: not a date: ${String(start)}`);
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => new Date(t),
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(id, { at: t + Math.max(0, Number.isFinite(ms) ? ms : 0), fn });
      return { id };
    },
    clearTimeout(handle) {
      if (handle) timers.delete(handle.id);
    },
    advance(ms) {
      if (!(ms >= 0)) throw new Error(`simulatedTime: cannot advance by ${ms} ms`);
      const until = t + ms;
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        // Map iteration is insertion order, so equal due times fire in the order they were set.
        for (const e of timers) if (e[1].at <= until && (!due || e[1].at < due[1].at)) due = e;
        if (!due) break;
        timers.delete(due[0]);
        t = due[1].at;
        due[1].fn();
      }
      t = until;
    },
    pending: () => timers.size,
  };
}

/** Resolve after `ms` on `time`, or early (resolving, not rejecting) when `signal` aborts. */
export function sleep(time: Time, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      time.clearTimeout(handle);
      resolve();
    };
    const handle = time.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run `tick` now and then every `intervalMs` on the time port (which has timers, no interval: one
 * timer at a time, set again on each tick). Returns stop(). The blocked-list refresh, the
 * technician-list sync and the heartbeat share it.
 */
export function every(time: Time, intervalMs: number, tick: () => void): () => void {
  let stopped = false;
  let handle: TimerHandle | undefined;
  const schedule = () => {
    handle = time.setTimeout(() => {
      if (stopped) return;
      schedule();
      tick();
    }, intervalMs);
  };
  tick();
  schedule();
  return () => {
    stopped = true;
    time.clearTimeout(handle);
  };
}
