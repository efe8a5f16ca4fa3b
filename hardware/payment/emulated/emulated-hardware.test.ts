import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../contract/time.js';
import { createPaymentHardware, isPaymentTerminalError } from '../index.js';
import type { PaymentPrompt } from '../payment-terminal.js';
import type { TerminalBehaviour } from '../emulator-control.js';
import type { EmulatedHardware } from './emulated-hardware.js';

const clock = fixedClock('2026-11-23T08:00:00Z');
// silenceMs is the driver's T4 in emulated mode (see emulated-hardware.ts): long enough for a loaded machine's gaps between prompts
async function hw(extra: Record<string, unknown> = {}, decisions: string[] = []) {
  return createPaymentHardware(
    { mode: 'emulated', promptDelayMs: 1, silenceMs: 1_000, commitWindowMs: 5_000, ...extra },
    { clock, onDecision: (id, d) => void decisions.push(`${id}:${d}`) },
  );
}

describe('emulated payment terminal (ZVT driver and simulator over an in-memory link)', () => {
  it('holds an approved payment open until commit, then the ledger says committed', async () => {
    const decisions: string[] = [];
    const h = await hw({}, decisions);
    const prompts: PaymentPrompt[] = [];
    const out = await h.terminal.authorize({ paymentId: 'p1', amountCents: 1250 }, (p) => prompts.push(p));
    expect(out.result).toBe('approved');
    expect(prompts).toEqual(['insert-card', 'enter-pin', 'waiting-for-host', 'approved']);
    expect(h.control!.ledger()).toEqual([{ paymentId: 'p1', receiptNumber: '0001', amountCents: 1250, state: 'authorized' }]);
    await h.terminal.commit('p1');
    expect(h.control!.ledger()[0]!.state).toBe('committed');
    expect(decisions).toEqual(['p1:commit']);
    expect(await h.terminal.resolve!('p1')).toMatchObject({ state: 'committed' });
    await h.stop();
  });

  it('rollback of an uncommitted payment makes the ledger say reversed', async () => {
    const h = await hw();
    await h.terminal.authorize({ paymentId: 'p2', amountCents: 500 });
    expect(await h.terminal.rollback('p2')).toMatchObject({ undone: true });
    expect(h.control!.ledger()[0]!.state).toBe('reversed');
    await expect(h.terminal.commit('p2')).rejects.toMatchObject({ code: 'not-open' });
    await h.stop();
  });

  it('the terminal reverses an approval whose commit window passed', async () => {
    const h = await hw({ commitWindowMs: 20 });
    await h.terminal.authorize({ paymentId: 'p3', amountCents: 500 });
    await new Promise((r) => setTimeout(r, 60));
    expect(h.control!.ledger()[0]!.state).toBe('reversed');
    await h.stop();
  });

  const failures: [TerminalBehaviour, string][] = [
    ['decline', 'declined'],
    ['wrong-pin', 'wrong-pin'],
    ['customer-abort', 'customer-abort'],
    ['card-not-readable', 'card-not-readable'],
    ['not-registered', 'terminal-not-ready'],
    ['host-timeout', 'timeout'],
  ];
  for (const [behaviour, reason] of failures)
    it(`behaviour ${behaviour} fails with reason ${reason} and books nothing`, async () => {
      const h = await hw({ behaviour });
      const out = await h.terminal.authorize({ paymentId: 'f', amountCents: 100 });
      expect(out).toMatchObject({ result: 'failed', reason });
      expect(h.control!.ledger()).toEqual([]);
      await h.stop();
    });

  it('silent: an uncertain failure, and the terminal (back on the line) reverses what it approved', async () => {
    const h = await hw({ behaviour: 'silent' });
    const out = await h.terminal.authorize({ paymentId: 's', amountCents: 100 });
    expect(out).toMatchObject({ result: 'failed', uncertain: true });
    // a silent ZVT terminal hears nothing until it comes back; then it reverses the unacknowledged approval
    h.control!.setBehaviour('approve');
    expect(await h.terminal.resolve!('s')).toMatchObject({ state: 'reversed' });
    expect(h.control!.ledger()[0]!.state).toBe('reversed');
    await h.stop();
  });

  it('ECR abort during the card prompt ends as customer-abort', async () => {
    const h = await hw({ promptDelayMs: 20 });
    const p = h.terminal.authorize({ paymentId: 'a', amountCents: 100 });
    setTimeout(() => void h.terminal.abort(), 10);
    expect(await p).toMatchObject({ result: 'failed', reason: 'customer-abort' });
    await h.stop();
  });

  for (const behaviour of ['drop-acks', 'corrupt-crc'] as const)
    it(`behaviour ${behaviour} works in process: the transport recovers and the payment is booked`, async () => {
      // drop-acks: a short T2, so the frames nobody ACKs are sent again quickly
      const h = (await hw({ behaviour, ...(behaviour === 'drop-acks' ? { timers: { t2Ms: 250 } } : {}) })) as EmulatedHardware;
      const out = await h.terminal.authorize({ paymentId: behaviour, amountCents: 300 });
      expect(out.result).toBe('approved');
      await h.terminal.commit(behaviour);
      expect(h.control.ledger()).toEqual([{ paymentId: behaviour, receiptNumber: '0001', amountCents: 300, state: 'committed' }]);
      const stats = h.simulator.stats;
      if (behaviour === 'corrupt-crc') expect(stats.repeats).toBeGreaterThan(0); // every first transmission NAKed, sent again
      else expect(h.driver.transportStats().repeats).toBeGreaterThan(0); // no ACK within T2: sent again
      await h.stop();
    });

  it('bad input gets a typed error', async () => {
    const h = await hw();
    const e = await h.terminal.authorize({ paymentId: 'x', amountCents: 12.5 }).catch((x: unknown) => x);
    expect(isPaymentTerminalError(e) && e.code).toBe('invalid-request');
    await expect(createPaymentHardware({ mode: 'real' }, { clock })).rejects.toMatchObject({ code: 'config' });
    expect(() => h.control!.setBehaviour('nope' as TerminalBehaviour)).toThrow(/unknown terminal behaviour/);
    await h.stop();
  });
});
