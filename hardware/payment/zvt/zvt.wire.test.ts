/**
 * The ZVT driver over a socat pseudo-terminal pair against the terminal simulator: every
 * behaviour, and the money invariant at the protocol level — for a failure injected at each step
 * of an authorization, the terminal's own ledger says the payment stands iff the kiosk committed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../contract/time.js';
import { paymentHardwareConfigSchema, type PaymentHardwareConfig } from '../config.js';
import type { TerminalBehaviour } from '../emulator-control.js';
import { createPaymentHardware } from '../index.js';
import type { PaymentPrompt } from '../payment-terminal.js';
import { realScheduler } from '../scheduler.js';
import { ZvtEcrDriver } from './ecr-driver.js';
import { startZvtDriver, startZvtSimulator, type WireHardware } from './hardware.js';
import { startPtyPair } from './socat.js';
import type { SimulatorProcessControl } from './simulator/process-client.js';
import type { ZvtTerminalSimulator } from './simulator/terminal-simulator.js';

const socatInstalled = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const inCi = process.env.CI === 'true';

// Short timers so the suite stays quick; the defaults are the spec's (T2 = 5 s, T4 = 180 s ...).
const FAST: PaymentHardwareConfig = {
  mode: 'wire',
  timers: { t1Ms: 150, t2Ms: 400, t3Ms: 1_000, t4Ms: 2_500 },
  promptDelayMs: 10,
  reaskMs: 60,
  holdMs: 100,
  commitWindowMs: 4_000,
  orphanListenMs: 400,
};
const resolved = paymentHardwareConfigSchema.parse(FAST);
const log = process.env.ZVT_LOG ? (m: string, x?: object) => console.log(new Date().toISOString(), m, x ?? '') : undefined;
const deps = { clock: systemClock, scheduler: realScheduler(), ...(log ? { log } : {}) };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

async function wire(behaviour: TerminalBehaviour = 'approve', extra: Partial<PaymentHardwareConfig> = {}) {
  const decisions: string[] = [];
  const h = (await createPaymentHardware({ ...FAST, behaviour, ...extra } as PaymentHardwareConfig, {
    ...deps,
    onDecision: (id, d) => void decisions.push(`${id}:${d}`),
  })) as WireHardware;
  cleanups.push(() => h.stop());
  return { h, driver: h.terminal, sim: h.control as ZvtTerminalSimulator, decisions };
}

/** Cable + simulator, and a driver that can be "killed" (line closed, memory lost) and restarted. */
async function rig(behaviour: TerminalBehaviour = 'approve', overrides: Partial<typeof resolved> = {}) {
  const c = { ...resolved, behaviour, ...overrides };
  const pty = await startPtyPair();
  cleanups.push(() => pty.stop());
  const sim = await startZvtSimulator(c, pty.terminalPath, deps);
  cleanups.push(() => sim.stop());
  const decisions: string[] = [];
  const start = async (onDecision?: (id: string, d: 'commit' | 'rollback') => void | Promise<void>) => {
    const d = await startZvtDriver(c, pty.ecrPath, { ...deps, onDecision: onDecision ?? ((id, x) => void decisions.push(`${id}:${x}`)) });
    cleanups.push(() => d.stop());
    return d;
  };
  return { pty, sim, start, decisions, config: c };
}

/** What the terminal says of the money: one payment entry expected. */
function stands(sim: ZvtTerminalSimulator): boolean {
  const p = sim.ledger().filter((e) => e.kind === 'payment');
  expect(p.length).toBeLessThanOrEqual(1);
  return p.length === 1 && p[0]!.state === 'committed' && !sim.ledger().some((e) => e.kind === 'reversal');
}

if (!socatInstalled) {
  if (inCi) it('socat is installed (required in CI for the pseudo-terminal tests)', () => expect.fail('socat missing: apt-get install socat'));
  else it.skip('ZVT wire tests need socat (apt-get install socat) — not installed here', () => undefined);
}

