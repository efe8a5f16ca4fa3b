/**
 * The top-up service as the in-process money tests build it: sequential ids, kiosk K1, the EUR 150
 * balance limit, card refs under the test's secret, a silent log. Shared by
 * main/services/top-up.test.ts and test/money/commit-order.test.ts.
 */
import { pino } from 'pino';
import type { CardReader } from '../../hardware/card/card-reader.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import type { Clock } from '../../contract/time.js';
import { sequentialRandom } from '../../contract/random.js';
import { cardRef, type SqliteJournal } from '../../main/journal/sqlite-journal.js';
import { createTopUpService, type TopUpService } from '../../main/services/top-up.js';

export function testTopUpService(deps: { reader: CardReader; terminal: PaymentTerminal; journal: SqliteJournal; clock: Clock; secret: string }): TopUpService {
  return createTopUpService({
    reader: deps.reader,
    terminal: deps.terminal,
    journal: deps.journal,
    clock: deps.clock,
    random: sequentialRandom(),
    kioskId: 'K1',
    maxBalanceCents: 15_000,
    cardRef: (n) => cardRef(n, deps.secret),
    log: pino({ level: 'silent' }),
  });
}
