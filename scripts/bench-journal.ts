/**
 * Journal and uploader benchmark: `tsx scripts/bench-journal.ts`.
 * First, the journal's cost (issue 12 item 7): BENCH_PAIR_APPENDS (default 1000) journal appends
 * (chain, HMAC, privacy check, operation index) side by side with as many bare better-sqlite3
 * INSERTs of the same row shape under the same pragmas (WAL, synchronous=FULL, one transaction
 * each), in fresh files, alternating which goes first, BENCH_PAIRS (default 5) pairs; prints each
 * pair and the median ratio journal/bare (goal <= 1.2). BENCH_RATIO_ONLY=1 stops there.
 * Then durable appends per second and append latency p50/p99 (WAL, synchronous=FULL, on the
 * disk under BENCH_DIR, default the OS temp dir), then the time the uploader takes to deliver a
 * backlog of BENCH_BACKLOG (default 100,000) records to the reference back office over local HTTP.
 * Env: BENCH_APPENDS (default 3000), BENCH_BACKLOG (default 100000), BENCH_BATCH (default 500).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const PAIR_APPENDS = Number(process.env.BENCH_PAIR_APPENDS ?? 1000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * One pair: a fresh journal and a fresh bare table (same row shape, same pragmas), written
 * alternately one append / one insert, PAIR_APPENDS each, so that both see the same disk and CPU
 * load (this machine is shared). Returns the seconds spent in each.
 */
function timePair(dir: string, p: number): { journal: number; bare: number } {
  const j = openJournal({ path: join(dir, `pair-${p}-journal.sqlite`), kioskId: KIOSK, hmacKey: SECRET, clock: systemClock });
  const db = new Database(join(dir, `pair-${p}-bare.sqlite`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE records (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, type TEXT NOT NULL, operation_id TEXT NOT NULL,
    amount_cents INTEGER, card_hash TEXT, card_last4 TEXT, data_json TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, hmac TEXT NOT NULL) STRICT`);
  const insert = db.prepare(`INSERT INTO records (seq, at, type, operation_id, amount_cents, card_hash, card_last4, data_json, prev_hash, hash, hmac)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const card = cardRef('3528010000000017', SECRET);
  const h = 'a'.repeat(64);
  let jt = 0n;
  let bt = 0n;
  for (let i = 0; i < PAIR_APPENDS; i++) {
    const type = i % 2 ? 'payment.approved' : 'payment.intent';
    const journalFirst = (i + p) % 2 === 0;
    for (const which of journalFirst ? ['journal', 'bare'] : ['bare', 'journal']) {
      const t0 = process.hrtime.bigint();
      if (which === 'journal') {
        j.append({ type, operationId: `pay-${i >> 1}`, amountCents: 1000, card, data: { receipt: String(i) } });
        jt += process.hrtime.bigint() - t0;
      } else {
        insert.run(i + 1, new Date().toISOString(), type, `pay-${i >> 1}`, 1000, card.hash, card.last4, JSON.stringify({ receipt: String(i) }), h, h, h);
        bt += process.hrtime.bigint() - t0;
      }
    }
  }
  j.close();
  db.close();
  return { journal: Number(jt) / 1e9, bare: Number(bt) / 1e9 };
}

/** The journal's cost against a bare insert: BENCH_PAIRS pairs, median ratio. */
function journalCost(dir: string): void {
  const ratios: number[] = [];
  const js: number[] = [];
  const bs: number[] = [];
  const us = (secs: number) => ((secs / PAIR_APPENDS) * 1e6).toFixed(0);
  for (let p = 0; p < PAIRS; p++) {
    const { journal: jt, bare: bt } = timePair(dir, p);
    js.push(jt);
    bs.push(bt);
    ratios.push(jt / bt);
    console.log(`pair ${p + 1}: journal ${us(jt)} us/append, bare insert ${us(bt)} us/insert, ratio ${(jt / bt).toFixed(2)}`);
  }
  console.log(
    `journal cost: median of ${PAIRS} pairs (${PAIR_APPENDS} each, alternating): journal ${us(median(js))} us/append, ` +
      `bare ${us(median(bs))} us/insert, ratio ${median(ratios).toFixed(2)}x (goal <= 1.20x)`,
  );
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const base = process.env.BENCH_DIR ?? tmpdir();
  const dir = mkdtempSync(join(base, 'bench-journal-'));
  const fsType = statfsSync(dir).type.toString(16);
  console.log(`bench-journal: dir ${dir} (statfs type 0x${fsType}${fsType === '1021994' ? ' = tmpfs, NOT durable' : ''}), node ${process.version}`);
  try {
    journalCost(dir);
    if (process.env.BENCH_RATIO_ONLY === '1') return;

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
