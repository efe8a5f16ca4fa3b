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

const TICK = 100; // USER_HZ on Linux

/**
 * CPU seconds (user + system) used so far by these processes and every living descendant (a
 * PostgreSQL postmaster and its backends; tsx's wrapper and the node process under it). Processes
 * that already exited are not counted. Undefined where /proc cannot be read (not Linux).
 */
export function treeCpuSeconds(roots: readonly number[]): number | undefined {
  try {
    const procs: { pid: number; ppid: number; cpu: number }[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      } catch {
        continue; // gone since the listing
      }
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.push({ pid: Number(d), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICK });
    }
    const inTree = new Set(roots);
    // Parents before children is not guaranteed by pid order: repeat until nothing is added.
    for (let added = true; added; ) {
      added = false;
      for (const p of procs)
        if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
          inTree.add(p.pid);
          added = true;
        }
    }
    return procs.filter((p) => inTree.has(p.pid)).reduce((s, p) => s + p.cpu, 0);
  } catch {
    return undefined;
  }
}

/**
 * The machine's speed just now: milliseconds for a fixed single-core workload like the storm's own
 * (300 times: a 200-record batch to JSON and back, and its SHA-256; the best of three, after 50 untimed; ~70 ms here). Lower is faster;
 * two runs are comparable when theirs agree.
 */
export function cpuProbeMs(): number {
  const batch = Array.from({ length: 200 }, (_, i) => ({
    kioskId: 'probe-00001',
    seq: i + 1,
    at: new Date(Date.UTC(2026, 10, 30, 6, i)).toISOString(),
    type: 'payment.approved',
    operationId: `op-${i}`,
    amountCents: 500 * (i % 10),
    data: { receipt: `R${i}` },
    prevHash: createHash('sha256').update(String(i)).digest('hex'),
    hash: createHash('sha256').update(String(i + 1)).digest('hex'),
  }));
  let sink = 0;
  const round = (n: number) => {
    for (let i = 0; i < n; i++) {
      const text = JSON.stringify({ records: batch });
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
