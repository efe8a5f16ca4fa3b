/**
 * Issue 12, window 1: the driver answers the terminal's 04 0F "please wait" BEFORE the card write
 * starts (issuing()), so a kiosk killed during or after the write never leaves the terminal waiting
 * on an answer only the dead process could give, whatever holdMs says. The killed ECR process is
 * played by a link that goes deaf and mute at once (no byte out, none in, no close); the restarted
 * process is a new driver on the same cable. The simulator is the project's terminal simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../contract/time.js';
import { realScheduler } from '../scheduler.js';
import { ZvtEcrDriver } from './ecr-driver.js';
import type { ByteLink } from './link.js';
import { memoryLinkPair, type MemoryLinkEnd } from './memory-link.js';
import { ZvtTerminalSimulator } from './simulator/terminal-simulator.js';
import { ZvtTransport } from './transport.js';

// T2 x 3 + the re-ask pause is the terminal's patience with a dead ECR (the restart window); T3 its patience with an unanswered question
const T = { t1Ms: 50, t2Ms: 400, t3Ms: 300, t4Ms: 3_000 };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s().catch(() => undefined);
});

/** One end of the cable that successive ECR "processes" plug into; killing one silences it for good. */
function cable(end: MemoryLinkEnd) {
  let current: { listeners: ((c: Uint8Array) => void)[]; alive: boolean } | undefined;
  end.onData((c) => current?.alive && current.listeners.forEach((l) => l(c)));
  return {
    plug(): ByteLink & { kill(): void } {
      const me = { listeners: [] as ((c: Uint8Array) => void)[], alive: true };
      current = me;
      return {
        write: (b) => void (me.alive && end.write(b)),
        onData: (l) => void me.listeners.push(l),
        onClose: () => undefined,
        close: async () => void (me.alive = false),
        get isOpen() {
          return me.alive;
        },
        kill: () => void (me.alive = false),
      };
    },
  };
}

async function rig(holdMs: number, issueWaitMs?: number) {
  const [ecrEnd, ptEnd] = memoryLinkPair();
  const scheduler = realScheduler();
  const log = process.env.ZVT_LOG ? (m: string, x?: object) => console.log(m, x ?? '') : undefined;
  const sim = new ZvtTerminalSimulator(ptEnd, { scheduler, clock: systemClock, behaviour: 'approve', promptDelayMs: 2, commitWindowMs: 20_000, reaskMs: 60, ...T, ...(log ? { log } : {}) });
  stops.push(() => sim.stop());
  const c = cable(ecrEnd);
  const start = async () => {
    const link = c.plug();
    const transport = new ZvtTransport(link, { scheduler, t1Ms: T.t1Ms, t2Ms: T.t2Ms, name: 'ecr', ...(log ? { log } : {}) });
    const driver = new ZvtEcrDriver({ transport, scheduler, clock: systemClock, password: '000000', t3Ms: T.t3Ms, t4Ms: T.t4Ms, holdMs, orphanListenMs: 400, ...(issueWaitMs ? { issueWaitMs } : {}), ...(log ? { log } : {}) });
    await driver.start();
    stops.push(() => driver.stop());
    return { driver, kill: link.kill };
  };
  return { sim, start };
}

describe('window 1: "please wait" goes out before the card write, so a kill after it never depends on holdMs', () => {
  it('killed after the card write with a hold far above T3: the restarted driver answers the repeated question and the payment is booked', async () => {
    const { sim, start } = await rig(60_000);
    const a = await start();
    const out = await a.driver.authorize({ paymentId: 'p1', amountCents: 250 });
    expect(out.result).toBe('approved');
    const receiptNumber = out.result === 'approved' ? out.receipt.receiptNumber : undefined;
    await a.driver.issuing('p1'); // resolves once "please wait" is on the wire
    // ... the card write lands, card.written is journaled, and the process dies before the commit
    a.kill();
    await new Promise((r) => setTimeout(r, T.t3Ms + 100)); // longer than the terminal waits for an answer (T3), within the restart window
    expect(sim.ledger()[0]!.state).toBe('authorized'); // still asking, not reversed
    const b = await start();
    await b.driver.commit('p1', { receiptNumber: receiptNumber!, amountCents: 250 });
    expect(sim.ledger()[0]!.state).toBe('committed');
  }, 10_000);

  it('a decision made before issuing still goes out at once on the held question (no extra re-ask)', async () => {
    const { sim, start } = await rig(60_000);
    const a = await start();
    await a.driver.authorize({ paymentId: 'p2', amountCents: 250 });
    const t0 = Date.now();
    expect(await a.driver.rollback('p2')).toMatchObject({ undone: true });
    expect(Date.now() - t0).toBeLessThan(T.t3Ms);
    expect(sim.ledger()[0]!.state).toBe('reversed');
  });

  it('a terminal that stopped asking is not issued goods: issuing() refuses (offline) and the card is never written', async () => {
    const { sim, start } = await rig(1, 500);
    const a = await start();
    await a.driver.authorize({ paymentId: 'p3', amountCents: 250 });
    await new Promise((r) => setTimeout(r, 30)); // the hold (1 ms) ran out: "please wait" went out
    sim.setBehaviour('silent');
    await new Promise((r) => setTimeout(r, 150)); // its next question never comes
    await expect(a.driver.issuing('p3')).rejects.toMatchObject({ code: 'offline' });
  }, 10_000);

  it('with the terminal listening, issuing() after the hold ran out waits for its next question and answers "please wait"', async () => {
    const { sim, start } = await rig(1, 2_000);
    const a = await start();
    await a.driver.authorize({ paymentId: 'p4', amountCents: 250 });
    await new Promise((r) => setTimeout(r, 30));
    await a.driver.issuing('p4');
    await a.driver.commit('p4');
    expect(sim.ledger()[0]!.state).toBe('committed');
  }, 10_000);
});
