/**
 * The approvals ledger: every payment the terminal approved to this driver (or that a previous
 * process left it holding), and where each stands on the way to the terminal's verdict.
 *
 *   awaiting-decision --commit()/rollback()--> deciding --06 0F--> committed (or booked: without our commit)
 *                                                      --06 1E--> reversed
 *   (no ending seen) --> unclear, until resolve() learns what became of it
 */
import type { PaymentDecisionHook, PaymentReceipt, PaymentResolution } from '../../payment-terminal.js';
import type { Apdu } from '../apdu.js';
import { deferred, type Deferred } from '../inbox.js';
import { build, type StatusInformation } from '../messages.js';
import { RESULT } from '../result-codes.js';
import { forgetOldestFinished } from './ledger-bound.js';

/** The negative answer to 04 0F that makes the terminal reverse ("goods not issued"). */
export const NEGATIVE_VEND_ANSWER = RESULT.ABORTED;

export type ApprovalState = 'awaiting-decision' | 'deciding' | 'committed' | 'reversed' | 'booked' | 'unclear';
export type Decision = 'commit' | 'rollback';
export type Verdict = 'committed' | 'reversed' | 'unclear';

export interface Approval {
  paymentId: string;
  amountCents: number;
  receipt: PaymentReceipt;
  info: StatusInformation;
  state: ApprovalState;
  decision?: Decision;
  /** Resolved when the kiosk decided (the conversation answers the held 04 0F at once). */
  decided: Deferred<void>;
  /** Resolved with the terminal's verdict once the decision was answered. */
  settled: Deferred<Verdict>;
  /** Held by the unsolicited-message path (a transaction of a previous process). */
  orphan?: boolean;
  /** Resolved when the kiosk starts issuing the goods (card write): no more holding, "please wait" at once. */
  issuing: Deferred<void>;
  /** Set while the driver holds its answer to the terminal's 04 0F; resolved once that answer is sent. */
  held?: Deferred<void>;
  /** Did the terminal acknowledge (ACK) the driver's last answer to its 04 0F? */
  lastAnswerDelivered?: boolean;
  /** Resolved when the terminal asks its 04 0F again (issuing() waits for it when nothing is held). */
  nextAsk?: Deferred<void>;
}

export function newApproval(paymentId: string, amountCents: number, receipt: PaymentReceipt, info: StatusInformation): Approval {
  return { paymentId, amountCents, receipt, info, state: 'awaiting-decision', decided: deferred<void>(), settled: deferred(), issuing: deferred<void>() };
}

export function unclearApproval(paymentId: string, amountCents: number): Approval {
  const a = newApproval(paymentId, amountCents, { resultCode: -1, amountCents }, { resultCode: -1 });
  a.state = 'unclear';
  a.settled.resolve('unclear');
  return a;
}

/** Still waiting for the kiosk's decision or for the terminal to act on it. */
export const isOpen = (a: Approval): boolean => a.state === 'awaiting-decision' || a.state === 'deciding';

/** The terminal's verdict on an approval: record it and wake whoever waits for it. */
export function settle(a: Approval, verdict: 'committed' | 'reversed'): void {
  a.state = verdict;
  a.settled.resolve(verdict);
}

/** What the approval means to resolve(). */
export function resolutionState(a: Approval): PaymentResolution['state'] {
  switch (a.state) {
    case 'awaiting-decision':
    case 'deciding':
      return 'open';
    case 'booked':
    case 'committed':
      return 'committed';
    case 'reversed':
      return 'reversed';
    case 'unclear':
      return 'unknown';
  }
}

/** The answer to a (re-)asked 04 0F: the decision if made, else "please wait". */
export function answerFor(a: Approval): Apdu {
  if (a.decision === 'commit') return build.positive();
  if (a.decision === 'rollback') return build.negative(NEGATIVE_VEND_ANSWER);
  return build.negative(RESULT.PLEASE_WAIT);
}

export class Approvals {
  private readonly byPayment = new Map<string, Approval>();

  constructor(private readonly onDecision: PaymentDecisionHook | undefined) {}

  get(paymentId: string): Approval | undefined {
    return this.byPayment.get(paymentId);
  }
  has(paymentId: string): boolean {
    return this.byPayment.has(paymentId);
  }
  /** File an approval under the kiosk's payment id (an orphan gets its id here). */
  set(paymentId: string, a: Approval): void {
    a.paymentId = paymentId;
    this.byPayment.set(paymentId, a);
    forgetOldestFinished(this.byPayment, (x) => x.state === 'committed' || x.state === 'reversed' || x.state === 'booked');
  }
  /** How many approvals the ledger holds (bounded: ledger-bound.ts). */
  get size(): number {
    return this.byPayment.size;
  }

  /** Tell the kiosk (awaited, it journals) before a decision reaches the terminal. */
  async announce(paymentId: string, decision: Decision): Promise<void> {
    await this.onDecision?.(paymentId, decision);
  }

  /**
   * The kiosk decided on an approval awaiting its decision: announce it, then release the held
   * 04 0F answer. False when the approval moved on meanwhile (the caller looks again).
   */
  async decide(a: Approval, decision: Decision): Promise<boolean> {
    await this.announce(a.paymentId, decision);
    if (a.state !== 'awaiting-decision') return false;
    a.decision = decision;
    a.state = 'deciding';
    a.decided.resolve();
    return true;
  }
}
