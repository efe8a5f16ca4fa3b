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
 *
 * The card write, its journal records, the uncertainty rule and the refs are the shared money path
 * of main/money (card-write.ts, errors.ts, ids.ts): this service orchestrates.
 */
import type { Logger } from 'pino';
import type { CardModel, CardProduct } from '../../contract/card.js';
import { MAX_TOP_UPS } from '../../contract/card.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import { orderRefusalFor, type OrderInfo, type OrderRefusalDetail } from '../../domain/order-rules.js';
import { STATION_PASSAGE_CODE, stationPassageApplies } from '../../domain/station-passage.js';
// prettier-ignore
import type { CardAfterLoad, CollectOrderInput, CollectOrderOutput, FetchOrdersInput, FetchOrdersOutput, StationPassageInput, StationPassageOutput, StationPassageSettings } from '../../state-machines/types.js';
import { BackOfficeRejectedError, BackOfficeUnavailableError, type BackOfficeClient } from '../backoffice-client/types.js';
import type { Clock } from '../../contract/time.js';
import type { Random } from '../../contract/random.js';
import type { Journal, JournalCardRef, JournalEntryInput } from '../journal/journal.js';
import { localDate } from '../../domain/dates.js';
import { CardUpdateRefused, carries, journaledCardWrite, journalLanded, readExpected, type JournalData } from '../money/card-write.js';
import { errorText } from '../money/errors.js';
import { newOperationId, noteId, orderRef, stationPassageRef } from '../money/ids.js';
import { toCardInfo } from './card-service.js';

export { orderRef } from '../money/ids.js';

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

function afterLoad(card: CardModel): CardAfterLoad {
  const info = toCardInfo(card);
  return { balanceCents: info.balanceCents, products: info.products, topUps: info.topUps };
}

export function createOrderService(deps: OrderServiceDeps): OrderService {
  const { reader, backOffice, journal, clock, random, log } = deps;
  const append = (entry: JournalEntryInput) => journal.append(entry);
  const rules = { maxBalanceCents: deps.maxBalanceCents, exclusiveProductGroups: deps.exclusiveProductGroups };

  /** The change an order makes to a card (pure; re-checks the rules on the card as it is). */
  function applyOrder(order: OrderInfo, ref: string, at: string, today: string) {
    return (c: CardModel): CardModel => {
      const refusal = orderRefusalFor(order, toCardInfo(c), today, rules);
      if (refusal) throw new CardUpdateRefused<OrderRefusalDetail>('refused', refusal, `order refused on the card as it is now: ${refusal.reason}`);
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
      // A pending credit (issue 12) loads under its payment's own ref: found on the card, nothing is written.
      const ref = order.kind === 'ns-extra' && order.creditRef !== undefined ? order.creditRef : orderRef(order.orderId);
      const amount = order.kind === 'ns-extra' ? { amountCents: order.amountCents } : {};
      const target = { journal, operationId, ...amount, card: cref, data: { orderId: order.orderId } };
      const rec = (type: JournalEntryInput['type'], data: JournalData = {}) =>
        append({ type, operationId, ...amount, card: cref, data: { orderId: order.orderId, ...data } });
      const failed = (reason: string, extra: JournalData = {}) => rec('order.collect-failed', { reason, ...extra });
      const refused = (refusal: OrderRefusalDetail): CollectOrderOutput => {
        failed(refusal.reason);
        return { result: 'refused', refusal };
      };

      rec('order.collect-intent', { kind: order.kind, ref });

      // 1. This card, as it is now.
      const read = await readExpected(reader, card);
      if ('problem' in read) {
        failed(read.code);
        log.info({ operationId, orderId: order.orderId, code: read.code }, 'card not readable for the order');
        return { result: read.problem };
      }
      let current = read.card;

      if (order.kind === 'kaartservicecode') {
        // Nothing goes onto the card: the read above proved this card is here (see the header).
        const refusal = orderRefusalFor(order, toCardInfo(current), today, rules);
        if (refusal) return refused(refusal);
        rec('order.loaded', { proof: 'card-read' });
      } else if (carries(current, ref)) {
        journalLanded(target, current);
        rec('order.loaded');
        log.info({ operationId, orderId: order.orderId }, 'order found on the card already (earlier write landed)');
      } else {
        const refusal = orderRefusalFor(order, toCardInfo(current), today, rules);
        if (refusal) return refused(refusal);
        // 2. Write, tear-safely and idempotently (main/money/card-write.ts).
        const w = await journaledCardWrite({ ...target, reader, expected: card, ref, update: applyOrder(order, ref, clock.now().toISOString(), today) });
        if (w.outcome === 'refused') return refused(w.refused.refusal as OrderRefusalDetail);
        if (w.outcome === 'failed') {
          failed('card-write-failed', { uncertain: w.failure.uncertain });
          log.warn({ operationId, orderId: order.orderId, reason: w.failure.reason, uncertain: w.failure.uncertain }, 'order write failed');
          return { result: w.failure.problem };
        }
        current = w.card;
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
            operationId: noteId(operationId),
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
      const read = await readExpected(reader, card);
      if ('problem' in read) return { result: read.problem };
      const current = read.card;
      const existing = current.products.find((p) => p.ref === ref);
      if (existing) {
        // A torn write of this visit (or an earlier one today) landed: that is the passage.
        return { result: 'granted', product: { code: existing.code, validFrom: existing.validFrom, validUntil: existing.validUntil, ...(existing.station ? { station: existing.station } : {}) }, card: afterLoad(current) };
      }
      // Granted today already, the product since gone from the card: its ref is still in the log.
      if (carries(current, ref)) return { result: 'refused' };
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
      const w = await journaledCardWrite({
        journal,
        operationId,
        card: cref,
        data: { purpose: 'station-passage', station: settings.stationCode },
        reader,
        expected: card,
        ref,
        update: (c) => {
          if (!stationPassageApplies(toCardInfo(c), today, settings)) throw new CardUpdateRefused('not-eligible', undefined, 'the card no longer qualifies');
          // Spent station passages are worthless: make room rather than fill the card with them.
          const kept = c.products.filter((p) => !(p.code === STATION_PASSAGE_CODE && p.validUntil < product.validFrom));
          return { ...c, products: [...kept, product] };
        },
      });
      if (w.outcome === 'refused') return { result: 'refused' };
      if (w.outcome === 'failed') {
        log.warn({ operationId, reason: w.failure.reason, uncertain: w.failure.uncertain }, 'station passage write failed');
        return { result: w.failure.problem };
      }
      log.info({ operationId, station: settings.stationCode }, 'station passage granted');
      return {
        result: 'granted',
        product: { code: product.code, validFrom: product.validFrom, validUntil: product.validUntil, station: settings.stationCode },
        card: afterLoad(w.card),
      };
    },
  };
}
