import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { card, okRead, TEST_INPUT } from '../../state-machines/test-harness.js';
import type { CardService } from '../services/card-service.js';
import type { AuthorizeResult, TopUpService } from '../services/top-up.js';
import type { KioskSnapshot } from '../../contract/bridge.js';
import { simulatedTime } from '../../contract/time.js';
import { createKioskRuntime } from './kiosk-runtime.js';

const log = pino({ level: 'silent' });
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

function fakes() {
  const calls: string[] = [];
  let approve: ((r: AuthorizeResult) => void) | undefined;
  const cards: CardService = {
    // A card lies on the reader; nobody holds one anew (the start screen waits for that: never here).
    waitForCard: (fresh, signal) =>
      fresh
        ? new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
        : Promise.resolve({ uid: 'U' }),
    read: async () => okRead(card()),
  };
  const topUp: TopUpService = {
    authorize: (req) =>
      new Promise<AuthorizeResult>((resolve) => {
        calls.push(`authorize ${req.amountCents}`);
        approve = resolve;
      }),
    abort: async () => {
      calls.push('abort');
    },
    credit: async () => ({ result: 'credited', balanceCents: 2250 }),
    rollback: async (req, reason) => {
      calls.push(`rollback ${req.paymentId} (${reason})`);
      return { result: 'reversed' };
    },
    onDecision: async () => {},
  };
  return { cards, topUp, calls, approve: (r: AuthorizeResult) => approve?.(r) };
}

function runtime(f = fakes(), timing: Partial<typeof TEST_INPUT.timing> = {}) {
  const rt = createKioskRuntime({ machineInput: { ...TEST_INPUT, timing: { ...TEST_INPUT.timing, ...timing } }, cards: f.cards, topUp: f.topUp, log });
  const snaps: KioskSnapshot[] = [];
  rt.bridge.subscribe((s) => snaps.push(s));
  rt.start();
  return { rt, snaps, f, last: () => snaps[snaps.length - 1]! };
}

