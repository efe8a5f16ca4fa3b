/**
 * The PostgreSQL store's journal intake, measured without HTTP or clients:
 * `tsx scripts/bench-pg-intake.ts [--kiosks 200] [--records 200] [--concurrency 8] [--database postgres://…]`
 *
 * K kiosks, each with a realistic signed journal (backoffice/db/testing/journal-gen.ts, the fleet
 * simulator's), are taken in by `store.intake` (intake + reconciliation, as the journal route does)
 * C batches at a time. Prints records/s, wall and CPU ms per batch, and the database round trips and
 * transactions per batch (counted at the Db interface), so a change in statements per batch shows
 * as a number that does not depend on how loaded the machine is. Starts its own throwaway
 * PostgreSQL cluster unless --database is given.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { systemClock } from '../contract/time.js';
import { openDatabase, type Db, type Queryable } from '../backoffice/db/engine.js';
import { openPgStore } from '../backoffice/db/pg-store.js';
import { startPgCluster, type PgCluster } from '../backoffice/db/testing/pg-cluster.js';
import { generateJournal } from '../backoffice/db/testing/journal-gen.js';
import { cpuProbeMs, postmasterPid, treeCpuSeconds } from './proc-cpu.js';

/** Counts every statement sent (a round trip each) and every transaction (BEGIN + COMMIT: two more). */
function counting(db: Db) {
  const n = { statements: 0, transactions: 0 };
  const q = (inner: Queryable): Queryable => ({
    query: (text, params) => {
      n.statements++;
      return inner.query(text, params);
    },
  });
  const wrapped: Db = {
    ...db,
    engine: db.engine,
    query: q(db).query,
    transaction: (fn) => {
      n.transactions++;
      return db.transaction((tx) => fn(q(tx)));
    },
    withMigrationClient: (fn) => db.withMigrationClient(fn),
    close: () => db.close(),
  };
  return { db: wrapped, n };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kiosks: { type: 'string', default: '200' },
      records: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '8' },
      database: { type: 'string' },
    },
  });
  const kiosks = Number(values.kiosks);
  const records = Number(values.records);
  const concurrency = Number(values.concurrency);
  let cluster: PgCluster | undefined;
  let url = values.database;
  try {
    if (!url) {
      cluster = await startPgCluster({ settings: { max_connections: '100', shared_buffers: '256MB', synchronous_commit: 'on' } });
      url = await cluster.createDatabase('bench');
    }
    const fleet = Array.from({ length: kiosks }, (_, i) => ({ id: `bench-${String(i).padStart(5, '0')}`, secret: `bench-kiosk-secret-${i}-0123456789` }));
    const secrets = new Map(fleet.map((k) => [k.id, k.secret]));
    const startAt = new Date(Date.now() - 86_400_000);
    const journals = fleet.map((k, i) => ({ ...k, records: generateJournal({ kioskId: k.id, secret: k.secret, count: records, startAt, seed: i + 1 }).records }));
    const { db, n } = counting(await openDatabase(url, { max: concurrency + 2 }));
    const store = await openPgStore({ db, clock: systemClock, secretOf: (id) => secrets.get(id) });
    // Warm up (partition, plans) with one kiosk outside the figures.
    const warm = generateJournal({ kioskId: 'bench-warm', secret: 'bench-kiosk-secret-warm-0123456789', count: records, startAt, seed: 999_999 });
    await store.intake('bench-warm', 'bench-kiosk-secret-warm-0123456789', warm.records);
    n.statements = 0;
    n.transactions = 0;
    const dataDir = (await db.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`)).rows[0]!.d;
    const postmaster = postmasterPid(dataDir);
    const pgCpu0 = treeCpuSeconds([postmaster]);
    const load0 = loadavg()[0]!;
    const probeMs = cpuProbeMs();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    let accepted = 0;
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < journals.length; i = next++) {
          const j = journals[i]!;
          const t = performance.now();
          const res = await store.intake(j.id, j.secret, j.records);
          latencies.push(performance.now() - t);
          accepted += res.results.filter((r) => r.status === 'accepted').length;
        }
      }),
    );
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const pgCpu1 = treeCpuSeconds([postmaster]);
    const stored = (await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM journal_records WHERE kiosk_id LIKE 'bench-0%'`)).rows[0]!.n;
    latencies.sort((a, b) => a - b);
    const batches = journals.length;
    const fig = {
      kiosks,
      records,
      concurrency,
      loadAverage: `${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
      cpuProbeMs: probeMs,
      recordsPerSecond: Math.round((kiosks * records) / (wall / 1000)),
      wallMs: Math.round(wall),
      batchP50ms: Math.round(latencies[Math.floor(batches * 0.5)]!),
      batchP99ms: Math.round(latencies[Math.min(batches - 1, Math.floor(batches * 0.99))]!),
      nodeCpuMsPerBatch: Number(((cpu.user + cpu.system) / 1000 / batches).toFixed(1)),
      postgresCpuMsPerBatch: pgCpu0 !== undefined && pgCpu1 !== undefined ? Number((((pgCpu1 - pgCpu0) * 1000) / batches).toFixed(1)) : 'n/a',
      statementsPerBatch: Number((n.statements / batches).toFixed(1)),
      transactionsPerBatch: Number((n.transactions / batches).toFixed(2)),
      roundTripsPerBatch: Number(((n.statements + 2 * n.transactions) / batches).toFixed(1)),
      storedExactlyOnce: stored === kiosks * records && accepted === stored,
    };
    for (const [k, v] of Object.entries(fig)) console.log(`  ${k.padEnd(22)} ${v}`);
    await store.close();
  } finally {
    cluster?.destroy();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
