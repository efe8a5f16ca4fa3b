/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp dir, pg_ctl on a
 * private socket directory and a free loopback port, stopped and removed afterwards. PostgreSQL
 * refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser).
 *
 * Binaries: $PG_BIN, else the newest /usr/lib/postgresql/NN/bin (Debian's `postgresql` package;
 * scripts/install-system-packages.sh installs it). `findPostgresBinaries()` says why when absent.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgCluster {
  /** postgres://… URL of a database in this cluster (default: `postgres`). */
  url(database?: string): string;
  /** The same database over the cluster's Unix socket (no loopback TCP stack: see scripts/fleet.ts). */
  socketUrl(database?: string): string;
  /** Create a fresh database and return its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stop the server immediately (pg_ctl -m immediate for `crash`, else fast). */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Start it again after stop (same data, same port). */
  start(): void;
  /** Stop and remove everything. */
  destroy(): void;
  readonly port: number;
  readonly dataDir: string;
}

export function findPostgresBinaries(): { bin: string } | { missing: string } {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? { bin: fromEnv } : { missing: `PG_BIN=${fromEnv} has no initdb` };
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) return { missing: `no PostgreSQL server binaries (${root}/NN/bin/initdb): apt-get install postgresql, or set PG_BIN` };
  versions.sort((a, b) => Number(b) - Number(a));
  return { bin: join(root, versions[0]!, 'bin') };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface StartClusterOptions {
  /** Extra server settings, e.g. { max_connections: '200', fsync: 'off' }. */
  settings?: Record<string, string>;
}

export async function startPgCluster(options: StartClusterOptions = {}): Promise<PgCluster> {
  const found = findPostgresBinaries();
  if ('missing' in found) throw new Error(found.missing);
  const asRoot = process.getuid?.() === 0;
  const base = mkdtempSync(join(tmpdir(), 'bo-pg-'));
  const dataDir = join(base, 'data');
  const sockDir = join(base, 'sock');
  if (asRoot) chownSync(base, uidOf('postgres'), gidOf('postgres'));
  const run = (cmd: string, args: string[]) => {
    const full = join(found.bin, cmd);
    const argv = asRoot ? ['-u', 'postgres', '--', full, ...args] : args;
    return execFileSync(asRoot ? 'runuser' : full, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: base, timeout: 60_000 }).toString();
  };
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  execFileSync(asRoot ? 'runuser' : 'mkdir', asRoot ? ['-u', 'postgres', '--', 'mkdir', sockDir] : [sockDir]);
  const port = await freePort();
  const settings = { listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: sockDir, max_connections: '200', ...options.settings };
  const opts = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  const start = () => {
    run('pg_ctl', ['-D', dataDir, '-l', join(base, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  };
  let running = false;
  start();
  running = true;
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dataDir,
    url,
    socketUrl: (database = 'postgres') => `postgres://postgres@localhost/${database}?host=${encodeURIComponent(sockDir)}&port=${port}`,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    stop(mode = 'fast') {
      if (!running) return;
      run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', 'stop']);
      running = false;
    },
    start() {
      if (running) return;
      start();
      running = true;
    },
    destroy() {
      try {
        if (running) run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already gone
      }
      running = false;
      rmSync(base, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}
function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}

/**
 * For test files: a cluster, or the reason there is none. Absent binaries skip the PostgreSQL tests
 * with that reason, except under CI (CI=true), where they must run: there it is an error.
 */
export function postgresAvailability(): { ok: true } | { ok: false; reason: string } {
  const found = findPostgresBinaries();
  if ('bin' in found) return { ok: true };
  if (process.env.CI === 'true') throw new Error(`CI must run the PostgreSQL tests: ${found.missing}`);
  return { ok: false, reason: found.missing };
}
