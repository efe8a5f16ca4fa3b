/**
 * The top-up journey's screens as the renderer sees them: amount, payment, present again,
 * writing, write problem and every ending, with the configured maximum balance. Pure.
 */
import type { SnapshotFrom } from 'xstate';
import type { PaymentView, TopUpAmountView, TopUpPaidView, TopUpWriteProblemView } from '../../contract/bridge.js';
import { cardView, type JourneyViewInput } from '../card-view.js';
import { screenFromMeta } from '../screen.js';
import type { TopUpContext, TopUpMachine } from './top-up-machine.js';

export type TopUpView = TopUpAmountView | TopUpPaidView | TopUpWriteProblemView;

function paymentView(t: TopUpContext): PaymentView {
  // Past the amount screen an amount is always chosen (only the amount screen's refusal clears it).
  if (t.selectedCents === undefined) throw new Error('top-up: no amount chosen on a payment screen');
  return {
    amountCents: t.selectedCents,
    ...(t.prompt ? { prompt: t.prompt } : {}),
    ...(t.failure ? { failure: t.failure } : {}),
    ...(t.reference ? { reference: t.reference } : {}),
  };
}

/** The view for the top-up machine's current state; undefined on a step without a screen. */
export function topUpView(snapshot: SnapshotFrom<TopUpMachine>, input: JourneyViewInput): TopUpView | undefined {
  const screen = screenFromMeta(snapshot);
  if (!screen) return undefined;
  const t = snapshot.context;
  const common = {
    ...input.base,
    journey: 'top-up' as const,
    card: cardView(input.card, input.today, t.newBalanceCents ?? input.card.balanceCents),
    topUp: {
      // Every configured amount is offered; one over the room is refused with the room shown.
      amounts: [...t.amountsCents],
      maxCents: t.roomCents,
      ...(t.selectedCents !== undefined ? { selectedCents: t.selectedCents } : {}),
      ...(t.refusal ? { refusal: { ...t.refusal } } : {}),
      ...(t.newBalanceCents !== undefined ? { newBalanceCents: t.newBalanceCents } : {}),
    },
    limits: { maxBalanceCents: t.maxBalanceCents },
  };
  switch (screen) {
    case 'topup-amount':
      return { ...common, screen };
    case 'write-problem':
      return { ...common, screen, payment: paymentView(t), writeProblem: t.writeProblem ?? 'write-failed' };
    case 'present-again':
      // How long the kiosk waits for the card before it undoes the payment (the screen counts down).
      return { ...common, screen, payment: { ...paymentView(t), undoAfterSeconds: Math.round(t.creditWaitMs / 1000) } };
    case 'payment':
    case 'payment-failed':
    case 'payment-undone':
    case 'refund-owed':
    case 'credit-pending':
    case 'writing-card':
    case 'topup-done':
      return { ...common, screen, payment: paymentView(t) };
    default:
      throw new Error(`top-up: no view for screen ${screen}`);
  }
}
