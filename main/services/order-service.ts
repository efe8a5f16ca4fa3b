/**
 * Collecting pending orders and granting the free station passage, as the collect-orders and
 * station-passage machines' actors call them. Like the top-up, every step that changes a card is
 * journaled first (intent) and after (outcome), each record durable before the next step.
 *
 *   fetchOrders: backOffice.pendingOrders -> { ok, orders } | { ok: false } (back office down)
 *
 *   collect (operationId = a new collection id; data.orderId names the order):
 *     order.collect-intent
 *     -> read the card on the reader; it must be the card that was read (else order.collect-failed)
 *     -> the card already carries the order's ref (an earlier, torn write landed) -> card.written
 *        {confirmedBy: 'card-ref'}
 *     -> the rules again, on the card as it is now (order-rules.ts) -> refused: order.collect-failed
 *     -> NS Extra / product: card.write-intent {ref} -> reader.write (idempotent: the top-up record
 *        (location 'ns-extra') or the product carries `ref`; the update re-checks the rules) ->
 *        card.written | card.write-failed {uncertain} + order.collect-failed
 *        kaartservicecode: nothing is written to the card (see below)
 *     -> order.loaded
 *     -> backOffice.markCollected -> order.collected {confirmedBy: 'backoffice'}; back office down
 *        -> order.collected {confirmedBy: 'journal-upload'} (the back office marks an order
 *        collected when its order.loaded record arrives, backoffice/store.ts intake); refused by
 *        the back office after the load -> kiosk.note for reconciliation, then order.collected.
 *
 *   The ref of an order is the first 8 hex characters of SHA-256(orderId): the same for every
 *   attempt, so a retry after a tear (same visit or a later one) never loads twice.
 *
 *   A kaartservicecode puts nothing on the card. Collecting it proves at the machine that the
 *   traveller holds this card (the reason NS makes them come to a machine, seed 001); what
 *   "activates" the code is the back office marking it collected. So the journal holds
 *   order.collect-intent -> order.loaded {proof: 'card-read'} -> order.collected, with no card
 *   write. Writing a marker onto the card would claim something the card does not use.
 *
 *   grantStationPassage (operationId = a new id; a card-only operation): the card must still
 *   qualify (stationPassageApplies; one a day, so a retry after a tear finds the one that landed)
 *   -> card.write-intent {purpose: 'station-passage', ref} -> reader.write -> card.written |
 *   card.write-failed {uncertain}.
 *
 * Start-up recovery (main/journal/recovery.ts) settles an operation a crash left open; the
 * composition's card check recognises the refs of products and top-up records alike.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { CardIdentity, CardModel, CardProduct } from '../../contract/card.js';
import { ALL_SECTIONS, MAX_TOP_UPS } from '../../contract/card.js';
import { isCardError, type CardErrorCode, type CardReader } from '../../hardware/card/card-reader.js';
import { orderRefusalFor, type OrderInfo, type OrderRefusalDetail } from '../../domain/order-rules.js';
import { STATION_PASSAGE_CODE, stationPassageApplies } from '../../domain/station-passage.js';
import type {
  CardAfterLoad,
  CollectOrderInput,
  CollectOrderOutput,
  FetchOrdersInput,
  FetchOrdersOutput,
  StationPassageInput,
  StationPassageOutput,
  StationPassageSettings,
} from '../../state-machines/types.js';
import { BackOfficeRejectedError, BackOfficeUnavailableError, type BackOfficeClient } from '../backoffice-client/types.js';
import type { Clock } from '../../contract/time.js';
import type { Random } from '../../contract/random.js';
import type { Journal, JournalCardRef, JournalEntryInput } from '../journal/journal.js';
import { localDate } from '../../domain/dates.js';
import { toCardInfo } from './card-service.js';

export interface OrderServiceDeps {
  reader: CardReader;
  backOffice: Pick<BackOfficeClient, 'pendingOrders' | 'markCollected'>;
  journal: Journal;
  clock: Clock;
  random: Random;
  timeZone: string;
  maxBalanceCents: number;
  exclusiveProductGroups: string[][];
  stationPassage?: StationPassageSettings;
  /** Keyed hash + last four digits of a card number (journal privacy). */
  cardRef: (cardNumber: string) => JournalCardRef;
  log: Logger;
}

