/**
 * Realistic kiosk journals for tests and the fleet simulator: top-ups (payment intent → approved →
 * card write → committed), order collections (collect-intent → loaded), and failures (payment
 * failed, card write failed → rollback → reversed), in the real record types, hash-chained and
 * sealed with the kiosk's key (contract/record-crypto.ts), exactly as the kiosk journal does.
 */
import { cardRef, GENESIS_HASH, sealRecord, type SecretKey } from '../../../contract/record-crypto.js';
import type { JournalRecord, JournalEntryType } from '../../../contract/journal-record.js';

type Entry = { type: JournalEntryType; amountCents?: number; data?: Record<string, string | number> };

/** A deterministic generator (mulberry32): the same seed gives the same journal. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function operation(random: () => number, n: number, orderIds: readonly string[]): Entry[] {
  const amount = (1 + Math.floor(random() * 10)) * 500;
  const p = random();
  if (p < 0.65) {
    return [
      { type: 'payment.intent', amountCents: amount },
      { type: 'payment.approved', amountCents: amount, data: { receipt: `R${n}` } },
      { type: 'card.write-intent', amountCents: amount },
      { type: 'card.written', amountCents: amount },
      { type: 'payment.committed', amountCents: amount },
    ];
  }
  if (p < 0.8 && orderIds.length > 0) {
    const orderId = orderIds[Math.floor(random() * orderIds.length)]!;
    return [
      { type: 'order.collect-intent', data: { orderId } },
      { type: 'order.loaded', data: { orderId } },
    ];
  }
  if (p < 0.9) return [{ type: 'payment.intent', amountCents: amount }, { type: 'payment.failed', amountCents: amount, data: { code: 'declined' } }];
  return [
    { type: 'payment.intent', amountCents: amount },
    { type: 'payment.approved', amountCents: amount },
    { type: 'card.write-intent', amountCents: amount },
    { type: 'card.write-failed', amountCents: amount, data: { code: 'card-removed' } },
    { type: 'payment.rollback-intent', amountCents: amount },
    { type: 'payment.reversed', amountCents: amount },
  ];
}

export interface KioskJournal {
  kioskId: string;
  records: JournalRecord[];
}

/**
 * `count` records of one kiosk from seq `fromSeq` (continuing `prevHash`), one every `stepMs`
 * from `startAt`. Card numbers are random 16-digit numbers; the journal holds only their keyed hash.
 */
export function generateJournal(options: {
  kioskId: string;
  secret: SecretKey;
  count: number;
  startAt: Date;
  stepMs?: number;
  fromSeq?: number;
  prevHash?: string;
  seed?: number;
  orderIds?: readonly string[];
  /** The card each order belongs to: its collection records name that card (else a random one,
   * which the back office's intake stores without changing the order). */
  orderCards?: Readonly<Record<string, string>>;
}): KioskJournal {
  const random = seededRandom(options.seed ?? 1);
  const records: JournalRecord[] = [];
  let prev = options.prevHash ?? GENESIS_HASH;
  let seq = options.fromSeq ?? 1;
  let t = options.startAt.getTime();
  let op = 0;
  while (records.length < options.count) {
    op++;
    const cardNumber = String(3528_0000_0000_0000 + Math.floor(random() * 1e11)).padStart(16, '0').slice(0, 16);
    const entries = operation(random, op, options.orderIds ?? []);
    const orderId = entries[0]?.data?.['orderId'];
    const ownCard = typeof orderId === 'string' ? options.orderCards?.[orderId] : undefined;
    const card = cardRef(ownCard ?? cardNumber, options.secret);
    for (const e of entries) {
      if (records.length >= options.count) break;
      const r = sealRecord(
        {
          kioskId: options.kioskId,
          seq,
          at: new Date(t).toISOString(),
          type: e.type,
          operationId: `${options.kioskId}-op-${op}`,
          ...(e.amountCents !== undefined ? { amountCents: e.amountCents } : {}),
          card,
          ...(e.data ? { data: e.data } : {}),
          prevHash: prev,
        },
        options.secret,
      );
      records.push(r);
      prev = r.hash;
      seq++;
      t += options.stepMs ?? 1000;
    }
  }
  return { kioskId: options.kioskId, records };
}
