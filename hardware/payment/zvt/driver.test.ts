import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock, systemClock } from '../../../contract/time.js';
import type { TerminalBehaviour } from '../emulator-control.js';
import type { PaymentPrompt } from '../payment-terminal.js';
import { realScheduler } from '../scheduler.js';
import { ZvtEcrDriver } from './ecr-driver.js';
import { memoryLinkPair } from './memory-link.js';
import { ZvtTerminalSimulator } from './simulator/terminal-simulator.js';
import { ZvtTransport } from './transport.js';

const T = { t1Ms: 50, t2Ms: 100, t3Ms: 300, t4Ms: 1_000 };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function setup(behaviour: TerminalBehaviour = 'approve', extra: { commitWindowMs?: number; pollIntervalMs?: number } = {}) {
  const [ecrLink, ptLink] = memoryLinkPair();
  const scheduler = realScheduler();
  const log = process.env.ZVT_LOG ? (m: string, x?: object) => console.log(m, x ?? '') : undefined;
  const sim = new ZvtTerminalSimulator(ptLink, { scheduler, clock: systemClock, behaviour, promptDelayMs: 2, commitWindowMs: extra.commitWindowMs ?? 3_000, reaskMs: 20, ...T, ...(log ? { log } : {}) });
  const decisions: string[] = [];
  const transport = new ZvtTransport(ecrLink, { scheduler, t1Ms: T.t1Ms, t2Ms: T.t2Ms, name: 'ecr', ...(log ? { log } : {}) });
  const driver = new ZvtEcrDriver({ transport, scheduler, clock: systemClock, password: '000000', t3Ms: T.t3Ms, t4Ms: T.t4Ms, holdMs: 40, orphanListenMs: 50, ...(extra.pollIntervalMs ? { pollIntervalMs: extra.pollIntervalMs } : {}), onDecision: (id, d) => void decisions.push(`${id}:${d}`), ...(log ? { log } : {}) });
  await driver.start();
  stops.push(() => driver.stop(), () => sim.stop());
  return { sim, driver, decisions };
}