export interface OrderService {
  fetchOrders(input: FetchOrdersInput): Promise<FetchOrdersOutput>;
  collect(input: CollectOrderInput): Promise<CollectOrderOutput>;
  grantStationPassage(input: StationPassageInput): Promise<StationPassageOutput>;
}

/** The card ref of an order: the same for every attempt to load it. */
export function orderRef(orderId: string): string {
  return createHash('sha256').update(`order:${orderId}`).digest('hex').slice(0, 8);
}

/** The card ref of a station passage: one per card per day (it is a one-off a day). */
export function stationPassageRef(cardHash: string, day: string): string {
  return createHash('sha256').update(`station-passage:${cardHash}:${day}`).digest('hex').slice(0, 8);
}

/** A new operation id: four dash-separated groups of 8 hex characters (never a digit run that
 * looks like a card number to the journal's privacy check). */
export function newOperationId(random: Random): string {
  return (random.id(16).match(/.{1,8}/g) ?? []).join('-');
}

/** The order's refusal found inside the card update: nothing was written. */
class RefusedError extends Error {
  constructor(readonly refusal: OrderRefusalDetail) {
    super(`order refused on the card as it is now: ${refusal.reason}`);
  }
}

class NotEligibleError extends Error {}

function errorText(e: unknown): string {
  // Blank long digit runs: a driver message must never carry a card number into the journal.
  return (e instanceof Error ? e.message : String(e)).replace(/\d{13,}/g, '#').slice(0, 200);
}

function afterLoad(card: CardModel): CardAfterLoad {
  const info = toCardInfo(card);
  return { balanceCents: info.balanceCents, products: info.products, topUps: info.topUps };
}

/** Does the card already carry the thing the ref names? */
function carries(card: CardModel, ref: string): boolean {
  return card.topUps.some((t) => t.ref === ref) || card.products.some((p) => p.ref === ref);
}

function toWriteProblem(code: string | undefined): 'card-removed' | 'wrong-card' | 'write-failed' {
  return code === 'card-gone' || code === 'no-card'
    ? 'card-removed'
    : code === 'wrong-card' || code === 'wrong-key'
      ? 'wrong-card'
      : 'write-failed';
}

