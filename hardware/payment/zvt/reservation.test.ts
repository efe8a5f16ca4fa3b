/**
 * The reservation terminal profile (issue 12, window 9): the ECR driver and the terminal simulator
 * over an in-memory byte link, real ZVT frames both ways. Pre-authorisation 06 22 reserves, book
 * total 06 24 books, reversal of the pre-authorisation 06 25 releases, a reservation left alone
 * expires; a terminal that goes silent at book total leaves the reservation open and a later book
 * total (another process, by the journal's hints) books it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../contract/time.js';
import type { TerminalBehaviour } from '../emulator-control.js';
import type { PaymentPrompt } from '../payment-terminal.js';
import { realScheduler } from '../scheduler.js';
import type { Apdu } from './apdu.js';
import { ZvtEcrDriver } from './ecr-driver.js';
import type { ByteLink } from './link.js';
import { memoryLinkPair, type MemoryLinkEnd } from './memory-link.js';
import { build, parseReservationCommand } from './messages.js';
import { ZvtTerminalSimulator } from './simulator/terminal-simulator.js';
import { ZvtTransport } from './transport.js';

const T = { t1Ms: 50, t2Ms: 100, t3Ms: 300, t4Ms: 1_000 };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The ECR end of the cable, which successive driver "processes" plug into (the previous one is unplugged). */
function cable(end: MemoryLinkEnd) {
  let current: { listeners: ((c: Uint8Array) => void)[]; alive: boolean; cut?: boolean } | undefined;
  end.onData((c) => current?.alive && !current.cut && current.listeners.forEach((l) => l(c)));
  return {
    /** The cable pulled out at the terminal: the ECR's port stays open, but nothing it sends arrives and nothing comes back. */
    cut(): void {
      if (current) current.cut = true;
    },
    plug(): ByteLink {
      if (current) current.alive = false;
      const me: { listeners: ((c: Uint8Array) => void)[]; alive: boolean; cut?: boolean } = { listeners: [], alive: true };
      current = me;
      return {
        write: (b) => void (me.alive && !me.cut && end.write(b)),
        onData: (l) => void me.listeners.push(l),
        onClose: () => undefined,
        close: async () => void (me.alive = false),
        get isOpen() {
          return me.alive;
        },
      };
    },
  };
}

async function setup(opts: { behaviour?: TerminalBehaviour; reservationLifetimeMs?: number } = {}) {
  const [ecrEnd, ptLink] = memoryLinkPair();
  const ecrCable = cable(ecrEnd);
  const scheduler = realScheduler();
  const log = process.env.ZVT_LOG ? (m: string, x?: object) => console.log(m, x ?? '') : undefined;
  const sim = new ZvtTerminalSimulator(ptLink, {
    scheduler,
    clock: systemClock,
    behaviour: opts.behaviour ?? 'approve',
    promptDelayMs: 2,
    commitWindowMs: 3_000,
    reaskMs: 20,
    reservationLifetimeMs: opts.reservationLifetimeMs ?? 60_000,
    ...T,
    ...(log ? { log } : {}),
  });
  const sent: Apdu[] = [];
  const decisions: string[] = [];
  const newDriver = async () => {
    const transport = new ZvtTransport(ecrCable.plug(), { scheduler, t1Ms: T.t1Ms, t2Ms: T.t2Ms, name: 'ecr', ...(log ? { log } : {}) });
    const send = transport.send.bind(transport);
    transport.send = (a: Apdu) => {
      sent.push(a);
      return send(a);
    };
    const driver = new ZvtEcrDriver({ transport, scheduler, clock: systemClock, password: '000000', ...T, holdMs: 40, orphanListenMs: 0, flow: 'reservation', onDecision: (id, d) => void decisions.push(`${id}:${d}`), ...(log ? { log } : {}) });
    await driver.start();
    return driver;
  };
  const driver = await newDriver();
  stops.push(() => driver.stop(), () => sim.stop());
  return { sim, driver, sent, decisions, newDriver, cut: () => ecrCable.cut() };
}

const cmd = (a: Apdu) => [a.cls, a.ins].map((b) => b.toString(16).padStart(2, '0')).join(' ');

describe('ZVT reservation profile: bytes on the wire', () => {
  it('06 24 book total carries 87 receipt, 04 amount, 0B trace and 3B AID; 06 25 carries 87, 04 and 49', () => {
    const book = build.bookTotal({ receiptNumber: '0012', amountCents: 250, trace: '000034', aid: 'R0000012' });
    expect(Buffer.from([book.cls, book.ins, ...book.data]).toString('hex')).toBe('0624' + '870012' + '04000000000250' + '0b000034' + '3b' + Buffer.from('R0000012').toString('hex'));
    const rev = build.preAuthReversal({ receiptNumber: '0012', amountCents: 250 });
    expect(Buffer.from([rev.cls, rev.ins, ...rev.data]).toString('hex')).toBe('0625' + '870012' + '04000000000250' + '490978');
    expect(parseReservationCommand(book.data)).toEqual({ receiptNumber: '0012', amountCents: 250, trace: '000034', aid: 'R0000012' });
    const pre = build.preAuthorisation(250);
    expect(Buffer.from([pre.cls, pre.ins, ...pre.data]).toString('hex')).toBe('0622' + '04000000000250' + '490978');
  });
});

