/**
 * What became of one top-up, from the four places that hold money: the kiosk's journal, the card
 * (read back through the real card stack by the restarted kiosk), the terminal's ledger and the back
 * office. Used by the money proofs to check "the payment stands iff the card was credited, and the
 * journal says which", and to print the table of injected failures and outcomes.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { paymentRef } from '../../main/services/top-up.js';
import { CaseFilter, creditOrderId } from '../../backoffice/reconciliation.js';
import type { MoneyRig, RunnerHandle, SimulatorLedger } from './rig.js';

export interface TopUpOutcome {
  paymentId: string | undefined;
  /** Record types of the payment operation, in order. */
  journal: string[];
  /** The payment operation's last record (the journal's verdict). */
  journalFinal: string | undefined;
  journalSaysCardCredited: boolean;
  /** The journal marks a card write whose result was unknown (card gone mid-write). */
  journalSaysWriteUncertain: boolean;
  /** Issue 12: the kiosk kept the payment and the card is owed the credit under the payment's ref
   *  (`payment.credit-pending` {ref}); the back office loads it at the next tap unless the card holds the ref. */
  creditPending: boolean;
  /** The ref the pending credit names (must be the payment's card ref). */
  creditPendingRef: string | undefined;
  /** The terminal booked the payment (ledger: committed, not reversed). */
  terminalStands: boolean;
  terminalEntries: string;
  /** The card carries this payment's top-up record and the balance rose by the amount once. */
  cardCredited: boolean;
  balanceDeltaCents: number;
  /** Every journal record reached the back office, no gaps, the payment's verdict included. */
  backOfficeComplete: boolean;
  backOfficeFinal: string | undefined;
  unfinishedAfterRecovery: number;
  chainOk: boolean;
  recovery: string;
  /** What the restarted kiosk's card check found (why recovery committed or undid a write). */
  cardCheck: string;
}

export async function topUpOutcome(
  rig: MoneyRig,
  kiosk: { kioskId: string; dataDir: string },
  opts: { ledgerBefore: number; balanceBefore: number; last: RunnerHandle },
): Promise<TopUpOutcome> {
  const j = rig.journal(kiosk);
  const intent = j.records.find((r) => r.type === 'payment.intent');
  const paymentId = intent?.operationId;
  const op = paymentId ? j.records.filter((r) => r.operationId === paymentId) : [];
  const types = op.map((r) => r.type);
  const final = types.at(-1);
  const journalSaysCardCredited =
    (final === 'payment.committed' && !op.some((r) => r.type === 'payment.credit-pending')) || (final === 'payment.reversed' && op.at(-1)?.data?.['cardCredited'] === true);

  const ledger: SimulatorLedger = (await rig.ledger()).slice(opts.ledgerBefore);
  const payments = ledger.filter((e) => e.kind !== 'reversal');
  const terminalStands = payments.some((e) => e.state === 'committed');

  const card = await opts.last.event('card');
  const refs = (card['refs'] as string[] | undefined) ?? [];
  const balance = typeof card['balanceCents'] === 'number' ? card['balanceCents'] : NaN;
  const cardCredited = paymentId !== undefined && refs.includes(paymentRef(paymentId));

  const status = rig.backOffice.store.intakeStatus(kiosk.kioskId);
  const bo = rig.backOffice.store.journalRecords(kiosk.kioskId);
  const boOp = paymentId ? bo.filter((r) => r.operationId === paymentId) : [];
  const started = await opts.last.event('started');
  const rec = (started['recovery'] as { operations: { stoppedAt: string; action: string; kind: string }[] }).operations;
  return {
    paymentId,
    journal: types,
    journalFinal: final,
    journalSaysCardCredited,
    journalSaysWriteUncertain: op.some((r) => r.type === 'card.write-failed' && r.data?.['uncertain'] === true),
    creditPending: op.some((r) => r.type === 'payment.credit-pending'),
    creditPendingRef: ((v) => (typeof v === 'string' ? v : undefined))(op.find((r) => r.type === 'payment.credit-pending')?.data?.['ref']),
    terminalStands,
    terminalEntries: ledger.map((e) => `${e.kind ?? 'payment'} ${e.receiptNumber} ${e.state}${e.reservation ? ` (${e.reservation})` : ''}`).join('; ') || 'none',
    cardCredited,
    balanceDeltaCents: balance - opts.balanceBefore,
    backOfficeComplete: status.gaps.length === 0 && status.contiguousSeq === j.lastSeq && bo.length === j.records.length,
    backOfficeFinal: boOp.at(-1)?.type,
    unfinishedAfterRecovery: j.unfinished,
    chainOk: j.chainOk,
    cardCheck: opts.last.events.filter((e) => e['event'] === 'card-check').map((e) => `${String(e['result'])}: ${String(e['why'])}`).join('; '),
    recovery: rec.filter((r) => r.kind === 'payment').map((r) => `${r.stoppedAt} -> ${r.action}`).join('; ') || 'nothing to recover',
  };
}

