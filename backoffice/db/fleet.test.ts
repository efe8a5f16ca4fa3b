/**
 * The fleet simulator's CI size (the full runs are benchmarks: backoffice/README.md): 20 kiosks
 * with 20 records each storm two back-office processes on a throwaway PostgreSQL through the
 * project's own uploader and client, from two client processes; then a card blocked centrally
 * reaches every polling kiosk.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runFleet, type FleetOptions } from '../../scripts/fleet.js';
import { postgresAvailability } from './testing/pg-cluster.js';

const pgAvailable = postgresAvailability();
const base: FleetOptions = {
  scenario: 'storm',
  kiosks: 20,
  records: 20,
  processes: 2,
  clients: 2,
  batch: 500,
  timeoutMs: 30_000,
  perMinute: 2,
  minuteMs: 1000,
  durationMs: 20_000,
  pollMs: 2000,
  ordersPerSecond: 20,
  quiet: true,
};

describe.skipIf(!pgAvailable.ok)(`fleet simulator, CI size${pgAvailable.ok ? '' : ` — skipped: ${pgAvailable.reason}`}`, () => {
  it('storm of 20 kiosks x 20 records through two back-office processes: every record stored exactly once, no gap reported, none lost; the CPU each part used, the records the 503s carried and the machine\'s speed reported', async () => {
    const f = await runFleet(base);
    expect(f).toMatchObject({ recordsSent: 400, recordsStored: 400, storedExactlyOnce: true, kiosksWithGaps: 0, falseGapReports: 0, otherFailures: 0 });
    expect(Number(f.shutdownMaxMs)).toBeLessThan(10_000);
    for (const k of ['cpuProbeMs', 'cpuSecondsClients', 'cpuSecondsBackOffice', 'cpuSecondsPostgres']) {
      expect(f[k], k).toBeTypeOf('number');
      expect(Number.isFinite(f[k]) && Number(f[k]) >= 0, `${k} = ${f[k]}: a finite count, never negative`).toBe(true);
    }
    expect(Number(f.cpuProbeMs)).toBeGreaterThan(0);
    // Records sent in batches answered busy: at most every attempt's records, never more than the 503s carried.
    expect(Number.isInteger(f.recordsIn503s) && Number(f.recordsIn503s) >= 0 && Number(f.recordsIn503s) <= Number(f.retries503) * base.batch, `recordsIn503s = ${f.recordsIn503s}`).toBe(true);
    expect(Number(f.cpuSecondsBackOffice) + Number(f.cpuSecondsPostgres)).toBeGreaterThan(0); // 40 batches taken in
  }, 180_000);

  it('a card blocked centrally reaches every polling kiosk within about one poll interval, its list version never going down', async () => {
    const f = await runFleet({ ...base, scenario: 'blocked', durationMs: 30_000 });
    expect(f).toMatchObject({ kiosksInformed: 20, kiosksMissing: 0, versionRegressions: 0 });
    // One poll interval plus the time of that one request, with room for a CI machine shared with
    // other test files (the benchmark reports the real distribution: backoffice/README.md).
    expect(Number(f.maxMs)).toBeLessThan(3 * base.pollMs);
  }, 180_000);

  it('stopped with SIGINT mid-run it stops its clients, back offices and PostgreSQL cluster, prints what it measured so far and exits 130', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'scripts/fleet.ts'), '--scenario', 'steady', '--kiosks', '10', '--processes', '2', '--minute-ms', '1000', '--duration-ms', '120000'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Running: the cluster is up, both back offices serve, the kiosks deliver.
    for (let i = 0; i < 1200 && !/delivered [1-9]/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/delivered [1-9]/);
    const [, dataDir, workDir] = /PostgreSQL cluster (\S+) \(port \d+\), working directory (\S+)/.exec(out) ?? [];
    expect(dataDir && existsSync(dataDir)).toBeTruthy();
    child.kill('SIGINT'); // to tsx, which relays it to the simulator, as Ctrl-C would
    expect(await exit).toBe(130);
    expect(out).toMatch(/interrupted by SIGINT; measured so far:[\s\S]*delivered\s+[1-9]/);
    expect(out).not.toMatch(/EPIPE|Unhandled/);
    // Nothing left: no postgres on that data directory (pg_ctl stopped it, the directory is gone),
    // no client (its config is in the working directory) and no back office (its kiosks file is).
    expect(existsSync(dataDir!)).toBe(false);
    expect(existsSync(workDir!)).toBe(false);
    expect(processesMentioning(dataDir!)).toEqual([]);
    expect(processesMentioning(workDir!)).toEqual([]);
  }, 180_000);
});

/** Pids of live processes whose command line or environment mentions `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    for (const f of ['cmdline', 'environ']) {
      try {
        if (readFileSync(`/proc/${pid}/${f}`, 'latin1').includes(text)) found.push(Number(pid));
      } catch {
        // gone, or not ours to read
      }
    }
  }
  return [...new Set(found)].filter((p) => p !== process.pid);
}
