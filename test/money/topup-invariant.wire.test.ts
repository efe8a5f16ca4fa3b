/**
 * Issue 4 money invariant, end to end on the real stacks: a failure is injected at every step of a
 * top-up — before and after the approval, during the card write (card pulled away), around the
 * commit answer, the terminal going silent, dropping ACKs, corrupting CRCs, answering slowly, the
 * kiosk process killed and restarted — and the outcome is checked against the terminal simulator's
 * own ledger: the payment stands if and only if the card was credited, and the journal says which.
 * Every case ends with a kiosk restart (start-up recovery, upload to the back office, the card read
 * back through the stack). The table of injected failures and outcomes is printed and saved as
 * test-results/money-invariant.md.
 *
 * Two outcomes are allowed to break "stands iff credited", because the protocol leaves the kiosk no
 * way to prevent them; the test requires that the journal (and so the back office) records them:
 * - the terminal reverses on its own after the card was credited (it went silent before the commit
 *   answer): `payment.reversed` {cardCredited: true} — a credit that is not paid;
 * - the card is pulled away after the write landed but before its answer, and the traveller never
 *   comes back: `card.write-failed` {uncertain: true} then `payment.reversed` — the back office
 *   reconciles with the card's top-up record (ref = the payment id's first 8 hex characters).
 *
 * Both terminal profiles (issue 12, window 9): 'commit-point' (06 01, the held answer to 04 0F) and
 * 'reservation' (06 22 / 06 24 / 06 25). Under the reservation profile the first admitted outcome
 * above cannot happen: a terminal that goes silent only delays the book total, and the kiosk books
 * until the terminal confirms (that case expects 'booked'). `npm test` runs the reservation profile
 * on the cases marked `reservationSubset`; KIOSK_FULL_MONEY_MATRIX=1 runs all of them.
 *
 * Needs pcscd + vsmartcard-vpcd (root) and socat: skipped with the reason elsewhere, failing in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalBehaviour } from '../../hardware/payment/emulator-control.js';
import type { JournalEntryType } from '../../main/journal/journal.js';
import type { RunnerConfig } from './kiosk-runner.js';
import { casesOf, collectPendingCredit, outcomeTable, topUpOutcome, type OutcomeRow, type TopUpOutcome } from './outcome.js';
import { paymentRef } from '../../main/services/top-up.js';
import { moneyRigSkipReason, runsUnder, startMoneyRig, ZVT, type MoneyRig, type RunnerHandle, type TerminalFlow } from './rig.js';

const skip = moneyRigSkipReason();
const AMOUNT = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 'credit pending' (issue 12): the credit's landing could not be known; the payment is kept and the card holds the credit or is owed it under the payment's ref. */
/** 'recorded: credited, not paid': the one admitted outcome of the commit-point profile (docs/money-proofs.md,
 * issue 12 window 9): the terminal acknowledged "please wait", the card was credited, then the terminal
 * went silent and reversed on its own. The kiosk cannot prevent it; the journal says so
 * (payment.reversed with the card credited) and the back office opens a credited-not-paid case. */
type Expected = 'booked' | 'not booked' | 'credit pending' | 'recorded: credited, not paid';

interface InvariantCase {
  point: string;
  /** The terminal's behaviour for the top-up. */
  behaviour?: TerminalBehaviour;
  crashAfter?: JournalEntryType;
  crash?: RunnerConfig['crash'];
  /** What happens once the payment is approved, before the card is written. */
  atApproved?: 'pull-card' | 'terminal-silent';
  /**
   * The terminal goes silent once the kiosk starts writing the card. Commit point: armed in the
   * simulator before the payment, it goes silent right after acknowledging the first "please wait",
   * and the case holds the 04 0F answer 2 s (below the simulator's T3 of 3 s), so that "please
   * wait" is the one the kiosk sends as it starts the write (one card read after the approval).
   * Pausing at 'approved' and setting the behaviour from the test instead raced the terminal's
   * re-ask (800 ms): a slow pause on a loaded machine let the terminal ask again first, the kiosk
   * then rightly refused to write for a terminal that never asked again, and the case ended not
   * booked (CI saw it once). Reservation: silent at book total (06 24), set at the 'approved'
   * pause, where nothing is held.
   */
  silentWhenIssuing?: true;
  /** The driver's hold of the 04 0F answer (the rig's default is ~0, see test/money/rig.ts). */
  holdMs?: number;
  /** The card leaves the field right after this block write ('last' = the final one). */
  tearAfterWrite?: number | 'last';
  /** After a failed credit: the traveller holds the card again (true) or walks away (false). */
  travellerReturns?: boolean;
  /** Shorter T4 where the case waits for a silent terminal. */
  t4Ms?: number;
  /** The kiosk's T2 (wait for the terminal's ACK before a repeat), shorter where the terminal drops ACKs. */
  t2Ms?: number;
  expect: Expected;
  /** What the reservation profile must do instead, where it differs (window 9: it prevents what the commit point only records). */
  expectReservation?: Expected;
  /** Run under the reservation profile in `npm test` (else only with KIOSK_FULL_MONEY_MATRIX=1). */
  reservationSubset?: boolean;
}