/**
 * The traveller's next tap after a pending credit (issue 12): collect it at ANOTHER kiosk, where the
 * back office serves it as an order under the payment's ref once it learns the card number. What
 * the card and the back office hold afterwards.
 */
export async function collectPendingCredit(
  rig: MoneyRig,
  creditKiosk: { kioskId: string },
  paymentId: string,
  balanceBefore: number,
): Promise<{ result: unknown; refOnCard: boolean; totalDeltaCents: number; collected: boolean; exitCode: number | null }> {
  const orderId = creditOrderId(creditKiosk.kioskId, paymentId);
  const run = rig.runKiosk(rig.newKiosk(), { flow: 'collect-order', orderId });
  const collected = await run.event('collected', 60_000);
  await run.event('done', 60_000);
  const exit = await run.exit();
  const card = await run.event('card');
  return {
    result: collected['result'] ?? collected['error'],
    refOnCard: ((card['refs'] as string[] | undefined) ?? []).includes(paymentRef(paymentId)),
    totalDeltaCents: (card['balanceCents'] as number) - balanceBefore,
    collected: rig.backOffice.store.order(orderId)?.collected === true,
    exitCode: exit.code,
  };
}

/** The reconciliation cases the back office holds for a payment (kind and state). */
export async function casesOf(rig: MoneyRig, paymentId: string): Promise<string[]> {
  const all = await rig.backOffice.store.recon.listCases(CaseFilter.parse({}));
  return all.filter((c) => c.operationId === paymentId).map((c) => `${c.kind} ${c.state}`);
}

export interface OutcomeRow {
  point: string;
  outcome: TopUpOutcome;
  note?: string;
}

