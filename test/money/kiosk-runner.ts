/**
 * The kiosk's money core as its own process, for the money proofs: the SQLite journal on disk, the
 * real nfc-pcsc card driver through pcscd + vpcd (to the virtual card process), the real ZVT driver
 * on a serial line (one end of a socat pseudo-terminal pair whose other end the terminal simulator
 * process holds), the top-up service, start-up recovery, and the uploader to a back office. The
 * test kills this process (SIGKILL) at a chosen step, starts it again, and compares what recovery
 * left with the card, the terminal's ledger and the back office.
 *
 * Every start does what the kiosk does at start (composition.ts): open the journal, the devices,
 * then `recoverUnfinished` with the card check of main/journal/card-write-check.ts (is the card of
 * the interrupted write on the reader, and does it carry the operation's ref?). Unlike
 * composition.ts, it first waits (bounded) for the reader to report a card lying on it, so the
 * check can answer.
 *
 * argv[2]: JSON RunnerConfig (below). Events: JSON lines on stdout. Control during a flow: the
 * process stops at the pause points named in `pauseAt` and goes on after a JSON line on stdin
 * ({"go":true} or {"retry":true|false} after a failed credit).
 * Crash points: KIOSK_CRASH_AFTER=type#n (journal, see main/journal/testing/crash-points.ts), and
 * config.crash 'in-commit-hook' (the commit decision reached the driver's hook, never the wire) /
 * 'after-commit-ack' (the terminal acknowledged the commit, payment.committed not yet journaled).
 */
import { writeSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { z } from 'zod';
import { createCardHardware } from '../../hardware/card/index.js';
import { createPaymentHardware } from '../../hardware/payment/index.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { systemClock, systemTime } from '../../contract/time.js';
import { cryptoRandom } from '../../contract/random.js';
import { createCardWriteCheck } from '../../main/journal/card-write-check.js';
import { recoverUnfinished } from '../../main/journal/recovery.js';
import { cardRef, openJournal } from '../../main/journal/sqlite-journal.js';
import { crashAfterFromEnv } from '../../main/journal/testing/crash-points.js';
import { localDate } from '../../domain/dates.js';
import { createCardService } from '../../main/services/card-service.js';
import { createOrderService } from '../../main/services/order-service.js';
import { creditRefsOnCard } from '../../contract/card.js';
import { createTopUpService, type TopUpService } from '../../main/services/top-up.js';
import { createDecisionHook } from '../../main/money/decision-hook.js';
import { createUploader } from '../../main/uploader/uploader.js';

export const runnerConfigSchema = z.object({
  dataDir: z.string().min(1),
  kioskId: z.string().min(1),
  secret: z.string().min(32),
  /** The kiosk's end of the serial line. */
  ecrPath: z.string().min(1),
  readerName: z.string().min(1),
  backOfficeUrl: z.string().url(),
  /** ZVT settings (timers, holdMs, orphanListenMs...), as in hardware/payment/config.ts. */
  payment: z.record(z.string(), z.unknown()).default({}),
  /** read-card: a tap just to see the balance (the card service's read, which journals card.refs-seen). */
  flow: z.enum(['none', 'top-up', 'collect-order', 'read-card']).default('none'),
  /** collect-order: the back-office order to collect for the card on the reader. */
  orderId: z.string().min(1).optional(),
  amountCents: z.number().int().positive().default(100),
  /** Wait this long at start for the reader to report a card lying on it (before recovery). */
  cardWaitMs: z.number().int().min(0).default(4000),
  pauseAt: z.array(z.enum(['approved', 'credit-failed'])).default([]),
  crash: z.enum(['in-commit-hook', 'after-commit-ack']).optional(),
});
export type RunnerConfig = z.input<typeof runnerConfigSchema>;

const config = runnerConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const out = (o: object) => writeSync(1, JSON.stringify(o) + '\n');
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  // never go on, even for the moment the signal takes to land
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  throw new Error('unreachable');
};
const log = pino({ level: process.env.MONEY_LOG ? 'info' : 'silent' }, pino.destination(2));
const driverLog = process.env.MONEY_LOG ? (msg: string, extra?: object) => log.info(extra ?? {}, msg) : undefined;

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function pause(at: string): Promise<Record<string, unknown>> {
  if (!config.pauseAt.includes(at as never)) return {};
  out({ event: 'paused', at });
  const next = await lines.next();
  return next.done ? {} : (JSON.parse(next.value) as Record<string, unknown>);
}

const clock = systemClock;
const afterAppend = crashAfterFromEnv();
const journal = openJournal({
  path: path.join(config.dataDir, 'journal.sqlite'),
  kioskId: config.kioskId,
  hmacKey: config.secret,
  clock,
  ...(afterAppend ? { afterAppend } : {}),
});
const card = await createCardHardware({ mode: 'real', readerName: config.readerName }, { clock, ...(driverLog ? { log: driverLog } : {}) });
// The decision hook is built from the journal alone, as in main/composition.ts: terminal first.
const onDecision = createDecisionHook(journal);
const payment = await createPaymentHardware({ ...config.payment, mode: 'real', serialPath: config.ecrPath } as never, {
  clock,
  ...(driverLog ? { log: driverLog } : {}),
  onDecision: async (id, decision) => {
    await onDecision(id, decision);
    if (decision === 'commit' && config.crash === 'in-commit-hook' && config.flow !== 'none') die();
  },
});
const terminal: PaymentTerminal =
  config.crash === 'after-commit-ack'
    ? new Proxy(payment.terminal, {
        get(t, p) {
          if (p === 'commit')
            return async (...a: Parameters<PaymentTerminal['commit']>) => {
              await t.commit(...a);
              die();
            };
          const v = Reflect.get(t, p, t) as unknown;
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
        },
      })
    : payment.terminal;
