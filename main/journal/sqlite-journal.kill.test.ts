import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { openJournal } from './sqlite-journal.js';

const CHILD = fileURLToPath(new URL('./testing/append-child.ts', import.meta.url));
const SECRET = 'kill-test-secret-0123456789';

/** Run the appending child until it has acknowledged `minAcks` more records (or crashes itself), then SIGKILL it. */
function runChild(path: string, minAcks: number, env: Record<string, string> = {}): Promise<{ acked: number[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, 'kiosk-kill', SECRET], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: number[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith('ok ')) acked.push(Number(l.slice(3)));
      if (acked.length >= minAcks) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ acked, signal }));
  });
}

describe('journal under SIGKILL', () => {
  it('a process killed mid-append loses no acknowledged record, leaves no gap and an intact chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-kill-'));
    const path = join(dir, 'journal.sqlite');
    try {
      const allAcked: number[] = [];
      for (const n of [50, 137, 211]) {
        const r = await runChild(path, n);
        expect(r.signal).toBe('SIGKILL');
        allAcked.push(...r.acked);
      }
      const j = openJournal({ path, kioskId: 'kiosk-kill', hmacKey: SECRET, clock: fixedClock('2026-11-23T00:00:00Z') });
      const check = j.verifyChain();
      expect(check.ok).toBe(true);
      const seqs = j.records(0, 1_000_000).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      for (const s of allAcked) expect(seqs).toContain(s);
      j.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('KIOSK_CRASH_AFTER stops a child right after the named durable record, and the record is there after restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-crashpoint-'));
    const path = join(dir, 'journal.sqlite');
    try {
      const r = await runChild(path, 1_000_000, { KIOSK_CRASH_AFTER: 'payment.intent#3' });
      expect(r.signal).toBe('SIGKILL');
      const j = openJournal({ path, kioskId: 'kiosk-kill', hmacKey: SECRET, clock: fixedClock('2026-11-23T00:00:00Z') });
      const recs = j.records(0, 100);
      expect(recs.at(-1)!.type).toBe('payment.intent');
      expect(recs.filter((x) => x.type === 'payment.intent')).toHaveLength(3);
      expect(j.unfinishedOperations()).toHaveLength(3);
      j.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