export function createOrderService(deps: OrderServiceDeps): OrderService {
  const { reader, backOffice, journal, clock, random, log } = deps;
  const append = (entry: JournalEntryInput) => journal.append(entry);
  const rules = { maxBalanceCents: deps.maxBalanceCents, exclusiveProductGroups: deps.exclusiveProductGroups };

  /** Read the card on the reader; it must be `expected`. */
  async function readExpected(expected: CardIdentity): Promise<{ card: CardModel } | { problem: 'card-removed' | 'wrong-card' | 'write-failed'; code: string }> {
    try {
      const card = await reader.read(ALL_SECTIONS);
      if (card.uid !== expected.uid || card.cardNumber !== expected.cardNumber) return { problem: 'wrong-card', code: 'wrong-card' };
      return { card };
    } catch (e) {
      const code: CardErrorCode | 'unexpected' = isCardError(e) ? e.code : 'unexpected';
      return { problem: toWriteProblem(code), code };
    }
  }

  /** The change an order makes to a card (pure; re-checks the rules on the card as it is). */
  function applyOrder(order: OrderInfo, ref: string, at: string, today: string) {
    return (c: CardModel): CardModel => {
      if (carries(c, ref)) return c;
      const refusal = orderRefusalFor(order, toCardInfo(c), today, rules);
      if (refusal) throw new RefusedError(refusal);
      if (order.kind === 'ns-extra') {
        return {
          ...c,
          balanceCents: c.balanceCents + order.amountCents,
          topUps: [{ at, amountCents: order.amountCents, location: 'ns-extra', ref }, ...c.topUps].slice(0, MAX_TOP_UPS),
        };
      }
      if (order.kind === 'product') {
        const p: CardProduct = {
          code: order.product.code,
          validFrom: order.product.validFrom,
          validUntil: order.product.validUntil,
          ...(order.product.travelClass !== undefined ? { travelClass: order.product.travelClass } : {}),
          ref,
        };
        return { ...c, products: [...c.products, p] };
      }
      return c;
    };
  }

  return {
    async fetchOrders({ cardNumber }) {
      try {
        const orders = await backOffice.pendingOrders(cardNumber);
        log.info({ card: cardNumber.slice(-4), orders: orders.length }, 'pending orders fetched');
        return { ok: true, orders: orders as OrderInfo[] };
      } catch (e) {
        const offline = e instanceof BackOfficeUnavailableError;
        log.warn({ card: cardNumber.slice(-4), offline, err: errorText(e) }, 'pending orders not available');
        return { ok: false, reason: 'backoffice' };
      }
    },

    async collect({ order, card, today }) {
      const operationId = newOperationId(random);
      const cref = deps.cardRef(card.cardNumber);
      const ref = orderRef(order.orderId);
      const amount = order.kind === 'ns-extra' ? { amountCents: order.amountCents } : {};
      const rec = (type: JournalEntryInput['type'], data: Record<string, string | number | boolean | null> = {}) =>
        append({ type, operationId, ...amount, card: cref, data: { orderId: order.orderId, ...data } });
      const failed = (reason: string, extra: Record<string, string | number | boolean | null> = {}) =>
        rec('order.collect-failed', { reason, ...extra });

      rec('order.collect-intent', { kind: order.kind, ref });

      // 1. This card, as it is now.
      const read = await readExpected(card);
      if ('problem' in read) {
        failed(read.code);
        log.info({ operationId, orderId: order.orderId, code: read.code }, 'card not readable for the order');
        return { result: read.problem };
      }
      let current = read.card;
      const alreadyThere = order.kind !== 'kaartservicecode' && carries(current, ref);

      if (order.kind === 'kaartservicecode') {
        // Nothing goes onto the card: the read above proved this card is here (see the header).
        const refusal = orderRefusalFor(order, toCardInfo(current), today, rules);
        if (refusal) {
          failed(refusal.reason);
          return { result: 'refused', refusal };
        }
        rec('order.loaded', { proof: 'card-read' });
      } else if (alreadyThere) {
        rec('card.written', { balanceCents: current.balanceCents, confirmedBy: 'card-ref' });
        rec('order.loaded');
        log.info({ operationId, orderId: order.orderId }, 'order found on the card already (earlier write landed)');
      } else {
        const refusal = orderRefusalFor(order, toCardInfo(current), today, rules);
        if (refusal) {
          failed(refusal.reason);
          return { result: 'refused', refusal };
        }
        // 2. Write, tear-safely and idempotently.
        rec('card.write-intent', { ref });
        try {
          current = await reader.write(card, applyOrder(order, ref, clock.now().toISOString(), today));
        } catch (e) {
          if (e instanceof RefusedError) {
            rec('card.write-failed', { reason: 'refused', uncertain: false });
            failed(e.refusal.reason);
            return { result: 'refused', refusal: e.refusal };
          }
          const code = isCardError(e) ? e.code : undefined;
          // Gone or broken mid-write: the write may have landed (the ref will tell next time).
          const uncertain = !(code === 'no-card' || code === 'wrong-card' || code === 'wrong-key' || code === undefined);
          rec('card.write-failed', { reason: code ?? 'unexpected', uncertain, detail: errorText(e) });
          failed('card-write-failed', { uncertain });
          log.warn({ operationId, orderId: order.orderId, code, uncertain }, 'order write failed');
          return { result: toWriteProblem(code) };
        }
        rec('card.written', { balanceCents: current.balanceCents });
        rec('order.loaded');
        log.info({ operationId, orderId: order.orderId, kind: order.kind }, 'order loaded onto the card');
      }

      // 3. Tell the back office; it also learns it from the journal upload if it cannot be reached.
      try {
        await backOffice.markCollected(order.orderId, card.cardNumber, operationId);
        rec('order.collected', { confirmedBy: 'backoffice' });
      } catch (e) {
        if (e instanceof BackOfficeRejectedError) {
          append({
            type: 'kiosk.note',
            operationId: `${operationId}:note`,
            ...amount,
            card: cref,
            data: { event: 'collect-refused-after-load', orderId: order.orderId, code: e.code, detail: errorText(e) },
          });
          log.error({ operationId, orderId: order.orderId, code: e.code }, 'back office refused an order the card already holds');
          rec('order.collected', { confirmedBy: 'journal-upload', backOfficeRefused: e.code });
        } else {
          log.warn({ operationId, orderId: order.orderId, err: errorText(e) }, 'back office not reached; the journal upload confirms the collection');
          rec('order.collected', { confirmedBy: 'journal-upload' });
        }
      }
      return { result: 'loaded', card: afterLoad(current) };
    },

    async grantStationPassage({ card }) {
      const settings = deps.stationPassage;
      const today = localDate(clock.now(), deps.timeZone);
      const cref = deps.cardRef(card.cardNumber);
      const ref = stationPassageRef(cref.hash, today);
      const read = await readExpected(card);
      if ('problem' in read) return { result: read.problem };
      const current = read.card;
      const existing = current.products.find((p) => p.ref === ref);
      if (existing) {
        // A torn write of this visit (or an earlier one today) landed: that is the passage.
        return { result: 'granted', product: { code: existing.code, validFrom: existing.validFrom, validUntil: existing.validUntil, ...(existing.station ? { station: existing.station } : {}) }, card: afterLoad(current) };
      }
      if (!settings || !stationPassageApplies(toCardInfo(current), today, settings)) return { result: 'refused' };

      const operationId = newOperationId(random);
      const now = clock.now();
      const product: CardProduct = {
        code: STATION_PASSAGE_CODE,
        validFrom: today,
        validUntil: new Date(now.getTime() + settings.minutes * 60_000).toISOString(),
        station: settings.stationCode,
        ref,
      };
      append({ type: 'card.write-intent', operationId, card: cref, data: { purpose: 'station-passage', station: settings.stationCode, ref } });
      let written: CardModel;
      try {
        written = await reader.write(card, (c) => {
          if (c.products.some((p) => p.ref === ref)) return c;
          if (!stationPassageApplies(toCardInfo(c), today, settings)) throw new NotEligibleError('the card no longer qualifies');
          // Spent station passages are worthless: make room rather than fill the card with them.
          const kept = c.products.filter((p) => !(p.code === STATION_PASSAGE_CODE && p.validUntil < product.validFrom));
          return { ...c, products: [...kept, product] };
        });
      } catch (e) {
        if (e instanceof NotEligibleError) {
          append({ type: 'card.write-failed', operationId, card: cref, data: { purpose: 'station-passage', reason: 'not-eligible', uncertain: false } });
          return { result: 'refused' };
        }
        const code = isCardError(e) ? e.code : undefined;
        const uncertain = !(code === 'no-card' || code === 'wrong-card' || code === 'wrong-key' || code === undefined);
        append({
          type: 'card.write-failed',
          operationId,
          card: cref,
          data: { purpose: 'station-passage', reason: code ?? 'unexpected', uncertain, detail: errorText(e) },
        });
        log.warn({ operationId, code, uncertain }, 'station passage write failed');
        return { result: toWriteProblem(code) };
      }
      append({ type: 'card.written', operationId, card: cref, data: { purpose: 'station-passage', station: settings.stationCode } });
      log.info({ operationId, station: settings.stationCode }, 'station passage granted');
      return {
        result: 'granted',
        product: { code: product.code, validFrom: product.validFrom, validUntil: product.validUntil, station: settings.stationCode },
        card: afterLoad(written),
      };
    },
  };
}
