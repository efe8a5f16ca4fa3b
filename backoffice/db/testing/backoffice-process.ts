/**
 * A back office in its own OS process (backoffice/main.ts under tsx), for the concurrency tests
 * and the fleet simulator: several of them against one database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface BackOfficeProcess {
  url: string;
  child: ChildProcess;
  /** SIGTERM, then wait for the exit: its code and how long the shutdown took. */
  stop(): Promise<{ code: number | null; ms: number }>;
  /** Output so far (for failure messages). */
  output(): string;
  /** Signal the process — with `detached`, its whole group: tsx's wrapper and the node process under it. */
  kill(signal: NodeJS.Signals): void;
}

export function writeKiosksFile(dir: string, kiosks: Record<string, string>): string {
  const path = join(dir, `kiosks-${process.pid}-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(kiosks), { mode: 0o600 });
  return path;
}

export async function startBackOfficeProcess(options: {
  databaseUrl: string;
  kiosksFile: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** Its own process group, so `kill` reaches the node process under tsx too (a SIGKILL to tsx
   * alone leaves that one running). The fleet simulator's orderly stop uses it. */
  detached?: boolean;
  /** Give up starting (and kill it) when this aborts. */
  signal?: AbortSignal;
}): Promise<BackOfficeProcess> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'backoffice/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      BACKOFFICE_PORT: '0',
      BACKOFFICE_DATABASE_URL: options.databaseUrl,
      BACKOFFICE_KIOSKS_FILE: options.kiosksFile,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.detached ? { detached: true } : {}),
  });
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (options.detached && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`back office process did not start:\n${out}`)), options.startTimeoutMs ?? 90_000);
    const onData = () => {
      const m = /back office listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`back office process exited (${code}):\n${out}`));
    });
    options.signal?.addEventListener('abort', () => {
      clearTimeout(t);
      kill('SIGKILL');
      reject(new Error('interrupted while the back office process started'));
    }, { once: true });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url,
    child,
    output: () => out,
    kill,
    async stop() {
      const t0 = performance.now();
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      return { code, ms: performance.now() - t0 };
    },
  };
}
