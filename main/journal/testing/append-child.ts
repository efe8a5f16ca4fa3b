/**
 * Child process for the journal kill test: appends records as fast as it can and prints
 * "ok <seq>" after each append returned (i.e. was durable), until it is killed.
 * argv: <journal path> <kiosk id> <secret>
 */
import { writeSync } from 'node:fs';
import { systemClock } from '../../../contract/time.js';
import { crashAfterFromEnv } from './crash-points.js';
import { openJournal } from '../sqlite-journal.js';

const [path, kioskId, secret] = process.argv.slice(2) as [string, string, string];
const afterAppend = crashAfterFromEnv();
const j = openJournal({ path, kioskId, hmacKey: secret, clock: systemClock, ...(afterAppend ? { afterAppend } : {}) });
for (let i = 0; ; i++) {
  const r = j.append({ type: i % 3 === 0 ? 'payment.intent' : 'kiosk.note', operationId: `c-${process.pid}-${i}`, amountCents: i });
  writeSync(1, `ok ${r.seq}\n`);
}
