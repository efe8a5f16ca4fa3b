/**
 * From machine state to the plain KioskSnapshot a shell renders. Nothing here holds an actor
 * reference; the card number appears only masked (last four digits), and nothing personal (name,
 * birth date) is ever in the machines to begin with.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { maskCardNumber } from '../../contract/card.js';
import type { KioskContext } from '../../state-machines/kiosk/kiosk-machine.js';
import { activeJourney, currentScreen, hasTag } from '../../state-machines/screen.js';
import {
  orderViews,
  selectedOrderView,
  type CollectOrdersContext,
} from '../../state-machines/collect-orders/collect-orders-machine.js';
import { STATION_PASSAGE_CODE } from '../../domain/station-passage.js';
import type { StationPassageContext } from '../../state-machines/station-passage/station-passage-machine.js';
import type { TopUpContext } from '../../state-machines/top-up/top-up-machine.js';
import type { CardInfo } from '../../state-machines/types.js';
import type { CardView, KioskSnapshot } from '../../contract/bridge.js';

export function cardView(card: CardInfo, today: string | undefined, balanceCents = card.balanceCents): CardView {
  return {
    maskedNumber: maskCardNumber(card.cardNumber),
    last4: card.cardNumber.slice(-4),
    kind: card.kind,
    balanceCents,
    expiryDate: card.expiryDate,
    expired: today !== undefined && card.expiryDate < today,
    products: card.products.map((p) => ({
      code: p.code,
      validFrom: p.validFrom,
      validUntil: p.validUntil,
      ...(p.travelClass !== undefined ? { travelClass: p.travelClass } : {}),
    })),
    transactions: card.transactions.map((t) => ({ at: t.at, kind: t.kind, station: t.station, amountCents: t.amountCents })),
    topUps: card.topUps.map((t) => ({ at: t.at, amountCents: t.amountCents, location: t.location })),
  };
}

export interface SnapshotExtras {
  rev: number;
  /** Seconds until the inactivity reset, while the warning shows. */
  secondsLeft: number;
}

/** The snapshot for a machine state; undefined between screens (nothing to show for that step). */
export function deriveSnapshot(root: AnyMachineSnapshot, extras: SnapshotExtras): KioskSnapshot | undefined {
  const ctx = root.context as KioskContext;
  const screen = currentScreen(root);
  if (!screen) return undefined;
  const idle = (root.value as { idle?: string }).idle;
  const journey = activeJourney(root);
  const snap: KioskSnapshot = {
    rev: extras.rev,
    screen,
    locale: ctx.locale,
    largeText: ctx.largeText,
    busy: hasTag(root, 'busy'),
    inactivity: { warning: idle === 'warning', secondsLeft: extras.secondsLeft },
  };
  if (ctx.card) {
    const t = journey?.id === 'topUp' ? (journey.snapshot.context as TopUpContext) : undefined;
    // A journey that loaded something onto the card: show the card as it is now.
    const loaded =
      journey?.id === 'collectOrders' || journey?.id === 'stationPassage'
        ? (journey.snapshot.context as CollectOrdersContext | StationPassageContext).cardAfter
        : undefined;
    const card = loaded ? { ...ctx.card, balanceCents: loaded.balanceCents, products: loaded.products, topUps: loaded.topUps } : ctx.card;
    snap.card = cardView(card, ctx.today, t?.newBalanceCents ?? card.balanceCents);
  }
  if (screen === 'menu' || ctx.menu.length) snap.menu = [...ctx.menu];
  if (ctx.problem && screen === 'card-problem') snap.problem = ctx.problem;
  if (ctx.unavailable && screen === 'service-unavailable') snap.unavailable = ctx.unavailable;

  if (journey?.id === 'topUp') {
    const t = journey.snapshot.context as TopUpContext;
    snap.topUp = {
      // Every configured amount is offered; one over the room is refused with the room shown.
      amounts: [...t.amountsCents],
      maxCents: t.roomCents,
      ...(t.selectedCents !== undefined ? { selectedCents: t.selectedCents } : {}),
      ...(t.refusal ? { refusal: { ...t.refusal } } : {}),
      ...(t.newBalanceCents !== undefined ? { newBalanceCents: t.newBalanceCents } : {}),
    };
    if (t.selectedCents !== undefined && screen !== 'topup-amount') {
      snap.payment = {
        amountCents: t.selectedCents,
        ...(t.prompt ? { prompt: t.prompt } : {}),
        ...(t.failure ? { failure: t.failure } : {}),
        ...(t.reference ? { reference: t.reference } : {}),
      };
    }
    if (t.writeProblem && screen === 'write-problem') snap.writeProblem = t.writeProblem;
  }

  if (journey?.id === 'collectOrders') {
    const c = journey.snapshot.context as CollectOrdersContext;
    // While the back office is asked there is no list yet: the orders screen shows progress (busy).
    if (c.loaded && screen !== 'service-unavailable') snap.orders = orderViews(c);
    const selected = selectedOrderView(c);
    if (selected && screen !== 'orders' && screen !== 'order-done') snap.selectedOrder = selected;
    if (c.collected && screen === 'order-done') snap.collected = { ...c.collected };
    if (screen === 'service-unavailable') snap.unavailable = 'backoffice';
    if (c.writeProblem && screen === 'write-problem') snap.writeProblem = c.writeProblem;
  }

  if (journey?.id === 'stationPassage') {
    const p = journey.snapshot.context as StationPassageContext;
    const order = {
      orderId: 'station-passage',
      kind: 'product' as const,
      announcedOn: p.today,
      productCode: STATION_PASSAGE_CODE,
      ...(p.granted ? { validFrom: p.granted.validFrom, validUntil: p.granted.validUntil } : {}),
    };
    if (screen === 'order-done') snap.collected = order;
    else snap.selectedOrder = order;
    snap.stationPassage = { station: p.stationCode, minutes: p.minutes, ...(p.granted ? { validUntil: p.granted.validUntil } : {}) };
    if (p.writeProblem && screen === 'write-problem') snap.writeProblem = p.writeProblem;
  }
  return snap;
}