describe('ZVT reservation profile: driver against the simulator (in memory)', () => {
  it('pre-authorisation reserves (nothing booked), book total after the decision books it', async () => {
    const { sim, driver, sent, decisions } = await setup();
    const prompts: PaymentPrompt[] = [];
    const out = await driver.authorize({ paymentId: 'r1', amountCents: 1250 }, (p) => prompts.push(p));
    expect(out).toMatchObject({ result: 'approved', amountCents: 1250, receipt: { resultCode: 0, receiptNumber: '0001', trace: '000001', aid: 'R0000001' } });
    expect(prompts).toContain('approved');
    await sleep(100);
    expect(sim.ledger()).toMatchObject([{ kind: 'reservation', reservation: 'reserved', state: 'authorized' }]);
    await driver.issuing('r1'); // nothing held: resolves at once
    await driver.commit('r1');
    expect(sim.ledger()).toMatchObject([{ kind: 'reservation', reservation: 'booked', state: 'committed', amountCents: 1250 }]);
    expect(decisions).toEqual(['r1:commit']);
    expect(sent.map(cmd)).toContain('06 22');
    const book = sent.find((a) => cmd(a) === '06 24')!;
    expect(parseReservationCommand(book.data)).toEqual({ receiptNumber: '0001', amountCents: 1250, trace: '000001', aid: 'R0000001' });
    await driver.commit('r1'); // idempotent
    expect(sent.filter((a) => cmd(a) === '06 24')).toHaveLength(1);
  });

  it('rollback releases the reservation with 06 25; a second rollback is already done; a book total after it is refused as not open', async () => {
    const { sim, driver, decisions } = await setup();
    await driver.authorize({ paymentId: 'r2', amountCents: 700 });
    expect(await driver.rollback('r2')).toMatchObject({ undone: true, detail: 'reservation released (06 25)' });
    expect(sim.ledger()).toMatchObject([{ kind: 'reservation', reservation: 'released', state: 'reversed' }]);
    expect(await driver.rollback('r2')).toMatchObject({ undone: true });
    await expect(driver.commit('r2')).rejects.toMatchObject({ code: 'not-open' });
    expect(decisions).toEqual(['r2:rollback']);
  });

  it('a declined pre-authorisation reserves nothing', async () => {
    const { sim, driver } = await setup({ behaviour: 'decline' });
    expect(await driver.authorize({ paymentId: 'r3', amountCents: 700 })).toMatchObject({ result: 'failed', reason: 'declined' });
    expect(sim.ledger()).toEqual([]);
  });

  it('a reservation neither booked nor reversed expires at the terminal; booking it then is refused as not open', async () => {
    const { sim, driver } = await setup({ reservationLifetimeMs: 150 });
    await driver.authorize({ paymentId: 'r4', amountCents: 700 });
    await sleep(300);
    expect(sim.ledger()).toMatchObject([{ reservation: 'expired', state: 'reversed' }]);
    await expect(driver.commit('r4')).rejects.toMatchObject({ code: 'not-open' });
  });

  it('the terminal goes silent at book total: offline, the reservation stays open; once it is back, a restarted driver books it by the hints', async () => {
    const { sim, driver, newDriver } = await setup();
    const out = await driver.authorize({ paymentId: 'r5', amountCents: 900 });
    if (out.result !== 'approved') throw new Error('not approved');
    sim.setBehaviour('silent');
    await expect(driver.commit('r5')).rejects.toMatchObject({ code: 'offline' });
    expect(sim.ledger()).toMatchObject([{ reservation: 'reserved', state: 'authorized' }]);
    sim.setBehaviour('approve');
    await driver.stop();
    const again = await newDriver();
    stops.push(() => again.stop());
    const hints = { receiptNumber: out.receipt.receiptNumber!, amountCents: 900, trace: out.receipt.trace!, aid: out.receipt.aid! };
    expect(await again.resolve('r5', hints)).toMatchObject({ state: 'open' });
    await again.commit('r5', hints);
    expect(sim.ledger()).toMatchObject([{ reservation: 'booked', state: 'committed' }]);
    expect(await again.resolve('r5', hints)).toMatchObject({ state: 'committed' });
  });

  it('a book total that never reaches the terminal (cable pulled): offline, never "not open"; a driver on the cable again books it by the hints', async () => {
    const { sim, driver, cut, newDriver } = await setup();
    const out = await driver.authorize({ paymentId: 'r8', amountCents: 300 });
    if (out.result !== 'approved') throw new Error('not approved');
    cut();
    await expect(driver.commit('r8')).rejects.toMatchObject({ code: 'offline' });
    expect(sim.ledger()).toMatchObject([{ reservation: 'reserved' }]);
    const again = await newDriver();
    stops.push(() => again.stop());
    await again.commit('r8', { receiptNumber: out.receipt.receiptNumber!, amountCents: 300, trace: out.receipt.trace!, aid: out.receipt.aid! });
    expect(sim.ledger()).toMatchObject([{ reservation: 'booked', state: 'committed' }]);
  });

  it('a book total that landed before a crash: the next process commits idempotently (repeat receipt shows the booking)', async () => {
    const { sim, driver, newDriver } = await setup();
    const out = await driver.authorize({ paymentId: 'r6', amountCents: 400 });
    if (out.result !== 'approved') throw new Error('not approved');
    await driver.commit('r6');
    await driver.stop();
    const again = await newDriver();
    stops.push(() => again.stop());
    const hints = { receiptNumber: out.receipt.receiptNumber!, amountCents: 400, trace: out.receipt.trace!, aid: out.receipt.aid! };
    expect(await again.resolve('r6', hints)).toMatchObject({ state: 'committed' });
    await again.commit('r6', hints);
    expect(sim.ledger()).toMatchObject([{ reservation: 'booked', state: 'committed', amountCents: 400 }]);
  });

  it('a payment the kiosk never saw reserved (no receipt number) resolves as reversed and its rollback needs no wire', async () => {
    const { driver } = await setup();
    expect(await driver.resolve('r7', { amountCents: 100 })).toMatchObject({ state: 'reversed' });
    expect(await driver.rollback('r7', { amountCents: 100 })).toMatchObject({ undone: true });
  });
});
