/**
 * The back office's per-batch checks, side by side in one process:
 * `tsx scripts/bench-intake-checks.ts [--records 200] [--rounds 7] [--batches 400]`
 *
 * - the body check: zod's `IntakeRequest` against the compiled check the journal route uses
 *   (backoffice/intake-validation.ts);
 * - the record check as checkRecord does it (both digests hex-encoded, compared with hexEqual)
 *   against the digests compared as bytes (tried in stop 23 and dropped: Node's digest() into a
 *   Buffer costs more than the hex string and the two regular expressions it saves).
 * Rounds alternate the two of each pair; prints CPU µs a batch (median of the rounds) and the ratio.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { IntakeRequest } from '../contract/backoffice-api.js';
import { canonicalRecord, checkRecord, deriveKey, type SecretKey } from '../contract/record-crypto.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { generateJournal } from '../backoffice/db/testing/journal-gen.js';
import { compileIntakeCheck } from '../backoffice/intake-validation.js';

const { values } = parseArgs({ options: { records: { type: 'string' }, rounds: { type: 'string' }, batches: { type: 'string' } } });
const records = Number(values.records ?? 200);
const rounds = Number(values.rounds ?? 7);
const batches = Number(values.batches ?? 400);
const secret: SecretKey = 'bench-secret-0123456789abcdef0123';
const body = JSON.parse(JSON.stringify({ records: generateJournal({ kioskId: 'kiosk-00001', secret, count: records, startAt: new Date('2026-12-01T00:00:00Z'), seed: 7 }).records })) as {
  records: JournalRecord[];
};

/** The record check with both digests compared as bytes (the variant measured and dropped). */
function checkRecordBytes(r: JournalRecord, key: SecretKey): boolean {
  const canonical = canonicalRecord(r);
  const is = (digest: Buffer, hex: string) => hex.length === 64 && /^[0-9a-f]*$/.test(hex) && timingSafeEqual(digest, Buffer.from(hex, 'hex'));
  return is(createHash('sha256').update(canonical).digest(), r.hash) && is(createHmac('sha256', deriveKey(key, 'record')).update('ns-kiosk/record/v1\n').update(canonical).digest(), r.hmac);
}

const compiled = await compileIntakeCheck();
const pairs: [string, () => boolean][][] = [
  [
    ['body: zod IntakeRequest', () => IntakeRequest.safeParse(body).success],
    ['body: compiled check', () => compiled(body)],
  ],
  [
    ['records: checkRecord (hex strings, hexEqual)', () => body.records.every((r) => checkRecord(r, secret).ok)],
    ['records: digests compared as bytes', () => body.records.every((r) => checkRecordBytes(r, secret))],
  ],
];
for (const pair of pairs) for (const [name, f] of pair) if (!f()) throw new Error(`${name} refused a valid batch`);

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
console.log(`bench-intake-checks: batches of ${records} records, ${rounds} rounds of ${batches} batches each, alternated`);
for (const pair of pairs) {
  const took = pair.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [, f]] of (round % 2 === 0 ? pair : [...pair].reverse()).entries()) {
      const at = round % 2 === 0 ? i : pair.length - 1 - i;
      const t0 = cpuUs();
      for (let b = 0; b < batches; b++) f();
      took[at]!.push((cpuUs() - t0) / batches);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [a, b] = took.map(median) as [number, number];
  console.log(`  ${pair[0]![0].padEnd(46)} ${a.toFixed(0).padStart(6)} µs a batch`);
  console.log(`  ${pair[1]![0].padEnd(46)} ${b.toFixed(0).padStart(6)} µs a batch  (${(b / a).toFixed(2)} of the first)`);
}
