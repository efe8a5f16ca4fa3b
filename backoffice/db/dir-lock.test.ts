/**
 * One engine per PGlite directory (dir-lock.ts): a live holder is waited for and then refused by
 * name; a holder that is gone (killed, another boot, its pid reused) never blocks the next opener;
 * and PGlite itself cannot be opened twice on one directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentHolder, DirectoryInUseError, holderAlive, lockDirectory } from './dir-lock.js';
import { openPglite } from './engine.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'dir-lock-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('the PGlite directory lock', () => {
  it('a second lock on a held directory waits, then is refused naming the holder; once released it is taken', async () => {
    const dir = path.join(work, 'db');
    const first = await lockDirectory(dir);
    expect(first.path).toBe(`${dir}.lock`);
    expect(existsSync(dir), 'the lock lies next to the directory, never in it (initdb wants it empty)').toBe(false);
    const t0 = Date.now();
    const refused = await lockDirectory(dir, { waitMs: 300, pollMs: 20 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DirectoryInUseError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect((refused as Error).message).toContain(`in use by process ${process.pid}`);
    expect(JSON.parse(readFileSync(first.path, 'utf8'))).toEqual(currentHolder());

    // released while a second one waits: the waiter gets it
    const waiting = lockDirectory(dir, { waitMs: 5_000, pollMs: 20 });
    setTimeout(() => first.release(), 100);
    const second = await waiting;
    expect(JSON.parse(readFileSync(second.path, 'utf8'))).toEqual(currentHolder());
    first.release(); // not its lock any more: a late release of the first leaves the second's alone
    expect(existsSync(second.path)).toBe(true);
    second.release();
    expect(existsSync(second.path)).toBe(false);
  });

  it('a lock left by a process killed with SIGKILL is stale and taken over at once', async () => {
    const dir = path.join(work, 'db');
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('${path.join(HERE, 'dir-lock.ts')}').then(async (m) => { await m.lockDirectory(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); })`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      child.once('exit', (code) => reject(new Error(`the child exited (${code}) before locking`)));
    });
    const held = JSON.parse(readFileSync(`${dir}.lock`, 'utf8')) as { pid: number };
    expect(held.pid).toBe(child.pid);
    expect(await lockDirectory(dir, { waitMs: 200, pollMs: 20 }).catch((e: unknown) => e), 'held by a live process').toBeInstanceOf(DirectoryInUseError);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    const mine = await lockDirectory(dir, { waitMs: 200, pollMs: 20 });
    expect(Date.now() - t0).toBeLessThan(200);
    expect(JSON.parse(readFileSync(mine.path, 'utf8'))).toEqual(currentHolder());
    mine.release();
  }, 30_000);

  it('a holder from another boot, or whose pid now belongs to another process (another start time), is not alive; a damaged lock file is taken over', async () => {
    const me = currentHolder();
    expect(holderAlive(me)).toBe(true);
    expect(holderAlive({ ...me, boot: 'another-boot' })).toBe(false);
    expect(holderAlive({ ...me, start: String(Number(me.start) + 1) })).toBe(false);
    expect(holderAlive({ pid: 2 ** 22 + 7, start: me.start, boot: me.boot })).toBe(false);

    const dir = path.join(work, 'db');
    writeFileSync(`${dir}.lock`, JSON.stringify({ ...me, start: String(Number(me.start) + 1) }));
    const a = await lockDirectory(dir, { waitMs: 200, pollMs: 20 });
    expect(JSON.parse(readFileSync(a.path, 'utf8'))).toEqual(me);
    a.release();

    // half-written or garbage, and older than 5 s: damaged, taken over; younger: waited for
    writeFileSync(`${dir}.lock`, '{"pid": 12');
    expect(await lockDirectory(dir, { waitMs: 200, pollMs: 20 }).catch((e: unknown) => e)).toBeInstanceOf(DirectoryInUseError);
    const old = (Date.now() - 10_000) / 1000;
    utimesSync(`${dir}.lock`, old, old);
    const b = await lockDirectory(dir, { waitMs: 200, pollMs: 20 });
    b.release();
  });

  it('PGlite cannot be opened twice on one directory: the second open is refused while the first is open, and succeeds after it closed', async () => {
    const dir = path.join(work, 'pg');
    const first = await openPglite({ dataDir: dir });
    await first.query(`CREATE TABLE t (x int)`);
    await expect(openPglite({ dataDir: dir, lockWaitMs: 200 })).rejects.toThrow(DirectoryInUseError);
    await first.close();
    const again = await openPglite({ dataDir: dir, lockWaitMs: 200 });
    expect((await again.query(`SELECT count(*)::int AS n FROM t`)).rows).toEqual([{ n: 0 }]);
    await again.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  }, 120_000);
});
