/**
 * The top-up journey, invoked by the session machine once a card that may top up is read:
 * amount (choose, then "Pay € 20,00") -> pay at the terminal -> hold the same card again -> write -> done.
 *
 * Money rule: once the terminal approved, the kiosk either credits the card (then commits the
 * payment) or undoes the payment; it never walks away in between. States tagged `protected` are
 * where money is in flight: the session machine runs no inactivity timer there. Instead, while
 * waiting for the card after approval, `creditWaitMs` bounds the wait, after which the payment is
 * rolled back (screen payment-undone) — never while a write is in progress.
 *
 * Side effects are actors the runtime provides (see ../types.ts); the defaults here throw, so a
 * machine that was not provided fails loudly instead of pretending.
 */
import { assertEvent, assign, fromCallback, fromPromise, sendTo, setup, stateIn } from 'xstate';
import type { CardIdentity, CardKind } from '../../contract/card.js';
import type { PaymentFailureReason, PaymentPrompt } from '../../contract/payment.js';
import type { ScreenId, WriteProblem } from '../../contract/bridge.js';
import type {
  AuthorizePaymentInput,
  CreditCardInput,
  CreditCardOutput,
  PaymentActorCommand,
  PaymentActorEvent,
  RollbackPaymentInput,
  RollbackPaymentOutput,
  WaitForCardInput,
  WaitForCardOutput,
} from '../types.js';
import { notProvidedIn, writeAnsweredProblem, writeThrew } from '../shared/card-write.js';

export interface TopUpInput {
  card: CardIdentity & { kind: CardKind; balanceCents: number };
  amountsCents: number[];
  maxBalanceCents: number;
  creditWaitMs: number;
  doneMs: number;
}

export type TopUpOutcome = 'back' | 'cancelled' | 'finished';

export interface TopUpOutput {
  outcome: TopUpOutcome;
  /** Set when the card was credited: its balance now. */
  balanceCents?: number;
}

export interface TopUpContext extends TopUpInput {
  /** The most that can be added without passing the maximum balance. */
  roomCents: number;
  selectedCents?: number;
  refusal?: { reason: 'over-limit'; roomCents: number };
  paymentId?: string;
  reference?: string;
  prompt?: PaymentPrompt;
  failure?: PaymentFailureReason;
  writeProblem?: WriteProblem;
  /** The next card wait must see a new presentation (the wrong card may still lie there). */
  needFreshCard: boolean;
  /** The card wait ran out while a write was in progress: undo once the write has failed. */
  creditWindowExpired: boolean;
  newBalanceCents?: number;
  /** How the journey ends: 'cancelled' unless it ends by BACK on the amount screen or after a payment. */
  outcome: TopUpOutcome;
}

/** User events the top-up machine handles (forwarded by the session machine). */
export type TopUpUserEvent =
  | { type: 'SELECT_AMOUNT'; amountCents: number }
  | { type: 'CONFIRM' }
  | { type: 'RETRY' }
  | { type: 'BACK' }
  | { type: 'CANCEL' }
  | { type: 'FINISH' };

export type TopUpEvent = TopUpUserEvent | PaymentActorEvent;

export const TOP_UP_USER_EVENTS = ['SELECT_AMOUNT', 'CONFIRM', 'RETRY', 'BACK', 'CANCEL', 'FINISH'] as const;

export interface ScreenMeta {
  screen: ScreenId;
}

const notProvided = notProvidedIn('top-up');

/** A credit actor's answer on the branch whose guard took only 'credited'. */
type Credited = Extract<CreditCardOutput, { result: 'credited' }>;

/**
 * The approved payment's id, for the card write and the rollback. `awaitingCredit` and `undoing`
 * are entered only through PAYMENT.APPROVED, which sets it (paying's entry clears it only before);
 * should that ever change, this throws (the machine stops in error) rather than credit or undo a
 * payment under an empty id.
 */
export function approvedPaymentId(context: Pick<TopUpContext, 'paymentId'>): string {
  if (context.paymentId === undefined) throw new Error('top-up: no approved payment id for the card write or the rollback');
  return context.paymentId;
}

