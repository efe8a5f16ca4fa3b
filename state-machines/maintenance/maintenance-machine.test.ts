/**
 * The maintenance machine (issue 13): card -> PIN -> dashboard, refusals, the lockout, idle lock
 * and "lock"; then a model-based walk of every simple path: no dead ends, every wait can end
 * (an actor answers or a timer runs), and every session ends locked.
 */
import { getSimplePaths } from '@xstate/graph';
import { createActor, fromPromise, SimulatedClock, type AnyEventObject, type AnyMachineSnapshot, type AnyStateNode, type EventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  maintenanceMachine,
  type ActionResult,
  type CheckPinInput,
  type CheckPinOutput,
  type MaintenanceMachineInput,
  type RunActionInput,
  type VerifyCredentialInput,
  type VerifyCredentialOutput,
} from './maintenance-machine.js';

const INPUT: MaintenanceMachineInput = { credential: 'tok', uid: '04A1B2C3', timing: { idleLockMs: 180_000, refusedMs: 5_000 } };
const TECH = { technicianId: 'tech-7', roles: ['diagnostics'], expiresAt: '2027-01-01T00:00:00Z' };

function start(verify: VerifyCredentialOutput, pins: CheckPinOutput[] = []) {
  const clock = new SimulatedClock();
  const pinInputs: CheckPinInput[] = [];
  const runs: RunActionInput[] = [];
  const m = maintenanceMachine.provide({
    actors: {
      verifyCredential: fromPromise<VerifyCredentialOutput, VerifyCredentialInput>(async () => verify),
      checkPin: fromPromise<CheckPinOutput, CheckPinInput>(async ({ input }) => {
        pinInputs.push(input);
        return pins.shift() ?? { ok: true };
      }),
      runAction: fromPromise<ActionResult, RunActionInput>(async ({ input }) => {
        runs.push(input);
        if (input.action === 'terminal-diagnosis') throw new Error('line dropped');
        return { action: input.action, outcome: 'ok', detail: { totalCents: 3500 } };
      }),
    },
  });
  const actor = createActor(m, { input: INPUT, clock });
  actor.start();
  const flush = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return { actor, clock, flush, pinInputs, runs, state: () => actor.getSnapshot() };
}

const OK: VerifyCredentialOutput = { ok: true, technician: TECH, attemptsLeft: 5 };

describe('maintenance machine', () => {
  it('card, then the right PIN, opens the dashboard; an action shows progress then its result; LOCK ends locked', async () => {
    const h = start(OK);
    await h.flush();
    expect(h.state().value).toBe('pin');
    h.actor.send({ type: 'PIN', pin: '482913' });
    expect(h.state().hasTag('busy')).toBe(true);
    await h.flush();
    expect(h.pinInputs).toEqual([{ technicianId: 'tech-7', uid: '04A1B2C3', pin: '482913' }]);
    expect(h.state().value).toBe('dashboard');
    h.actor.send({ type: 'RUN', action: 'terminal-end-of-day' });
    expect(h.state().value).toBe('running');
    expect(h.state().context.running).toBe('terminal-end-of-day');
    await h.flush();
    expect(h.state().value).toBe('dashboard');
    expect(h.state().context.results[0]).toEqual({ action: 'terminal-end-of-day', outcome: 'ok', detail: { totalCents: 3500 } });
    h.actor.send({ type: 'RUN', action: 'terminal-diagnosis' });
    await h.flush();
    expect(h.state().context.results[0]).toMatchObject({ action: 'terminal-diagnosis', outcome: 'failed' });
    h.actor.send({ type: 'LOCK' });
    expect(h.state().status).toBe('done');
    expect(h.state().output).toEqual({ outcome: 'locked', why: 'lock', technicianId: 'tech-7' });
  });

  it('a PIN that is not 4-12 digits is not even checked', async () => {
    const h = start(OK);
    await h.flush();
    h.actor.send({ type: 'PIN', pin: '12' });
    h.actor.send({ type: 'PIN', pin: '12ab56' });
    expect(h.state().value).toBe('pin');
    expect(h.pinInputs).toEqual([]);
  });

  it('wrong PINs show the attempts left; the fifth locks the card out and the session ends locked', async () => {
    const h = start(OK, [
      { ok: false, attemptsLeft: 4 },
      { ok: false, attemptsLeft: 0, lockedUntil: '2026-11-30T12:15:00Z' },
    ]);
    await h.flush();
    h.actor.send({ type: 'PIN', pin: '111111' });
    await h.flush();
    expect(h.state().value).toBe('pin');
    expect(h.state().context).toMatchObject({ wrongPin: true, attemptsLeft: 4 });
    h.actor.send({ type: 'PIN', pin: '222222' });
    await h.flush();
    expect(h.state().value).toBe('refused');
    expect(h.state().context).toMatchObject({ refusal: 'locked-out', lockedUntil: '2026-11-30T12:15:00Z' });
    h.clock.increment(5_000);
    expect(h.state().output).toEqual({ outcome: 'locked', why: 'refused', technicianId: 'tech-7' });
  });

  it('a refused credential (forged, expired, revoked, locked out) shows why, then ends locked; CANCEL ends it at once', async () => {
    for (const reason of ['forged', 'expired', 'revoked', 'locked-out'] as const) {
      const h = start({ ok: false, reason });
      await h.flush();
      expect(h.state().value).toBe('refused');
      expect(h.state().context.refusal).toBe(reason);
      h.actor.send({ type: 'PIN', pin: '482913' });
      expect(h.state().value).toBe('refused');
      h.actor.send({ type: 'CANCEL' });
      expect(h.state().output).toEqual({ outcome: 'locked', why: 'refused' });
    }
  });

  it('locks itself when idle on the PIN screen and on the dashboard; a touch restarts the count', async () => {
    const h = start(OK);
    await h.flush();
    h.clock.increment(179_000);
    h.actor.send({ type: 'ACTIVITY' });
    h.clock.increment(179_000);
    expect(h.state().value).toBe('pin');
    h.clock.increment(1_000);
    expect(h.state().output).toEqual({ outcome: 'locked', why: 'idle', technicianId: 'tech-7' });

    const d = start(OK);
    await d.flush();
    d.actor.send({ type: 'PIN', pin: '482913' });
    await d.flush();
    d.actor.send({ type: 'ACTIVITY' });
    d.clock.increment(180_000);
    expect(d.state().output).toEqual({ outcome: 'locked', why: 'idle', technicianId: 'tech-7' });
  });

  it('CANCEL on the PIN screen, a broken credential check or PIN check: locked', async () => {
    const h = start(OK);
    await h.flush();
    h.actor.send({ type: 'CANCEL' });
    expect(h.state().output).toMatchObject({ outcome: 'locked', why: 'cancelled' });
    const broken = createActor(
      maintenanceMachine.provide({ actors: { verifyCredential: fromPromise<VerifyCredentialOutput, VerifyCredentialInput>(() => Promise.reject(new Error('x'))) } }),
      { input: INPUT },
    ).start();
    await h.flush();
    expect(broken.getSnapshot().output).toEqual({ outcome: 'locked', why: 'failed' });
    const pinBroken = createActor(
      maintenanceMachine.provide({
        actors: {
          verifyCredential: fromPromise<VerifyCredentialOutput, VerifyCredentialInput>(async () => OK),
          checkPin: fromPromise<CheckPinOutput, CheckPinInput>(() => Promise.reject(new Error('x'))),
        },
      }),
      { input: INPUT },
    ).start();
    await h.flush();
    pinBroken.send({ type: 'PIN', pin: '1234' });
    await h.flush();
    expect(pinBroken.getSnapshot().output).toEqual({ outcome: 'locked', why: 'failed', technicianId: 'tech-7' });
  });
});

