/**
 * The embedded-engine decision, measured: `tsx scripts/fleet-bench-engine.ts [records]`.
 * For PGlite (the PostgreSQL schema and queries in WebAssembly) and for the SQLite store: first open
 * of a new database, reopen, open from a pre-initialised template (PGlite), and journal intake rate
 * through each store (batches of 500 signed records, as the uploader sends them). Prints numbers.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../contract/time.js';
import { sealRecord, GENESIS_HASH } from '../contract/record-crypto.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { openPglite } from '../backoffice/db/engine.js';
import { openPgStore } from '../backoffice/db/pg-store.js';
import { openStore } from '../backoffice/store.js';

const KIOSK = 'bench-kiosk';
const SECRET = 'bench-kiosk-secret-0123456789';
const clock = fixedClock('2026-11-23T09:00:00Z');

function records(n: number): JournalRecord[] {
  const out: JournalRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const r = sealRecord(
      { kioskId: KIOSK, seq, at: new Date(Date.parse('2026-11-23T06:00:00Z') + seq * 1000).toISOString(), type: 'payment.committed', operationId: `op-${seq}`, amountCents: 1000, prevHash: prev } as never,
      SECRET,
    ) as JournalRecord;
    prev = r.hash;
    out.push(r);
  }
  return out;
}

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;
const rate = (n: number, t0: number) => `${Math.round(n / ((performance.now() - t0) / 1000))}/s`;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const recs = records(n);
  const dir = mkdtempSync(join(tmpdir(), 'bench-engine-'));
  try {
    // PGlite
    let t0 = performance.now();
    let db = await openPglite({ dataDir: join(dir, 'pglite') });
    let store = await openPgStore({ db, clock });
    console.log(`pglite   first open (initdb + migrate + seed): ${ms(t0)}`);
    t0 = performance.now();
    for (let i = 0; i < n; i += 500) {
      const r = await store.intake(KIOSK, SECRET, recs.slice(i, i + 500));
      if (r.results.some((x) => x.status !== 'accepted')) throw new Error('pglite: a bench record was not accepted');
    }
    console.log(`pglite   intake ${n} records: ${rate(n, t0)}`);
    const template = await db.dumpDataDir?.();
    await store.close();
    t0 = performance.now();
    db = await openPglite({ dataDir: join(dir, 'pglite') });
    store = await openPgStore({ db, clock });
    console.log(`pglite   reopen: ${ms(t0)}`);
    const size = await store.journalSize();
    console.log(`pglite   journal partitions after ${size.records} records: ${(size.bytes / 1e6).toFixed(1)} MB`);
    await store.close();
    if (template) {
      t0 = performance.now();
      db = await openPglite({ dataDir: join(dir, 'pglite-from-template'), template });
      store = await openPgStore({ db, clock });
      console.log(`pglite   first open from a template (no initdb): ${ms(t0)}`);
      await store.close();
    }

    // SQLite (today's store)
    t0 = performance.now();
    let s = openStore(join(dir, 'bo.sqlite'), clock);
    console.log(`sqlite   first open (create + seed): ${ms(t0)}`);
    t0 = performance.now();
    for (let i = 0; i < n; i += 500) {
      if (s.intake(KIOSK, SECRET, recs.slice(i, i + 500)).results.some((x) => x.status !== 'accepted')) throw new Error('sqlite: a bench record was not accepted');
    }
    console.log(`sqlite   intake ${n} records: ${rate(n, t0)}`);
    s.close();
    t0 = performance.now();
    s = openStore(join(dir, 'bo.sqlite'), clock);
    console.log(`sqlite   reopen: ${ms(t0)}`);
    s.close();
    console.log(`sqlite   file size after ${n} records: ${(statSync(join(dir, 'bo.sqlite')).size / 1e6).toFixed(1)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