/** Markdown table of injected failure points and outcomes; printed and saved under test-results/. */
export function outcomeTable(title: string, rows: OutcomeRow[], file: string): string {
  const lines = [
    `## ${title}`,
    '',
    '| # | injected failure | recovery at restart | journal verdict | terminal (simulator ledger) | card | back office | payment stands iff card credited (or the credit is owed: credit-pending) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r, i) => {
      const o = r.outcome;
      const inv =
        o.terminalStands === o.cardCredited && !o.creditPending
          ? 'yes'
          : o.terminalStands && o.creditPending
            ? `yes — credit-pending ${o.creditPendingRef ?? '?'}: ${o.cardCredited ? 'the card holds the ref, nothing more to load' : 'loaded once at the next tap'}`
            : o.journalSaysCardCredited
              ? 'no — payment.reversed {cardCredited}: ends in the reconciliation case credited-not-paid'
              : o.journalSaysWriteUncertain
                ? 'no — card.write-failed {uncertain} then reversed: case credited-not-paid when the card shows the ref'
                : 'NO — NOT RECORDED';
      return `| ${i + 1} | ${r.point} | ${o.recovery} | ${o.journalFinal ?? 'none'}${o.creditPending ? ' (credit-pending)' : ''}${o.journalSaysCardCredited && o.journalFinal === 'payment.reversed' ? ' (cardCredited)' : ''} | ${o.terminalStands ? 'booked' : 'not booked'} (${o.terminalEntries}) | ${o.cardCredited ? `credited +${o.balanceDeltaCents}` : `not credited (${o.balanceDeltaCents >= 0 ? '+' : ''}${o.balanceDeltaCents})`} | ${o.backOfficeComplete ? `all records, ${o.backOfficeFinal ?? '-'}` : 'INCOMPLETE'} | ${inv}${r.note ? ` — ${r.note}` : ''} |`;
    }),
    '',
  ];
  const text = lines.join('\n');
  const out = path.resolve('test-results', file);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${text}\n_Generated by test/money (${new Date().toISOString()})._\n`);
  return text;
}

export interface OrderOutcome {
  operationId: string | undefined;
  journal: string[];
  journalFinal: string | undefined;
  /** The card carries the order's ref (and the balance rose by the order's amount once). */
  cardLoaded: boolean;
  balanceDeltaCents: number;
  /** The back office marked the order collected. */
  backOfficeCollected: boolean;
  backOfficeComplete: boolean;
  unfinishedAfterRecovery: number;
  chainOk: boolean;
  recovery: string;
  cardCheck: string;
}

export async function orderOutcome(
  rig: MoneyRig,
  kiosk: { kioskId: string; dataDir: string },
  opts: { orderId: string; ref: string; balanceBefore: number; last: RunnerHandle },
): Promise<OrderOutcome> {
  const j = rig.journal(kiosk);
  const intent = j.records.find((r) => r.type === 'order.collect-intent' && r.data?.['orderId'] === opts.orderId);
  const op = intent ? j.records.filter((r) => r.operationId === intent.operationId) : [];
  const card = await opts.last.event('card');
  const refs = (card['refs'] as string[] | undefined) ?? [];
  const balance = typeof card['balanceCents'] === 'number' ? card['balanceCents'] : NaN;
  const status = rig.backOffice.store.intakeStatus(kiosk.kioskId);
  const bo = rig.backOffice.store.journalRecords(kiosk.kioskId);
  const started = await opts.last.event('started');
  const rec = (started['recovery'] as { operations: { stoppedAt: string; action: string; kind: string }[] }).operations;
  return {
    operationId: intent?.operationId,
    journal: op.map((r) => r.type),
    journalFinal: op.at(-1)?.type,
    cardLoaded: refs.includes(opts.ref),
    balanceDeltaCents: balance - opts.balanceBefore,
    backOfficeCollected: rig.backOffice.store.order(opts.orderId)?.collected === true,
    backOfficeComplete: status.gaps.length === 0 && status.contiguousSeq === j.lastSeq && bo.length === j.records.length,
    unfinishedAfterRecovery: j.unfinished,
    chainOk: j.chainOk,
    recovery: rec.filter((r) => r.kind === 'order').map((r) => `${r.stoppedAt} -> ${r.action}`).join('; ') || 'nothing to recover',
    cardCheck: opts.last.events.filter((e) => e['event'] === 'card-check').map((e) => `${String(e['result'])}: ${String(e['why'])}`).join('; '),
  };
}

/**
 * What the traveller's next tap made of an order recovery left inconsistent or pending (the test
 * continues the scenario): the back office's order state and the card after it.
 */
export interface NextTap {
  /** What the next tap was, e.g. "balance look at another kiosk, then collect". */
  how: string;
  /** The back office marks the order collected after it. */
  collected: boolean;
  /** The card holds the order's ref after it. */
  refOnCard: boolean;
  /** Balance change since before the first attempt: the order's amount once, never twice. */
  totalDeltaCents: number;
  expectedDeltaCents: number;
}

export interface OrderRow {
  point: string;
  outcome: OrderOutcome;
  nothingOnCard?: boolean;
  next?: NextTap;
}

/** consistent now; else consistent after the next tap (the order on the card exactly once, the back office says collected); else NO. */
export function orderConsistency(r: OrderRow): string {
  const o = r.outcome;
  const now = r.nothingOnCard
    ? !o.cardLoaded && o.balanceDeltaCents === 0 && o.backOfficeCollected === (o.journalFinal === 'order.collected')
    : o.cardLoaded === o.backOfficeCollected && o.cardLoaded === (o.journalFinal === 'order.collected');
  const n = r.next;
  const after = n !== undefined && n.collected && n.refOnCard && n.totalDeltaCents === n.expectedDeltaCents;
  if (now) return after ? `yes; after the next tap (${n.how}): collected, loaded once (+${n.totalDeltaCents} in all)` : 'yes';
  if (after) return `consistent after the next tap (${n.how}): collected, loaded once (+${n.totalDeltaCents} in all)`;
  return n ? `NO, even after the next tap (${n.how}): ${JSON.stringify(n)}` : 'NO';
}

export function orderTable(title: string, rows: OrderRow[], file: string): string {
  const lines = [
    `## ${title}`,
    '',
    '| # | injected failure | recovery at restart | journal verdict | card | back office order | consistent (at restart; else after the next tap, which the test runs) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r, i) => {
      const o = r.outcome;
      return `| ${i + 1} | ${r.point} | ${o.recovery} | ${o.journalFinal ?? 'none'} | ${r.nothingOnCard ? `nothing to write (+${o.balanceDeltaCents})` : o.cardLoaded ? `loaded +${o.balanceDeltaCents}` : `not loaded (+${o.balanceDeltaCents})`} | ${o.backOfficeCollected ? 'collected' : 'still pending'} | ${orderConsistency(r)} |`;
    }),
    '',
  ];
  const text = lines.join('\n');
  const out = path.resolve('test-results', file);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${text}\n_Generated by test/money (${new Date().toISOString()})._\n`);
  return text;
}