describe('ZVT driver against the simulator (in memory)', () => {
  it('registers at start, then an approval is held open until commit and booked after', async () => {
    const { sim, driver, decisions } = await setup();
    expect(driver.isRegistered()).toBe(true);
    const prompts: PaymentPrompt[] = [];
    const out = await driver.authorize({ paymentId: 'p1', amountCents: 1250 }, (p) => prompts.push(p));
    expect(out).toMatchObject({ result: 'approved', amountCents: 1250, receipt: { resultCode: 0, receiptNumber: '0001', trace: '000001', terminalId: '52500038', cardName: 'girocard', maskedPan: '672559******0001' } });
    expect(prompts).toEqual(['insert-card', 'enter-pin', 'waiting-for-host', 'approved']);
    await new Promise((r) => setTimeout(r, 150)); // the terminal keeps asking; we keep saying "please wait"
    expect(sim.ledger()[0]!.state).toBe('authorized');
    await driver.commit('p1');
    expect(sim.ledger()[0]!.state).toBe('committed');
    expect(decisions).toEqual(['p1:commit']);
    expect(await driver.status()).toBe('ready');
  });

  it('rollback before commit: negative answer, the terminal reverses', async () => {
    const { sim, driver } = await setup();
    await driver.authorize({ paymentId: 'p2', amountCents: 700 });
    expect(await driver.rollback('p2')).toMatchObject({ undone: true });
    expect(sim.ledger()[0]!.state).toBe('reversed');
  });

  it('rollback after commit: explicit reversal 06 30', async () => {
    const { sim, driver } = await setup();
    await driver.authorize({ paymentId: 'p3', amountCents: 700 });
    await driver.commit('p3');
    expect(await driver.rollback('p3')).toMatchObject({ undone: true, detail: 'reversal (06 30)' });
    expect(sim.ledger().map((e) => [e.kind, e.state])).toEqual([['payment', 'reversed'], ['reversal', 'committed']]);
  });

  const failing: [TerminalBehaviour, string, number][] = [
    ['decline', 'declined', 0x05],
    ['wrong-pin', 'wrong-pin', 0x37],
    ['customer-abort', 'customer-abort', 0x6c],
    ['card-not-readable', 'card-not-readable', 0x64],
    ['host-timeout', 'timeout', 0x7d],
  ];
  for (const [b, reason, code] of failing)
    it(`${b}: failed with reason ${reason} (code ${code.toString(16)}) and nothing in the ledger`, async () => {
      const { sim, driver } = await setup(b);
      const out = await driver.authorize({ paymentId: 'f', amountCents: 100 });
      expect(out).toMatchObject({ result: 'failed', reason, code });
      expect(sim.ledger()).toEqual([]);
    });

  it('the commit window passes: the terminal reverses, commit() says not-open', async () => {
    const { sim, driver } = await setup('approve', { commitWindowMs: 100 });
    await driver.authorize({ paymentId: 'w', amountCents: 100 });
    await new Promise((r) => setTimeout(r, 300));
    await expect(driver.commit('w')).rejects.toMatchObject({ code: 'not-open' });
    expect(sim.ledger()[0]!.state).toBe('reversed');
  });

  it('a terminal reboot (registration lost) is answered by re-registering', async () => {
    const { sim, driver } = await setup();
    sim.reboot();
    const out = await driver.authorize({ paymentId: 'r', amountCents: 100 });
    expect(out.result).toBe('approved');
    await driver.commit('r');
    expect(sim.isRegistered()).toBe(true);
  });

  it('ECR abort during the card prompt', async () => {
    const { sim, driver } = await setup();
    const p = driver.authorize({ paymentId: 'a', amountCents: 100 }, (pr) => pr === 'insert-card' && void driver.abort());
    expect(await p).toMatchObject({ result: 'failed', reason: 'customer-abort' });
    expect(sim.ledger()).toEqual([]);
  });

  it('end-of-day, diagnosis, status', async () => {
    const { driver } = await setup();
    // Issue 13: end-of-day also reports the total the terminal booked (none yet) and its trace.
    expect(await driver.endOfDay()).toMatchObject({ ok: true, resultCode: 0, amountCents: 0, trace: expect.any(String) });
    expect(await driver.diagnosis()).toEqual({ ok: true, resultCode: 0 });
    expect(await driver.status()).toBe('ready');
  });

  it('not-registered terminal: payment fails as terminal-not-ready, status says not-registered', async () => {
    const { driver } = await setup('not-registered');
    expect(await driver.authorize({ paymentId: 'n', amountCents: 100 })).toMatchObject({ result: 'failed', reason: 'terminal-not-ready', code: 0x6b });
    expect(await driver.status()).toBe('not-registered');
  });
});
describe('a noisy line', () => {
  it('garbage between frames and frames split into random chunks (both ways) do not stop a payment', async () => {
    const [ecrLink, ptLink] = memoryLinkPair();
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    // noise never contains DLE, ACK or NAK: those would be meaningful bytes, not noise a receiver can skip
    const noise = () => Uint8Array.from({ length: Math.floor(rnd() * 6) }, () => [0x00, 0x41, 0x7f, 0xff, 0x02, 0x03][Math.floor(rnd() * 6)]!);
    for (const end of [ecrLink, ptLink] as (typeof ecrLink)[]) {
      const write = end.write.bind(end);
      end.write = (bytes: Uint8Array) => {
        const b = Uint8Array.from([...noise(), ...bytes]);
        for (let i = 0; i < b.length; ) {
          const n = 1 + Math.floor(rnd() * 5);
          write(b.subarray(i, i + n));
          i += n;
        }
      };
    }
    const scheduler = realScheduler();
    const sim = new ZvtTerminalSimulator(ptLink, { scheduler, clock: systemClock, promptDelayMs: 2, commitWindowMs: 3_000, reaskMs: 20, ...T });
    const transport = new ZvtTransport(ecrLink, { scheduler, t1Ms: T.t1Ms, t2Ms: T.t2Ms });
    const driver = new ZvtEcrDriver({ transport, scheduler, clock: systemClock, password: '000000', t3Ms: T.t3Ms, t4Ms: T.t4Ms, holdMs: 40 });
    stops.push(() => driver.stop(), () => sim.stop());
    await driver.start();
    for (let i = 0; i < 3; i++) {
      const out = await driver.authorize({ paymentId: `n${i}`, amountCents: 100 + i });
      expect(out.result).toBe('approved');
      await driver.commit(`n${i}`);
    }
    expect(sim.ledger().map((e) => e.state)).toEqual(['committed', 'committed', 'committed']);
    expect(transport.stats.garbageBytes + sim.stats.garbageBytes).toBeGreaterThan(20);
  });
});

describe('status enquiry polling', () => {
  it('polls 05 01 while idle and notices a terminal that stopped answering', async () => {
    const { sim, driver } = await setup('approve', { pollIntervalMs: 30 });
    await new Promise((r) => setTimeout(r, 120));
    expect(driver.lastKnownState()).toBe('ready');
    await sim.stop();
    await new Promise((r) => setTimeout(r, 2_500));
    expect(driver.lastKnownState()).toBe('offline');
  });
});
void fixedClock;

describe('real mode', () => {
  it('a serial device that does not exist is a typed error, not a crash', async () => {
    const { createPaymentHardware } = await import('../index.js');
    await expect(createPaymentHardware({ mode: 'real', serialPath: '/dev/does-not-exist-zvt' }, { clock: systemClock })).rejects.toMatchObject({
      name: 'PaymentTerminalError',
      code: 'offline',
      message: expect.stringMatching(/cannot open serial port \/dev\/does-not-exist-zvt/),
    });
  });
});