const topUp: TopUpService = createTopUpService({
  reader: card.reader,
  terminal,
  journal,
  clock,
  random: cryptoRandom,
  kioskId: config.kioskId,
  maxBalanceCents: 15_000,
  cardRef: (n) => cardRef(n, config.secret),
  log,
});

async function waitForCard(ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!card.reader.currentCard()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

// ---- start-up: recovery, as createKiosk().start() does it
const cardThere = await waitForCard(config.cardWaitMs);
// The same check as the kiosk's start-up recovery (main/journal/card-write-check.ts).
const checkCardWrite = createCardWriteCheck({
  reader: card.reader,
  cardHash: (n) => cardRef(n, config.secret).hash,
  onChecked: (result, why) => out({ event: 'card-check', result, why }),
});
const report = await recoverUnfinished({ journal, terminal: payment.terminal, log: (msg, extra) => log.warn(extra ?? {}, msg), checkCardWrite });
out({ event: 'started', cardOnReader: cardThere, recovery: report });

// ---- the flow
const backOffice = createHttpBackOfficeClient({ baseUrl: config.backOfficeUrl, kioskId: config.kioskId, secret: config.secret, clock, blockedCachePath: path.join(config.dataDir, 'blocked.json') });
if (config.flow === 'collect-order') {
  const orders = createOrderService({
    reader: card.reader,
    backOffice,
    journal,
    clock,
    random: cryptoRandom,
    timeZone: 'Europe/Amsterdam',
    maxBalanceCents: 15_000,
    exclusiveProductGroups: [],
    cardRef: (n) => cardRef(n, config.secret),
    log,
  });
  const c = await card.reader.read(['identity', 'purse', 'products']);
  out({ event: 'before', balanceCents: c.balanceCents, refs: creditRefsOnCard(c) });
  const pending = await orders.fetchOrders({ cardNumber: c.cardNumber });
  const order = pending.ok ? pending.orders.find((o) => o.orderId === config.orderId) : undefined;
  if (!order) out({ event: 'collected', error: `order ${config.orderId} not offered: ${JSON.stringify(pending)}` });
  else {
    const result = await orders.collect({ order, card: { uid: c.uid, cardNumber: c.cardNumber }, today: localDate(clock.now(), 'Europe/Amsterdam') });
    out({ event: 'collected', result: result.result });
  }
}
if (config.flow === 'read-card') {
  // The traveller taps just to see the balance: the kiosk's card service reads the card and
  // journals the refs it holds (card.refs-seen), as at every read; the uploader below delivers them.
  const cards = createCardService({ reader: card.reader, backOffice, clock, timeZone: 'Europe/Amsterdam', log, refsSeen: { journal, cardRef: (n) => cardRef(n, config.secret) } });
  const r = await cards.read();
  out({ event: 'read', ok: r.ok, ...(r.ok ? { balanceCents: r.card.balanceCents } : {}) });
}
if (config.flow === 'top-up') {
  const identity = await card.reader.read(['identity', 'purse']);
  out({ event: 'before', balanceCents: identity.balanceCents });
  const who = { uid: identity.uid, cardNumber: identity.cardNumber };
  const auth = await topUp.authorize({ amountCents: config.amountCents, card: who });
  out({ event: 'authorized', result: auth });
  if (auth.result === 'approved') {
    await pause('approved');
    const req = { paymentId: auth.paymentId, amountCents: config.amountCents, card: who };
    let credit = await topUp.credit(req);
    out({ event: 'credit', result: credit });
    if (credit.result !== 'credited') {
      const answer = await pause('credit-failed');
      if (answer['retry'] === true && (await waitForCard(8000))) {
        credit = await topUp.credit(req);
        out({ event: 'credit', result: credit, retry: true });
      }
      if (credit.result !== 'credited') out({ event: 'rollback', result: await topUp.rollback(req) });
    }
  }
}

// ---- deliver the journal, read the card back through the stack, close
const uploader = createUploader({
  queue: journal,
  intake: backOffice,
  time: systemTime(clock),
  random: () => cryptoRandom.next(),
});
out({ event: 'uploaded', ...(await uploader.drain()) });
for (let attempt = 1; ; attempt++) {
  if (!(await waitForCard(1500))) {
    out({ event: 'card', absent: true });
    break;
  }
  try {
    const c = await card.reader.read(['identity', 'purse', 'products']);
    // every credit ref the card holds: its credit-ref log (last 16 credits), top-up records, products
    out({ event: 'card', balanceCents: c.balanceCents, refs: creditRefsOnCard(c) });
    break;
  } catch (e) {
    if (attempt >= 3) {
      out({ event: 'card', error: (e as Error).message });
      break;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
out({ event: 'chain', ...journal.verifyChain() });
await uploader.stop();
await payment.stop();
await card.stop();
journal.close();
out({ event: 'done' });
process.exit(0);