describe.skipIf(!socatInstalled)('ZVT over a socat pseudo-terminal: each terminal behaviour', () => {
  it('approve: prompts in order, approval held open, commit books it', async () => {
    const { driver, sim, decisions } = await wire('approve');
    const prompts: PaymentPrompt[] = [];
    const out = await driver.authorize({ paymentId: 'ok-1', amountCents: 2_000 }, (p) => prompts.push(p));
    expect(out).toMatchObject({ result: 'approved', amountCents: 2_000, receipt: { resultCode: 0, receiptNumber: '0001', terminalId: '52500038' } });
    expect(prompts).toEqual(['insert-card', 'enter-pin', 'waiting-for-host', 'approved']);
    expect(sim.ledger()[0]!.state).toBe('authorized');
    await driver.commit('ok-1');
    expect(sim.ledger()[0]!.state).toBe('committed');
    expect(decisions).toEqual(['ok-1:commit']);
  });

  const failing: [TerminalBehaviour, string][] = [
    ['decline', 'declined'],
    ['wrong-pin', 'wrong-pin'],
    ['customer-abort', 'customer-abort'],
    ['card-not-readable', 'card-not-readable'],
    ['not-registered', 'terminal-not-ready'],
    ['host-timeout', 'timeout'],
  ];
  for (const [b, reason] of failing)
    it(`${b}: the payment fails with reason "${reason}" and the terminal books nothing`, async () => {
      const { driver, sim } = await wire(b);
      const out = await driver.authorize({ paymentId: `f-${b}`, amountCents: 500 });
      expect(out).toMatchObject({ result: 'failed', reason });
      expect(sim.ledger().filter((e) => e.state !== 'reversed')).toEqual([]);
    });

  it('silent mid-transaction: an uncertain failure after T4; when the terminal is back it has reversed, and resolve() says so', async () => {
    const { driver, sim } = await wire('silent');
    const out = await driver.authorize({ paymentId: 's-1', amountCents: 500 });
    expect(out).toMatchObject({ result: 'failed', uncertain: true });
    expect(sim.ledger()[0]!.state).toBe('authorized'); // host approved, nobody acknowledged
    sim.setBehaviour('approve');
    await until(() => sim.ledger()[0]!.state === 'reversed');
    expect(await driver.resolve('s-1')).toMatchObject({ state: 'reversed' });
    expect(await driver.rollback('s-1')).toMatchObject({ undone: true });
    await expect(driver.commit('s-1')).rejects.toMatchObject({ code: 'not-open' });
    expect(stands(sim)).toBe(false);
  });

  it('drop-acks: the terminal never ACKs; its answers count as ACKs and the payment goes through', async () => {
    const { driver, sim } = await wire('drop-acks');
    const out = await driver.authorize({ paymentId: 'd-1', amountCents: 500 });
    expect(out.result).toBe('approved');
    await driver.commit('d-1');
    expect(stands(sim)).toBe(true);
  });

  it('corrupt-crc: every first transmission of the terminal is corrupted; the driver NAKs, the repeat goes through', async () => {
    const { driver, sim } = await wire('corrupt-crc');
    const naksBefore = sim.stats.repeats;
    const out = await driver.authorize({ paymentId: 'c-1', amountCents: 500 });
    expect(out.result).toBe('approved');
    await driver.commit('c-1');
    expect(stands(sim)).toBe(true);
    expect(sim.stats.repeats - naksBefore).toBeGreaterThanOrEqual(5);
  });

  it('slow: answers late but within the timers, the payment goes through', async () => {
    const { driver, sim } = await wire('slow');
    expect((await driver.authorize({ paymentId: 'sl-1', amountCents: 500 })).result).toBe('approved');
    await driver.commit('sl-1');
    expect(stands(sim)).toBe(true);
  });

  it('a terminal reboot between payments: the driver re-registers and goes on', async () => {
    const { driver, sim } = await wire('approve');
    sim.reboot();
    expect(sim.isRegistered()).toBe(false);
    expect((await driver.authorize({ paymentId: 'rb-1', amountCents: 500 })).result).toBe('approved');
    await driver.commit('rb-1');
    expect(sim.isRegistered()).toBe(true);
  });

  it('end-of-day, diagnosis and status enquiry over the wire', async () => {
    const { driver } = await wire('approve');
    expect(await driver.status()).toBe('ready');
    // End-of-day also reports the terminal's booked total and trace (issue 13's dashboard shows them).
    expect(await driver.endOfDay()).toMatchObject({ ok: true, resultCode: 0, amountCents: 0 });
    expect(await driver.diagnosis()).toEqual({ ok: true, resultCode: 0 });
  });

  it('the simulator as its own process: behaviour set at run time, its ledger mirrored', async () => {
    const { h, driver } = await wire('approve', { simulator: 'process' });
    const control = h.control as SimulatorProcessControl;
    control.setBehaviour('decline');
    await control.refresh();
    expect((await driver.authorize({ paymentId: 'pp-1', amountCents: 300 })).result).toBe('failed');
    control.setBehaviour('approve');
    await control.refresh();
    expect((await driver.authorize({ paymentId: 'pp-2', amountCents: 300 })).result).toBe('approved');
    await driver.commit('pp-2');
    const s = await control.refresh();
    expect(s.ledger.map((e) => e.state)).toEqual(['committed']);
  });

  it('the simulator process takes its behaviour over HTTP too, and refuses an unknown one with a clear message', async () => {
    const { h, driver } = await wire('approve', { simulator: 'process', simulatorHttpPort: 0 });
    const control = h.control as SimulatorProcessControl;
    const base = `http://127.0.0.1:${control.httpPort}`;
    const bad = await fetch(`${base}/behaviour`, { method: 'POST', body: JSON.stringify({ behaviour: 'explode' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/behaviour must be one of approve, decline/);
    const ok = await fetch(`${base}/behaviour`, { method: 'POST', body: JSON.stringify({ behaviour: 'card-not-readable' }) });
    expect(((await ok.json()) as { behaviour: string }).behaviour).toBe('card-not-readable');
    expect(await driver.authorize({ paymentId: 'http-1', amountCents: 300 })).toMatchObject({ result: 'failed', reason: 'card-not-readable' });
    const state = (await (await fetch(`${base}/state`)).json()) as { ledger: unknown[] };
    expect(state.ledger).toEqual([]);
  });
});

describe.skipIf(!socatInstalled)('the money invariant: the payment stands iff the kiosk committed (terminal ledger)', () => {
  it('[1] rollback before the commit answer: negative answer, the terminal reverses', async () => {
    const { driver, sim } = await wire();
    await driver.authorize({ paymentId: 'm1', amountCents: 100 });
    expect(await driver.rollback('m1')).toMatchObject({ undone: true });
    expect(stands(sim)).toBe(false);
  });

  it('[2] rollback after the commit was answered: explicit reversal 06 30', async () => {
    const { driver, sim } = await wire();
    await driver.authorize({ paymentId: 'm2', amountCents: 100 });
    await driver.commit('m2');
    expect(await driver.rollback('m2')).toMatchObject({ undone: true, detail: 'reversal (06 30)' });
    expect(stands(sim)).toBe(false);
  });

  it('[3] the kiosk takes longer than the commit window: the terminal reverses, commit() fails with not-open', async () => {
    const { driver, sim } = await wire('approve', { commitWindowMs: 300 });
    await driver.authorize({ paymentId: 'm3', amountCents: 100 });
    await sleep(600);
    await expect(driver.commit('m3')).rejects.toMatchObject({ code: 'not-open' });
    expect(stands(sim)).toBe(false);
  });

  it('[4] ECR killed during the prompts (before approval): the terminal never books; the restarted ECR resolves reversed', async () => {
    const { sim, start } = await rig();
    const d1 = await start();
    void d1.authorize({ paymentId: 'm4', amountCents: 100 }, (p) => p === 'enter-pin' && void d1.stop());
    await until(() => sim.ledger().length === 1 && sim.ledger()[0]!.state === 'reversed');
    const d2 = await start();
    expect(await d2.resolve('m4', {})).toMatchObject({ state: 'reversed' });
    expect(stands(sim)).toBe(false);
  });

  it('[5] ECR killed after approval, before deciding, back after the terminal gave up: reversed', async () => {
    const { sim, start } = await rig();
    const d1 = await start();
    const out = await d1.authorize({ paymentId: 'm5', amountCents: 100 });
    expect(out.result).toBe('approved');
    await d1.stop();
    await until(() => sim.ledger()[0]!.state === 'reversed');
    const d2 = await start();
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber! : '';
    expect(await d2.resolve('m5', { receiptNumber })).toMatchObject({ state: 'reversed' });
    expect(stands(sim)).toBe(false);
  });

  it('[6] ECR killed after approval and restarted while the terminal still asks: resolve() finds it open, the journal says commit -> booked', async () => {
    const { sim, start } = await rig('approve', { reaskMs: 400 });
    const d1 = await start();
    const out = await d1.authorize({ paymentId: 'm6', amountCents: 100 });
    await sleep(resolved.holdMs + 100); // the ECR has said "please wait" once: the terminal will ask again
    await d1.stop();
    const d2 = await start();
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber! : '';
    expect(await d2.resolve('m6', { receiptNumber })).toMatchObject({ state: 'open' });
    await d2.commit('m6');
    expect(stands(sim)).toBe(true);
  });

  it('[7] same, but the kiosk never saw the approval (no receipt in its journal): resolve() lets the terminal reverse', async () => {
    const { sim, start } = await rig('approve', { reaskMs: 400 });
    const d1 = await start();
    await d1.authorize({ paymentId: 'm7', amountCents: 100 });
    await sleep(resolved.holdMs + 100);
    await d1.stop();
    const d2 = await start();
    expect(await d2.resolve('m7', {})).toMatchObject({ state: 'reversed' });
    expect(stands(sim)).toBe(false);
  });

  it('[8] ECR killed right after sending the commit answer: the terminal booked; the restarted ECR resolves committed (repeat receipt)', async () => {
    const { sim, start } = await rig();
    const d1 = await start();
    const out = await d1.authorize({ paymentId: 'm8', amountCents: 100 });
    const committing = d1.commit('m8').catch(() => undefined);
    await until(() => sim.ledger()[0]!.state === 'committed');
    await d1.stop();
    await committing;
    const d2 = await start();
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber! : '';
    expect(await d2.resolve('m8', { receiptNumber })).toMatchObject({ state: 'committed', receipt: { receiptNumber } });
    expect(stands(sim)).toBe(true);
  });

  it('[9] ECR killed after sending the rollback answer: reversed, and resolve() says so', async () => {
    const { sim, start } = await rig();
    const d1 = await start();
    const out = await d1.authorize({ paymentId: 'm9', amountCents: 100 });
    expect(out.result).toBe('approved');
    const rolling = d1.rollback('m9').catch(() => undefined);
    await until(() => sim.ledger()[0]?.state === 'reversed');
    await d1.stop();
    await rolling;
    const d2 = await start();
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber! : '';
    expect(await d2.resolve('m9', { receiptNumber })).toMatchObject({ state: 'reversed' });
    expect(stands(sim)).toBe(false);
  });

  it('[10] terminal goes silent just as the commit answer is sent: commit() fails (offline), the terminal never booked, resolve() says reversed', async () => {
    const { sim, start } = await rig();
    const d1 = await start((_, d) => {
      if (d === 'commit') sim.setBehaviour('silent');
    });
    const out = await d1.authorize({ paymentId: 'm10', amountCents: 100 });
    await expect(d1.commit('m10')).rejects.toMatchObject({ code: 'offline' });
    expect(sim.ledger()[0]!.state).toBe('authorized');
    sim.setBehaviour('approve');
    await until(() => sim.ledger()[0]!.state === 'reversed');
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber! : '';
    expect(await d1.resolve('m10', { receiptNumber })).toMatchObject({ state: 'reversed' });
    expect(await d1.rollback('m10')).toMatchObject({ undone: true, detail: 'already reversed' });
    expect(stands(sim)).toBe(false);
  });

  it('[11] dropped ACKs and [12] corrupted CRCs during commit and rollback keep the ledger right', async () => {
    for (const b of ['drop-acks', 'corrupt-crc'] as const) {
      const { driver, sim } = await wire(b);
      await driver.authorize({ paymentId: `${b}-c`, amountCents: 100 });
      await driver.commit(`${b}-c`);
      await driver.authorize({ paymentId: `${b}-r`, amountCents: 200 });
      await driver.rollback(`${b}-r`);
      expect(sim.ledger().map((e) => [e.amountCents, e.state])).toEqual([
        [100, 'committed'],
        [200, 'reversed'],
      ]);
    }
  });
});


describe.skipIf(!socatInstalled)('a restarted ECR settles a payment straight from the journal (commit/rollback with hints, no resolve first)', () => {
  async function leftOpen(stage: 'held' | 'committed') {
    const r = await rig('approve', { reaskMs: 400 });
    const d1 = await r.start();
    const out = await d1.authorize({ paymentId: 'j1', amountCents: 4_200 });
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber! : '';
    if (stage === 'held') await sleep(resolved.holdMs + 100);
    else {
      const c = d1.commit('j1').catch(() => undefined);
      await until(() => r.sim.ledger()[0]!.state === 'committed');
      await c;
    }
    await d1.stop();
    return { ...r, d2: await r.start(), receiptNumber };
  }

  it('[16] the terminal still holds the approval: commit(id, {receiptNumber}) books it', async () => {
    const { sim, d2, receiptNumber } = await leftOpen('held');
    await d2.commit('j1', { receiptNumber });
    expect(stands(sim)).toBe(true);
  });

  it('[17] the commit had landed before the kill: commit(id, {receiptNumber}) confirms it, nothing booked twice', async () => {
    const { sim, d2, receiptNumber } = await leftOpen('committed');
    await d2.commit('j1', { receiptNumber });
    expect(stands(sim)).toBe(true);
  });

  it('[18] the commit had landed but the journal says undo: rollback(id, {receiptNumber}) reverses with 06 30', async () => {
    const { sim, d2, receiptNumber } = await leftOpen('committed');
    expect(await d2.rollback('j1', { receiptNumber })).toMatchObject({ undone: true });
    expect(stands(sim)).toBe(false);
  });

  it('[19] the terminal still holds the approval and the journal has no receipt: rollback(id) lets it reverse', async () => {
    const { sim, d2 } = await leftOpen('held');
    expect(await d2.rollback('j1')).toMatchObject({ undone: true });
    expect(stands(sim)).toBe(false);
  });
});

// ---------------------------------------------------------------- real process kills (SIGKILL)

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testing', 'ecr-child.ts');

function ecrChild(configJson: string, ecrPath: string, mode?: 'die-in-decision-hook') {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, configJson, ecrPath, ...(mode ? [mode] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => events.push(JSON.parse(l) as Record<string, unknown>));
  cleanups.push(async () => void child.kill('SIGKILL'));
  return {
    events,
    send: (o: object) => child.stdin!.write(JSON.stringify(o) + '\n'),
    kill: () => child.kill('SIGKILL'),
    exited: new Promise((r) => child.once('exit', r)),
    /** Resolves 'exited' when the process died, or 'answered' when it answered `event` instead (bounded). */
    diesOr: (event: string) =>
      Promise.race([
        new Promise((r) => child.once('exit', () => r('exited'))),
        until(() => events.some((e) => e.event === event), 15_000).then(() => 'answered'),
      ]),
  };
}

describe.skipIf(!socatInstalled)('the money invariant with the ECR process killed (SIGKILL) and restarted', () => {
  it('[13] killed after the approval reached it: the terminal reverses; the new process resolves reversed', async () => {
    const { sim, pty, config, start } = await rig();
    const c = ecrChild(JSON.stringify(config), pty.ecrPath);
    await until(() => c.events.some((e) => e.event === 'ready'), 15_000);
    c.send({ cmd: 'authorize', paymentId: 'k1', amountCents: 900 });
    await until(() => c.events.some((e) => e.event === 'authorize'));
    const approved = c.events.find((e) => e.event === 'authorize')!.result as { receipt: { receiptNumber: string } };
    c.kill();
    await c.exited;
    await until(() => sim.ledger()[0]?.state === 'reversed');
    const d2: ZvtEcrDriver = await start();
    expect(await d2.resolve('k1', { receiptNumber: approved.receipt.receiptNumber })).toMatchObject({ state: 'reversed' });
    expect(stands(sim)).toBe(false);
  });

  it('[14] killed inside the decision hook (commit journaled, never sent): the new process finds the payment open and commits it', async () => {
    const { sim, pty, config, start } = await rig('approve', { reaskMs: 400 });
    const c = ecrChild(JSON.stringify(config), pty.ecrPath, 'die-in-decision-hook');
    await until(() => c.events.some((e) => e.event === 'ready'), 15_000);
    c.send({ cmd: 'authorize', paymentId: 'k2', amountCents: 900 });
    await until(() => c.events.some((e) => e.event === 'authorize'));
    const approved = c.events.find((e) => e.event === 'authorize')!.result as { receipt: { receiptNumber: string } };
    await sleep(resolved.holdMs + 100); // card written meanwhile; the ECR said "please wait" once
    c.send({ cmd: 'commit', paymentId: 'k2' });
    expect(await c.diesOr('commit')).toBe('exited');
    expect(c.events.some((e) => e.event === 'decision' && e.decision === 'commit')).toBe(true);
    expect(sim.ledger()[0]!.state).toBe('authorized');
    const d2 = await start();
    expect(await d2.resolve('k2', { receiptNumber: approved.receipt.receiptNumber })).toMatchObject({ state: 'open' });
    await d2.commit('k2');
    expect(stands(sim)).toBe(true);
  });

  it('[15] killed inside the decision hook, restarted only after the terminal gave up: resolve() says reversed (the kiosk learns its commit never landed)', async () => {
    const { sim, pty, config, start } = await rig();
    const c = ecrChild(JSON.stringify(config), pty.ecrPath, 'die-in-decision-hook');
    await until(() => c.events.some((e) => e.event === 'ready'), 15_000);
    c.send({ cmd: 'authorize', paymentId: 'k3', amountCents: 900 });
    await until(() => c.events.some((e) => e.event === 'authorize'));
    const approved = c.events.find((e) => e.event === 'authorize')!.result as { receipt: { receiptNumber: string } };
    c.send({ cmd: 'commit', paymentId: 'k3' });
    expect(await c.diesOr('commit')).toBe('exited');
    await until(() => sim.ledger()[0]!.state === 'reversed');
    const d2 = await start();
    expect(await d2.resolve('k3', { receiptNumber: approved.receipt.receiptNumber })).toMatchObject({ state: 'reversed' });
    expect(stands(sim)).toBe(false);
  });
});
