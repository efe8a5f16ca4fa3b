/**
 * Journal and uploader benchmark: `tsx scripts/bench-journal.ts`.
 * Prints durable appends per second and append latency p50/p99 (WAL, synchronous=FULL, on the
 * disk under BENCH_DIR, default the OS temp dir), then the time the uploader takes to deliver a
 * backlog of BENCH_BACKLOG (default 100,000) records to the reference back office over local HTTP.
 * Env: BENCH_APPENDS (default 3000), BENCH_BACKLOG (default 100000), BENCH_BATCH (default 500).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackOffice } from '../backoffice/server.js';
import { createHttpBackOfficeClient } from '../main/backoffice-client/http-client.js';
import { systemClock, systemTime } from '../contract/time.js';
import { cardRef, openJournal } from '../main/journal/sqlite-journal.js';
import { createUploader } from '../main/uploader/uploader.js';

const APPENDS = Number(process.env.BENCH_APPENDS ?? 3000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const SECRET = 'bench-kiosk-secret-0123456789';
const KIOSK = 'kiosk-bench';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const base = process.env.BENCH_DIR ?? tmpdir();
  const dir = mkdtempSync(join(base, 'bench-journal-'));
  const fsType = statfsSync(dir).type.toString(16);
  console.log(`bench-journal: dir ${dir} (statfs type 0x${fsType}${fsType === '1021994' ? ' = tmpfs, NOT durable' : ''}), node ${process.version}`);
  try {
    // 1. Durable appends, one transaction (and one WAL fsync) each, like the kiosk does.
    const j = openJournal({ path: join(dir, 'journal.sqlite'), kioskId: KIOSK, hmacKey: SECRET, clock: systemClock });
    const card = cardRef('3528010000000017', SECRET);
    const lat: number[] = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < APPENDS; i++) {
      const s = process.hrtime.bigint();
      j.append({ type: i % 2 ? 'payment.approved' : 'payment.intent', operationId: `pay-${i >> 1}`, amountCents: 1000, card, data: { receipt: String(i) } });
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    lat.sort((a, b) => a - b);
    console.log(`durable appends: ${APPENDS} in ${secs.toFixed(2)} s = ${(APPENDS / secs).toFixed(0)} appends/s`);
    console.log(`append latency: p50 ${pct(lat, 50).toFixed(3)} ms, p99 ${pct(lat, 99).toFixed(3)} ms, max ${lat[lat.length - 1]!.toFixed(3)} ms`);

    // 2. A backlog (as after days offline), then deliver it.
    const fill0 = process.hrtime.bigint();
    for (let i = j.counts().lastSeq; i < BACKLOG; i++) {
      j.append({ type: 'kiosk.note', operationId: `n-${i}`, amountCents: i % 5000, data: { i } });
    }
    const fillSecs = Number(process.hrtime.bigint() - fill0) / 1e9;
    console.log(`backlog: ${j.counts().pending} undelivered records (filled in ${fillSecs.toFixed(1)} s)`);

    const server = await startBackOffice({ port: 0, dbPath: join(dir, 'backoffice.sqlite'), clock: systemClock, kiosks: { [KIOSK]: SECRET } });
    const intake = createHttpBackOfficeClient({ baseUrl: server.url, kioskId: KIOSK, secret: SECRET, clock: systemClock, blockedCachePath: join(dir, 'blocked.json') });
    const uploader = createUploader({ queue: j, intake, time: systemTime(), random: Math.random, batchSize: BATCH });
    const d0 = process.hrtime.bigint();
    const r = await uploader.drain();
    const dSecs = Number(process.hrtime.bigint() - d0) / 1e9;
    const st = server.store.intakeStatus(KIOSK);
    console.log(
      `backlog delivery: ${r.delivered} records in ${dSecs.toFixed(1)} s = ${(r.delivered / dSecs).toFixed(0)} records/s ` +
        `(batch ${BATCH}; back office contiguous seq ${st.contiguousSeq}, gaps ${st.gaps.length}${r.failed ? `, FAILED: ${r.failed}` : ''})`,
    );
    await server.close();
    j.close();
    if (r.failed !== undefined || st.contiguousSeq < BACKLOG) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
