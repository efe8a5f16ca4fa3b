/**
 * Journal intake through the whole HTTP path, each side's CPU measured on its own:
 * `tsx scripts/bench-http-intake.ts [--kiosks 500] [--batch 200] [--rounds 4] [--inflight 8]`
 *
 * One back-office process (backoffice/main.ts, as the fleet runs it) on a throwaway PostgreSQL
 * cluster; K kiosks in this process, each with the project's own HTTP client
 * (main/backoffice-client) and a signed journal (backoffice/db/testing/journal-gen.ts). Every round
 * each kiosk sends one batch, at most --inflight at a time (below the back office's intake queue,
 * so nothing is turned away and every batch is done once). The first round opens the kiosks'
 * connections; the rounds after it are steady.
 *
 * Prints, per round and for the steady rounds together: CPU ms a batch for the kiosks' client (this
 * process), the back office (its process tree) and PostgreSQL (the postmaster's tree), the time
 * this process spent in garbage collection, records/s, and the machine's speed (proc-cpu.ts). The
 * fleet storm mixes all three on two cores with its own chaos (503s, return slots); this shows one
 * side's change as one side's number. Compare two trees by alternating runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { systemClock } from '../contract/time.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { deriveKioskKeys } from '../contract/record-crypto.js';
import { createHttpBackOfficeClient, BackOfficeBusyError, type HttpBackOfficeClient } from '../main/backoffice-client/http-client.js';
import { startPgCluster } from '../backoffice/db/testing/pg-cluster.js';
import { startBackOfficeProcess, writeKiosksFile } from '../backoffice/db/testing/backoffice-process.js';
import { generateJournal } from '../backoffice/db/testing/journal-gen.js';
import { cpuProbeMs, postmasterPid, treeCpuSeconds } from './proc-cpu.js';

const { values } = parseArgs({
  options: {
    kiosks: { type: 'string', default: '500' },
    batch: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '8' },
  },
});
const int = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number >= ${min}, got ${v}`);
  return n;
};
const K = int('kiosks', values.kiosks, 1);
const B = int('batch', values.batch, 1);
const R = int('rounds', values.rounds, 2);
const inflight = int('inflight', values.inflight, 1);

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const cluster = await startPgCluster({ settings: { max_connections: '100', shared_buffers: '256MB' } });
const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
try {
  await cluster.createDatabase('bench');
  const url = cluster.socketUrl('bench'); // the Unix socket, as the fleet's back offices use it
  const kiosks = Array.from({ length: K }, (_, i) => ({ id: `bench-${String(i).padStart(5, '0')}`, secret: `bench-kiosk-secret-${i}-${(i * 2654435761) % 1e9}` }));
  const bo = await startBackOfficeProcess({
    databaseUrl: url,
    kiosksFile: writeKiosksFile(dir, Object.fromEntries(kiosks.map((k) => [k.id, k.secret]))),
    env: { BACKOFFICE_POOL: '8', BACKOFFICE_INTAKE_CONCURRENCY: '4', BACKOFFICE_INTAKE_QUEUE: '64' },
  });
  try {
    const startAt = new Date(Date.now() - 86_400_000);
    const fleet = kiosks.map((k, i) => {
      deriveKioskKeys(k.secret);
      const client: HttpBackOfficeClient = createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: k.id, secret: k.secret, clock: systemClock, blockedCachePath: join(dir, `blocked-${k.id}.json`), timeoutMs: 60_000 });
      return { client, records: generateJournal({ kioskId: k.id, secret: k.secret, count: B * R, startAt, seed: i + 1 }).records };
    });
    const pg = [postmasterPid(cluster.dataDir)];
    const boPid = [bo.child.pid!];
    console.log(`bench-http-intake: ${K} kiosks, batches of ${B}, ${R} rounds, ${inflight} in flight; machine speed probe ${cpuProbeMs().toFixed(0)} ms`);
    const steady = { client: 0, backOffice: 0, postgres: 0, gc: 0, ms: 0, batches: 0 };
    let busy = 0;
    for (let round = 0; round < R; round++) {
      const c0 = process.cpuUsage();
      const b0 = treeCpuSeconds(boPid) ?? 0;
      const p0 = treeCpuSeconds(pg) ?? 0;
      const g0 = gcMs;
      const t0 = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < fleet.length) {
          const k = fleet[next++]!;
          const batch = k.records.slice(round * B, (round + 1) * B);
          for (;;) {
            try {
              await k.client.submitRecords(batch);
              break;
            } catch (e) {
              if (!(e instanceof BackOfficeBusyError)) throw e;
              busy++;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(inflight, fleet.length) }, worker));
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      const part = {
        client: (c.user + c.system) / 1000,
        backOffice: ((treeCpuSeconds(boPid) ?? 0) - b0) * 1000,
        postgres: ((treeCpuSeconds(pg) ?? 0) - p0) * 1000,
        gc: gcMs - g0,
      };
      const per = (v: number) => (v / K).toFixed(2);
      console.log(
        `  round ${round + 1}${round === 0 ? ' (connects)' : ''}: ${((K * B) / (ms / 1000)).toFixed(0)} records/s; CPU ms a batch: client ${per(part.client)} (GC ${per(part.gc)}), back office ${per(part.backOffice)}, PostgreSQL ${per(part.postgres)}`,
      );
      if (round > 0) {
        steady.client += part.client;
        steady.backOffice += part.backOffice;
        steady.postgres += part.postgres;
        steady.gc += part.gc;
        steady.ms += ms;
        steady.batches += K;
      }
    }
    const per = (v: number) => (v / steady.batches).toFixed(2);
    console.log(
      `steady (rounds 2-${R}): ${((steady.batches * B) / (steady.ms / 1000)).toFixed(0)} records/s; CPU ms a batch: client ${per(steady.client)} (GC ${per(steady.gc)}), back office ${per(steady.backOffice)}, PostgreSQL ${per(steady.postgres)}; turned away (503) ${busy}`,
    );
    console.log(JSON.stringify({ kiosks: K, batch: B, clientMs: Number(per(steady.client)), clientGcMs: Number(per(steady.gc)), backOfficeMs: Number(per(steady.backOffice)), postgresMs: Number(per(steady.postgres)), busy }));
    await Promise.all(fleet.map((k) => k.client.close()));
  } finally {
    await bo.stop();
  }
} finally {
  cluster.destroy();
  rmSync(dir, { recursive: true, force: true });
}