export const topUpMachine = setup({
  types: {
    context: {} as TopUpContext,
    events: {} as TopUpEvent,
    input: {} as TopUpInput,
    output: {} as TopUpOutput,
    meta: {} as ScreenMeta,
    tags: {} as 'busy' | 'protected',
  },
  actors: {
    authorizePayment: fromCallback<PaymentActorCommand, AuthorizePaymentInput>(notProvided('authorizePayment')),
    waitForCard: fromPromise<WaitForCardOutput, WaitForCardInput>(notProvided('waitForCard')),
    creditCard: fromPromise<CreditCardOutput, CreditCardInput>(notProvided('creditCard')),
    rollbackPayment: fromPromise<RollbackPaymentOutput, RollbackPaymentInput>(notProvided('rollbackPayment')),
  },
  delays: {
    creditWait: ({ context }) => context.creditWaitMs,
    done: ({ context }) => context.doneMs,
  },
  guards: {
    // Only the configured amounts may be paid (issue 11 finding 8): any other amount has no
    // transition, so the runtime answers not-allowed-now and nothing is paid.
    // Both sit only on SELECT_AMOUNT; assertEvent narrows the event's type (and would throw elsewhere).
    offered: ({ context, event }) => {
      assertEvent(event, 'SELECT_AMOUNT');
      return context.amountsCents.includes(event.amountCents);
    },
    overLimit: ({ context, event }) => {
      assertEvent(event, 'SELECT_AMOUNT');
      return context.amountsCents.includes(event.amountCents) && event.amountCents > context.roomCents;
    },
    amountChosen: ({ context }) => context.selectedCents !== undefined && context.selectedCents <= context.roomCents,
    writing: stateIn('#topUp.awaitingCredit.writing'),
    windowExpired: ({ context }) => context.creditWindowExpired,
  },
}).createMachine({
  id: 'topUp',
  context: ({ input }) => ({
    ...input,
    roomCents: Math.max(0, input.maxBalanceCents - input.card.balanceCents),
    // Set once here: awaitingCredit, the only state that changes them, is entered at most once per
    // journey (only from paying on PAYMENT.APPROVED; it leaves only to undoing or done, which end it).
    needFreshCard: false,
    creditWindowExpired: false,
    outcome: 'cancelled',
  }),
  initial: 'amount',
  output: ({ context }) => ({
    outcome: context.outcome,
    ...(context.newBalanceCents !== undefined ? { balanceCents: context.newBalanceCents } : {}),
  }),
  states: {
    amount: {
      meta: { screen: 'topup-amount' },
      on: {
        SELECT_AMOUNT: [
          {
            guard: 'overLimit',
            actions: assign({
              refusal: ({ context }) => ({ reason: 'over-limit' as const, roomCents: context.roomCents }),
              selectedCents: undefined,
            }),
          },
          // Choosing only marks the amount; the traveller starts the payment with "Pay € …" (CONFIRM),
          // so a mistaken tap never reaches the terminal (issue 14).
          {
            guard: 'offered',
            actions: assign({ selectedCents: ({ event }) => event.amountCents, refusal: undefined }),
          },
        ],
        CONFIRM: { guard: 'amountChosen', target: 'paying' },
        BACK: { target: 'leaving', actions: assign({ outcome: 'back' }) },
        CANCEL: 'leaving',
      },
    },
    paying: {
      meta: { screen: 'payment' },
      tags: ['busy', 'protected'],
      entry: assign({ prompt: undefined, failure: undefined, paymentId: undefined, reference: undefined }),
      invoke: {
        id: 'payment',
        src: 'authorizePayment',
        input: ({ context }) => ({ amountCents: context.selectedCents ?? 0, card: { uid: context.card.uid, cardNumber: context.card.cardNumber } }),
        onError: { target: 'paymentFailed', actions: assign({ failure: 'unknown' }) },
      },
      on: {
        'PAYMENT.PROMPT': { actions: assign({ prompt: ({ event }) => event.prompt }) },
        'PAYMENT.APPROVED': {
          target: 'awaitingCredit',
          actions: assign({
            paymentId: ({ event }) => event.paymentId,
            reference: ({ event }) => event.reference,
            prompt: 'approved',
          }),
        },
        'PAYMENT.FAILED': {
          target: 'paymentFailed',
          // (A failed payment's id is not kept: only an approved one is credited or undone.)
          actions: assign({
            failure: ({ event }) => event.reason,
            reference: ({ event }) => event.reference,
          }),
        },
        // The traveller wants out: ask the terminal to abort; its answer decides where we go.
        CANCEL: { actions: sendTo('payment', { type: 'PAYMENT.ABORT' }) },
      },
    },
    paymentFailed: {
      meta: { screen: 'payment-failed' },
      on: {
        RETRY: 'paying',
        BACK: { target: 'amount', actions: assign({ failure: undefined, prompt: undefined }) },
        // Left without a payment: the outcome stays 'cancelled'.
        CANCEL: 'leaving',
        FINISH: 'leaving',
      },
    },
    awaitingCredit: {
      tags: ['protected'],
      initial: 'presentAgain',
      after: {
        creditWait: [
          { guard: 'writing', actions: assign({ creditWindowExpired: true }) },
          { target: 'undoing' },
        ],
      },
      states: {
        presentAgain: {
          meta: { screen: 'present-again' },
          invoke: {
            src: 'waitForCard',
            input: ({ context }) => ({ fresh: context.needFreshCard }),
            onDone: 'writing',
            // The reader failed: nothing can be written; give the money back.
            onError: '#topUp.undoing',
          },
          on: { CANCEL: '#topUp.undoing' },
        },
        writing: {
          meta: { screen: 'writing-card' },
          tags: ['busy'],
          invoke: {
            src: 'creditCard',
            input: ({ context }) => ({
              paymentId: approvedPaymentId(context),
              amountCents: context.selectedCents ?? 0,
              card: { uid: context.card.uid, cardNumber: context.card.cardNumber },
            }),
            onDone: [
              {
                guard: ({ event }) => event.output.result === 'credited',
                target: '#topUp.done',
                actions: assign({
                  // The guard above let only 'credited' through (XState does not narrow an action's event by its guard).
                  newBalanceCents: ({ event }) => (event.output as Credited).balanceCents,
                  writeProblem: undefined,
                }),
              },
              {
                guard: 'windowExpired',
                target: '#topUp.undoing',
              },
              // ('credited' was taken by the first branch.)
              { target: 'writeProblem', actions: writeAnsweredProblem },
            ],
            onError: [
              { guard: 'windowExpired', target: '#topUp.undoing' },
              { target: 'writeProblem', actions: writeThrew },
            ],
          },
        },
        writeProblem: {
          meta: { screen: 'write-problem' },
          // Putting the (right) card back is the way on; the screen also offers "try again" and
          // "give up" (the payment is then undone).
          invoke: {
            src: 'waitForCard',
            input: () => ({ fresh: true }),
            onDone: 'writing',
            onError: '#topUp.undoing',
          },
          on: {
            RETRY: { target: 'presentAgain' },
            CANCEL: '#topUp.undoing',
          },
        },
      },
    },
    undoing: {
      meta: { screen: 'payment-undone' },
      tags: ['busy', 'protected'],
      invoke: {
        src: 'rollbackPayment',
        input: ({ context }) => ({
          paymentId: approvedPaymentId(context),
          amountCents: context.selectedCents ?? 0,
          card: { uid: context.card.uid, cardNumber: context.card.cardNumber },
        }),
        onDone: [
          { guard: ({ event }) => event.output.result === 'reversed', target: 'undone' },
          // Issue 12: the write may have landed; the payment is kept and the credit is loaded at the
          // next tap. Never the refund screen: a refund at the desk plus that credit pays twice.
          {
            guard: ({ event }) => event.output.result === 'credit-pending',
            target: 'creditPending',
            actions: assign({ reference: ({ event }) => (event.output.result === 'credit-pending' ? event.output.reference : undefined) }),
          },
          {
            target: 'refundOwed',
            actions: assign({
              reference: ({ context, event }) => (event.output.result === 'refund-owed' ? event.output.reference : context.reference),
            }),
          },
        ],
        onError: 'refundOwed',
      },
    },
    done: {
      meta: { screen: 'topup-done' },
      after: { done: { target: 'leaving', actions: assign({ outcome: 'finished' }) } },
      on: { FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) } },
    },
    undone: {
      meta: { screen: 'payment-undone' },
      after: { done: { target: 'leaving', actions: assign({ outcome: 'finished' }) } },
      on: { FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) } },
    },
    refundOwed: {
      meta: { screen: 'refund-owed' },
      on: { FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) } },
    },
    creditPending: {
      meta: { screen: 'credit-pending' },
      on: { FINISH: { target: 'leaving', actions: assign({ outcome: 'finished' }) } },
    },
    leaving: { type: 'final' },
  },
});

export type TopUpMachine = typeof topUpMachine;