for (const flow of ['commit-point', 'reservation'] as const satisfies readonly TerminalFlow[])
describe.skipIf(skip)(`the money invariant on the wire (terminal profile ${flow}): a failure at every step of a top-up, checked against the terminal's ledger${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let rig: MoneyRig;
  let writesPerCredit = 0;
  const rows: OutcomeRow[] = [];

  beforeAll(async () => {
    rig = await startMoneyRig({ flow });
  }, 90_000);

  afterAll(async () => {
    if (rows.length) console.log(outcomeTable(`Money invariant (terminal profile ${flow}): injected failure -> outcome (terminal simulator ledger, card, journal, back office)`, rows, flow === 'commit-point' ? 'money-invariant.md' : 'money-invariant-reservation.md'));
    await rig?.stop();
  }, 30_000);

  /** Follow the kiosk's pauses until it exits: inject what the case says at each. */
  async function drive(run: RunnerHandle, c: InvariantCase): Promise<void> {
    let handled = 0;
    let gone = false;
    void run.exited.then(() => (gone = true));
    while (!gone) {
      const paused = run.events.filter((e) => e['event'] === 'paused');
      if (paused.length > handled) {
        const at = paused[handled++]!['at'];
        if (at === 'approved') {
          if (c.atApproved === 'pull-card') await rig.card({ cmd: 'remove' });
          if (c.atApproved === 'terminal-silent') await rig.setBehaviour('silent');
          run.send({ go: true });
        } else if (at === 'credit-failed') {
          if (c.travellerReturns) await rig.card({ cmd: 'present', fixture: 'anonymous' });
          run.send({ retry: c.travellerReturns === true });
        }
      }
      await sleep(20);
    }
  }

  let lastKiosk: { kioskId: string; dataDir: string } | undefined;
  let lastBalanceBefore = 0;

  async function inject(c: InvariantCase): Promise<TopUpOutcome> {
    const kiosk = rig.newKiosk();
    await rig.setBehaviour(c.behaviour ?? 'approve');
    const ledgerBefore = (await rig.ledger()).length;
    await rig.card({ cmd: 'disarm' });
    if (c.tearAfterWrite !== undefined) await rig.card({ cmd: 'tearAfterWrite', n: c.tearAfterWrite === 'last' ? 'index' : c.tearAfterWrite });
    if (c.silentWhenIssuing && flow === 'commit-point') await rig.sim.silenceAfterPleaseWait();
    const atApproved = c.atApproved ?? (c.silentWhenIssuing && flow === 'reservation' ? 'terminal-silent' : undefined);
    const pauseAt: NonNullable<RunnerConfig['pauseAt']> = [...(atApproved ? (['approved'] as const) : []), ...(c.travellerReturns !== undefined ? (['credit-failed'] as const) : [])];
    const run1 = rig.runKiosk(
      kiosk,
      {
        flow: 'top-up',
        amountCents: AMOUNT,
        pauseAt,
        ...(c.crash ? { crash: c.crash } : {}),
        ...(c.t4Ms || c.t2Ms || c.holdMs
          ? {
              payment: {
                ...ZVT,
                ...(c.holdMs ? { holdMs: c.holdMs } : {}),
                timers: { ...ZVT.timers, ...(c.t4Ms ? { t4Ms: c.t4Ms } : {}), ...(c.t2Ms ? { t2Ms: c.t2Ms } : {}) },
              } as Record<string, unknown>,
            }
          : {}),
      },
      c.crashAfter ? { KIOSK_CRASH_AFTER: c.crashAfter } : {},
    );
    const before = await run1.event('before', 60_000);
    lastKiosk = kiosk;
    lastBalanceBefore = before['balanceCents'] as number;
    await drive(run1, { ...c, ...(atApproved ? { atApproved } : {}) });
    const exit = await run1.exit();
    if (c.crashAfter || c.crash) expect(exit.signal, `killed at ${c.point}`).toBe('SIGKILL');
    else expect(exit.code, `the kiosk ran the top-up to its end\n${run1.stderr().slice(-1500)}`).toBe(0);
    // the terminal is back to normal, the traveller (or the next one) holds the card: restart
    await rig.setBehaviour('approve');
    await rig.card({ cmd: 'present', fixture: 'anonymous' });
    const run2 = rig.runKiosk(kiosk, { flow: 'none' });
    await run2.event('done', 60_000);
    expect((await run2.exit()).code).toBe(0);
    await rig.terminalSettled();
    return topUpOutcome(rig, kiosk, { ledgerBefore, balanceBefore: before['balanceCents'] as number, last: run2 });
  }

  function expectOutcome(o: TopUpOutcome, expected: Expected) {
    const all = JSON.stringify(o);
    expect(o.paymentId).toBeDefined();
    expect(o.unfinishedAfterRecovery, `nothing left unfinished: ${all}`).toBe(0);
    expect(o.chainOk).toBe(true);
    expect(o.backOfficeComplete, `back office has every record: ${all}`).toBe(true);
    expect(o.backOfficeFinal).toBe(o.journalFinal);
    expect(o.balanceDeltaCents, all).toBe(o.cardCredited ? AMOUNT : 0);
    switch (expected) {
      case 'booked':
        expect(o, all).toMatchObject({ terminalStands: true, cardCredited: true, journalFinal: 'payment.committed', creditPending: false });
        break;
      case 'not booked':
        expect(o, all).toMatchObject({ terminalStands: false, cardCredited: false });
        expect(['payment.failed', 'payment.reversed']).toContain(o.journalFinal);
        expect(o.journalSaysCardCredited).toBe(false);
        expect(o.creditPending).toBe(false);
        break;
      case 'recorded: credited, not paid':
        expect(o, all).toMatchObject({ terminalStands: false, cardCredited: true, journalFinal: 'payment.reversed', journalSaysCardCredited: true, creditPending: false });
        break;
      case 'credit pending':
        expect(o, all).toMatchObject({ terminalStands: true, journalFinal: 'payment.committed', creditPending: true, creditPendingRef: paymentRef(o.paymentId!) });
        expect(o.journal, all).not.toContain('payment.reversed');
        break;
    }
  }

  it('no failure: the payment is booked and the card credited once (baseline)', async () => {
    const o = await inject({ point: 'none', expect: 'booked' });
    writesPerCredit = (await rig.card({ cmd: 'writes' }))['writes'] as number;
    expect(writesPerCredit).toBeGreaterThan(1);
    rows.push({ point: 'none (baseline)', outcome: o });
    expectOutcome(o, 'booked');
  }, 120_000);

  const cases: InvariantCase[] = [
    // before the approval
    { point: 'before approval: terminal declines', behaviour: 'decline', expect: 'not booked', reservationSubset: true },
    { point: 'before approval: wrong PIN', behaviour: 'wrong-pin', expect: 'not booked' },
    { point: 'before approval: customer aborts at the terminal', behaviour: 'customer-abort', expect: 'not booked' },
    { point: 'before approval: bank card not readable', behaviour: 'card-not-readable', expect: 'not booked' },
    { point: 'before approval: host timeout', behaviour: 'host-timeout', expect: 'not booked' },
    { point: 'before approval: terminal goes silent mid-transaction (T4 4 s)', behaviour: 'silent', t4Ms: 4_000, expect: 'not booked' },
    { point: 'before approval: kiosk killed (after payment.intent) and restarted', crashAfter: 'payment.intent', expect: 'not booked' },
    // after the approval, before the card write
    { point: 'after approval: kiosk killed (after payment.approved) and restarted', crashAfter: 'payment.approved', expect: 'not booked', reservationSubset: true },
    { point: 'after approval: card pulled away before the write, traveller leaves', atApproved: 'pull-card', travellerReturns: false, expect: 'not booked', reservationSubset: true },
    { point: 'after approval: card pulled away before the write, traveller taps again', atApproved: 'pull-card', travellerReturns: true, expect: 'booked' },
    // during the card write
    // the card left mid-write and the kiosk cannot know how far the write got: the payment is kept, the credit owed
    { point: 'during the card write: card pulled after block write 1, traveller leaves', tearAfterWrite: 1, travellerReturns: false, expect: 'credit pending' },
    { point: 'during the card write: card pulled after block write 1, traveller taps again', tearAfterWrite: 1, travellerReturns: true, expect: 'booked' },
    { point: 'during the card write: card pulled after the last block write (landed, answer lost), traveller taps again', tearAfterWrite: 'last', travellerReturns: true, expect: 'booked' },
    {
      point: 'during the card write: card pulled after the last block write (landed, answer lost), traveller leaves',
      tearAfterWrite: 'last',
      travellerReturns: false,
      expect: 'credit pending',
      reservationSubset: true,
    },
    { point: 'during the card write: kiosk killed (after card.write-intent) and restarted', crashAfter: 'card.write-intent', expect: 'not booked' },
    // around the commit answer
    { point: 'before the commit answer: kiosk killed after card.written and restarted', crashAfter: 'card.written', expect: 'booked', reservationSubset: true },
    { point: 'before the commit answer: kiosk killed as it decided to commit (decision not sent) and restarted', crash: 'in-commit-hook', expect: 'booked' },
    // the terminal acknowledges the driver's "please wait", then goes silent and reverses on its own
    // while the card is written: outside the kiosk's control with the commit-point profile (window 9).
    // Reservation profile: the terminal goes silent at book total; the reservation stays, and the
    // restarted kiosk books it once the terminal answers again (prevented, not only recorded).
    {
      point: 'before the card write: terminal goes silent after the approval (T4 4 s), back later',
      silentWhenIssuing: true,
      holdMs: 2_000,
      t4Ms: 4_000,
      expect: 'recorded: credited, not paid',
      expectReservation: 'booked',
      reservationSubset: true,
    },
    { point: 'after the commit answer: kiosk killed before journaling payment.committed and restarted', crash: 'after-commit-ack', expect: 'booked', reservationSubset: true },
    { point: 'after the commit answer: kiosk killed after payment.committed and restarted', crashAfter: 'payment.committed', expect: 'booked' },
    // a bad line all along
    { point: 'all along: terminal drops every ACK (kiosk T2 600 ms)', behaviour: 'drop-acks', t2Ms: 600, expect: 'booked' },
    { point: 'all along: terminal corrupts the CRC of each first send', behaviour: 'corrupt-crc', expect: 'booked' },
    { point: 'all along: terminal answers slowly', behaviour: 'slow', expect: 'booked' },
  ];

  for (const c of cases.filter((x) => runsUnder(flow, x))) {
    const expected = flow === 'reservation' ? (c.expectReservation ?? c.expect) : c.expect;
    it(`${c.point}: ${expected}`, async () => {
      expect(writesPerCredit, 'the baseline ran first').toBeGreaterThan(1);
      const o = await inject(c);
      const row: OutcomeRow = { point: c.point, outcome: o };
      rows.push(row);
      expectOutcome(o, expected);
      // consistent: no reconciliation case for it
      if (expected === 'booked' || expected === 'not booked') expect(await casesOf(rig, o.paymentId!), 'consistent: no reconciliation case').toEqual([]);
      if (expected === 'recorded: credited, not paid') {
        // not left as "recorded": the back office's reconciliation opened exactly one case for it
        expect(await casesOf(rig, o.paymentId!), 'one reconciliation case, credited-not-paid').toEqual(['credited-not-paid open']);
        row.note = 'case credited-not-paid opened by the back office (proven)';
      }
      if (expected === 'credit pending') {
        // the traveller's next tap ends with the credit on the card exactly once
        const n = await collectPendingCredit(rig, lastKiosk!, o.paymentId!, lastBalanceBefore);
        expect(n, 'the pending credit is offered and loaded (or found on the card), once, and collected').toEqual({ result: 'loaded', refOnCard: true, totalDeltaCents: AMOUNT, collected: true, exitCode: 0 });
        row.note = `next tap (collect at another kiosk): ${o.cardCredited ? 'ref found on the card, nothing loaded' : `pending credit loaded +${AMOUNT}`}; +${AMOUNT} in all, once (proven)`;
        expect(await casesOf(rig, o.paymentId!), 'no case: consistent').toEqual([]);
      }
      // the reservation profile never sends 06 01: whatever the terminal holds is a reservation
      if (flow === 'reservation') expect(o.terminalEntries, 'the reservation flow on the wire (06 22)').not.toMatch(/\bpayment\b/);
    }, 150_000);
  }
});