describe('kiosk runtime', () => {
  it('publishes only changed snapshots, each with a higher rev', async () => {
    const { rt, snaps } = runtime();
    rt.bridge.send({ type: 'START' });
    await tick(20);
    expect(snaps.map((s) => s.screen)).toContain('menu');
    const revs = snaps.map((s) => s.rev);
    expect([...revs].sort((a, b) => a - b)).toEqual(revs);
    expect(new Set(revs).size).toBe(revs.length);
    for (let i = 1; i < snaps.length; i++) expect({ ...snaps[i], rev: 0 }).not.toEqual({ ...snaps[i - 1], rev: 0 });
    await rt.stop();
  });

  it('never shows the start screen in the middle of a visit (leaving a journey goes straight on)', async () => {
    const { rt, snaps } = runtime();
    rt.bridge.send({ type: 'START' });
    await tick(20);
    rt.bridge.send({ type: 'CHOOSE', option: 'topup' });
    rt.bridge.send({ type: 'BACK' });
    rt.bridge.send({ type: 'CANCEL' });
    await tick(20);
    const seen = snaps.map((s) => s.screen).filter((s, i, a) => i === 0 || a[i - 1] !== s);
    expect(seen).toEqual(['start', 'present-card', 'reading-card', 'menu', 'topup-amount', 'menu', 'goodbye']);
    await rt.stop();
  });

  it('a new subscriber gets the current snapshot at once (a reloaded screen loses nothing)', async () => {
    const { rt } = runtime();
    rt.bridge.send({ type: 'START' });
    await tick(20);
    let got: KioskSnapshot | undefined;
    rt.bridge.subscribe((s) => (got = s));
    expect(got?.screen).toBe('menu');
    await rt.stop();
  });

  it('counts the inactivity warning down in whole seconds', async () => {
    const { rt, snaps, last } = runtime(fakes(), { inactivityMs: 30, inactivityWarningMs: 2500 });
    rt.bridge.send({ type: 'START' });
    await tick(100);
    expect(last().inactivity).toEqual({ warning: true, secondsLeft: 3 });
    await tick(1100);
    expect(last().inactivity.secondsLeft).toBe(2);
    rt.bridge.send({ type: 'MORE_TIME' });
    await tick(5);
    expect(snaps.some((s) => s.inactivity.warning)).toBe(true);
    expect(last().inactivity.warning).toBe(false);
    await rt.stop();
  });

  it('runs the whole inactivity flow on simulated time: warning after inactivityMs, a countdown second by second, start screen (Dutch) after inactivityWarningMs', async () => {
    const time = simulatedTime('2026-11-30T10:00:00Z');
    const f = fakes();
    const timing = { ...TEST_INPUT.timing, inactivityMs: 60_000, inactivityWarningMs: 20_000 };
    const rt = createKioskRuntime({ machineInput: { ...TEST_INPUT, timing }, cards: f.cards, topUp: f.topUp, log, time });
    const snaps: KioskSnapshot[] = [];
    rt.bridge.subscribe((s) => snaps.push(s));
    rt.start();
    // Let the fake reader's promises land (event-loop turns only: no timer of the kiosk runs on them).
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    const last = () => snaps[snaps.length - 1]!;
    rt.bridge.send({ type: 'START' });
    await settle();
    expect(rt.bridge.send({ type: 'SET_LOCALE', locale: 'en' })).toEqual({ ok: true });
    expect(last()).toMatchObject({ screen: 'menu', locale: 'en', inactivity: { warning: false } });

    time.advance(timing.inactivityMs - 1);
    expect(last().inactivity.warning).toBe(false);
    time.advance(1);
    expect(last()).toMatchObject({ screen: 'menu', inactivity: { warning: true, secondsLeft: 20 } });
    const countdown: number[] = [last().inactivity.secondsLeft];
    for (let s = 0; s < 19; s++) {
      time.advance(1000);
      countdown.push(last().inactivity.secondsLeft);
    }
    expect(countdown).toEqual([20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(last()).toMatchObject({ screen: 'menu', inactivity: { warning: true } });
    time.advance(1000);
    expect(last()).toMatchObject({ screen: 'start', locale: 'nl', inactivity: { warning: false, secondsLeft: 20 } });
    // The countdown stopped with the warning: nothing but the session's own timers is left.
    const published = snaps.length;
    time.advance(10 * timing.inactivityMs);
    expect(snaps.length).toBe(published);
    await rt.stop();
    expect(time.pending()).toBe(0);
  });

  it('stopping while the terminal decides aborts it, and undoes an approval that still comes', async () => {
    const f = fakes();
    const { rt } = runtime(f);
    rt.bridge.send({ type: 'START' });
    await tick(20);
    rt.bridge.send({ type: 'CHOOSE', option: 'topup' });
    rt.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    rt.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    await tick();
    const stopped = rt.stop();
    await tick();
    expect(f.calls).toEqual(['authorize 1000', 'abort']);
    f.approve({ result: 'approved', paymentId: 'p-1', reference: 'P1' });
    await stopped;
    expect(f.calls).toEqual(['authorize 1000', 'abort', 'rollback p-1 (session ended before the card was credited)']);
  });

  it('restart runs the given step between sessions and opens the start screen again', async () => {
    const { rt, last } = runtime();
    rt.bridge.send({ type: 'START' });
    await tick(20);
    let ran = false;
    await rt.restart(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(last().screen).toBe('start');
    expect(rt.bridge.send({ type: 'START' })).toEqual({ ok: true });
    await rt.stop();
  });

  it('send never throws: invalid, unknown and ill-timed events get typed results', async () => {
    const { rt } = runtime();
    for (const bad of [undefined, null, 42, 'START', {}, { type: 'START', extra: { deep: true } }, { type: 'SELECT_AMOUNT', amountCents: 1.5 }])
      expect(() => rt.bridge.send(bad)).not.toThrow();
    expect(rt.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 1.5 })).toMatchObject({ ok: false, error: 'invalid-event' });
    expect(rt.bridge.send({ type: 'CONFIRM' })).toMatchObject({ ok: false, error: 'not-allowed-now' });
    await rt.stop();
    expect(rt.bridge.send({ type: 'START' })).toMatchObject({ ok: false, error: 'not-allowed-now' });
  });
});
