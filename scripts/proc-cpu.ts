/**
 * CPU accounting for the benchmark scripts (fleet.ts, bench-pg-intake.ts), from Linux's /proc on
 * this machine: what each part of a run cost (the storm saturates both cores, so its drain time is
 * its CPU seconds over two), and how fast the machine itself was at the time (the same storm took
 * 60 s and 70 s at the same code, 111 and 126 core-seconds: every part used more CPU in the slow
 * run, on a virtual machine that reports no steal; backoffice/README.md, stop 18).
 * Hand-written: a dozen lines over /proc/<pid>/stat; the process-listing libraries shell out to ps.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateJournal } from '../backoffice/db/testing/journal-gen.js';

const TICK = 100; // USER_HZ on Linux

/**
 * CPU seconds (user + system) used so far by these processes and every living descendant (a
 * PostgreSQL postmaster and its backends; tsx's wrapper and the node process under it). Processes
 * that already exited are not counted. Undefined where /proc cannot be read (not Linux).
 */
export function treeCpuSeconds(roots: readonly number[]): number | undefined {
  try {
    const cpu = new Map<number, number>();
    const children = new Map<number, number[]>();
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      } catch {
        continue; // gone since the listing
      }
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(d);
      const ppid = Number(f[1]);
      cpu.set(pid, (Number(f[11]) + Number(f[12])) / TICK);
      const siblings = children.get(ppid);
      if (siblings) siblings.push(pid);
      else children.set(ppid, [pid]);
    }
    let total = 0;
    for (const todo = [...new Set(roots)]; todo.length > 0; ) {
      const pid = todo.pop()!;
      total += cpu.get(pid) ?? 0;
      todo.push(...(children.get(pid) ?? []));
    }
    return total;
  } catch {
    return undefined;
  }
}

/** The postmaster's pid of a PostgreSQL data directory (first line of its postmaster.pid). */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/**
 * The machine's speed just now: milliseconds for a fixed single-core workload like the storm's own
 * (300 times: a 200-record journal batch, as the fleet generates them, to JSON and back, and its
 * SHA-256; the best of three, after 50 untimed; ~70 ms here). Lower is faster; two runs are
 * comparable when theirs agree.
 */
export function cpuProbeMs(): number {
  const { records } = generateJournal({ kioskId: 'probe-00001', secret: 'cpu-probe-secret-0123456789', count: 200, startAt: new Date(Date.UTC(2026, 10, 30)) });
  let sink = 0;
  const round = (n: number) => {
    for (let i = 0; i < n; i++) {
      const text = JSON.stringify({ records });
      sink += (JSON.parse(text) as { records: unknown[] }).records.length;
      sink += createHash('sha256').update(text).digest()[0]!;
    }
  };
  round(50); // compiled before it is timed
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    round(300);
    best = Math.min(best, performance.now() - t0);
  }
  if (sink < 0) throw new Error('unreachable'); // keeps the loop from being optimised away
  return Math.round(best);
}