// ---- model-based walk ------------------------------------------------------------------------

const activeNodes = (s: AnyMachineSnapshot) => (s as unknown as { _nodes: AnyStateNode[] })._nodes;
const OUTPUTS: Record<string, unknown[]> = {
  verifyCredential: [OK, { ok: false, reason: 'forged' }, { ok: false, reason: 'locked-out', lockedUntil: '2026-11-30T12:15:00Z' }],
  checkPin: [{ ok: true }, { ok: false, attemptsLeft: 3 }, { ok: false, attemptsLeft: 0, lockedUntil: '2026-11-30T12:15:00Z' }],
  runAction: [{ action: 'terminal-end-of-day', outcome: 'ok', detail: {} }],
};
const USER: Record<string, AnyEventObject[]> = {
  PIN: [{ type: 'PIN', pin: '1234' }, { type: 'PIN', pin: 'x' }],
  RUN: [{ type: 'RUN', action: 'terminal-end-of-day' }, { type: 'RUN', action: 'out-of-service', reason: 'coin jam' }],
  LOCK: [{ type: 'LOCK' }],
  CANCEL: [{ type: 'CANCEL' }],
  ACTIVITY: [{ type: 'ACTIVITY' }],
};

function events(s: AnyMachineSnapshot): EventObject[] {
  const out: EventObject[] = [];
  for (const node of activeNodes(s))
    for (const [type] of node.transitions) {
      if (type.startsWith('xstate.done.actor.')) {
        const inv = node.invoke.find((i) => type === `xstate.done.actor.${i.id}`);
        const src = typeof inv?.src === 'string' ? inv.src : '';
        for (const output of OUTPUTS[src] ?? []) out.push({ type, output } as EventObject);
      } else if (type.startsWith('xstate.error.actor.')) out.push({ type, error: new Error('broke') } as EventObject);
      else if (type.startsWith('xstate.after.')) out.push({ type });
      else out.push(...(USER[type] ?? []));
    }
  return out;
}

/** A state whose only ways on are the user's: it must also have a timer, or nobody may ever come. */
function waitEnds(s: AnyMachineSnapshot): boolean {
  const types = activeNodes(s).flatMap((n) => [...n.transitions.keys()]);
  return types.some((t) => t.startsWith('xstate.after.') || t.startsWith('xstate.done.actor.'));
}

describe('maintenance machine, model-based', () => {
  it('every simple path: a screen on every state, no dead end, every wait can end, every end is locked', () => {
    const paths = getSimplePaths(maintenanceMachine, {
      input: INPUT as never,
      events: events as never,
      serializeState: (s) => JSON.stringify([s.value, s.status, (s.context as { attemptsLeft?: number }).attemptsLeft ?? null]),
    });
    let ends = 0;
    for (const p of paths) {
      for (const s of [...p.steps.map((x) => x.state), p.state] as AnyMachineSnapshot[]) {
        expect(s.status, JSON.stringify(s.value)).not.toBe('error');
        if (s.status === 'active') {
          const meta = Object.values(s.getMeta() as Record<string, { screen?: string }>);
          expect(meta.some((m) => m?.screen), `screen in ${JSON.stringify(s.value)}`).toBe(true);
          expect(events(s).length, `dead end in ${JSON.stringify(s.value)}`).toBeGreaterThan(0);
          expect(waitEnds(s), `a wait that may never end in ${JSON.stringify(s.value)}`).toBe(true);
        } else {
          ends++;
          expect(s.value).toBe('locked');
          expect((s.output as { outcome: string }).outcome).toBe('locked');
        }
      }
    }
    console.log(`model-based maintenance: ${paths.length} paths, ${ends} ends, all locked`);
    expect(ends).toBeGreaterThan(0);
  });
});
