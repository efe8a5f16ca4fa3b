/**
 * The back office's database, one SQL dialect (PostgreSQL) on two engines:
 * - a PostgreSQL server through node-postgres (`pg`), for operators: `postgres://…` URLs;
 * - PGlite (PostgreSQL compiled to WebAssembly, in process), the embedded default: `pglite:PATH`
 *   or `pglite:memory`. Same schema (migrations/), same queries (pg-store.ts).
 * Migrations are run by node-pg-migrate (migrate.ts).
 *
 * Errors: anything that says the database cannot be reached or the connection died is raised as
 * DatabaseUnavailableError, so the HTTP layer answers a retryable 503 (the transaction was rolled
 * back or never committed: nothing half-stored).
 */
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { lockDirectory } from './dir-lock.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

/** A client node-pg-migrate can drive (multi-statement text without parameters allowed). */
export interface MigrationClient {
  query(text: string | { text: string; values?: unknown[] }, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface Db extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /** One transaction on one connection: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** A dedicated connection for the migration tool. */
  withMigrationClient<T>(fn: (client: MigrationClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite only: the data directory as a tar (a template for new embedded databases). */
  dumpDataDir?(): Promise<Blob>;
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** SQLSTATE classes/codes that mean "try again later", not "your request is wrong". */
function isUnavailable(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  if (code.startsWith('08')) return true; // connection exception
  if (['57P01', '57P02', '57P03', '53300', '53200', '40001', '40P01', '55P03', '57014'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  const msg = typeof err.message === 'string' ? err.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection|Cannot use a pool after calling end/i.test(msg);
}

function wrap(e: unknown): unknown {
  if (e instanceof DatabaseUnavailableError) return e;
  if (isUnavailable(e)) return new DatabaseUnavailableError(`database unavailable: ${(e as Error).message}`, { cause: e });
  return e;
}

export interface PostgresOptions {
  url: string;
  /** Pool size per process; default 10. */
  max?: number;
  /** Give up waiting for a pooled connection after this long (-> 503); default 5 s. */
  connectionTimeoutMs?: number;
  /** Per-statement limit; default 15 s. */
  statementTimeoutMs?: number;
}

/** At most this many distinct statement texts are prepared (per process; per connection at most
 * as many): beyond it a text runs unnamed, parsed and planned on every call as before. */
export const MAX_PREPARED_STATEMENTS = 200;

/**
 * Parameterised statements run as named (prepared) statements: the server parses and plans each
 * text once per connection instead of on every call (a journal batch is ~15 of them: the INSERT of
 * its records as 12 arrays, the intake lock and finish, reconciliation's; parsing and planning were
 * ~8 % of PostgreSQL's CPU in the fleet storm, `perf`). The name comes from the text, one per
 * distinct text in this process, so one name never stands for two texts on a connection.
 */
function statementNamer(): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED_STATEMENTS) {
      name = `bo_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
}

export function openPostgres(options: PostgresOptions): Db {
  const statementName = statementNamer();
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    // A backend that dies while idle must not crash the process.
    allowExitOnIdle: false,
  });
  // An idle client's connection error is reported here; the pool drops that client.
  pool.on('error', () => {});
  // int8 (bigint) columns hold seqs and versions well below 2^53: read them as numbers.
  const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) };

  async function query<R>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    try {
      const name = params !== undefined && params.length > 0 ? statementName(text) : undefined;
      const r = await client.query({ text, values: params as unknown[] | undefined, types, ...(name ? { name } : {}) } as pg.QueryConfig);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      throw wrap(e);
    }
  }

  return {
    engine: 'postgres',
    query: (text, params) => query(pool, text, params),
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw new DatabaseUnavailableError(`database unavailable: ${(e as Error).message}`, { cause: e });
      }
      let broken: unknown;
      // A checked-out client whose connection dies (the server terminated it, the network went)
      // also emits 'error'; unheard, that event killed the whole process. The failing query
      // rejects as well and is answered 503 below; this listener only keeps the process alive.
      const onLost = (e: Error) => {
        broken ??= e;
      };
      client.on('error', onLost);
      try {
        await query(client, 'BEGIN');
        const out = await fn({ query: (text, params) => query(client, text, params) });
        await query(client, 'COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError; // the connection is gone: the server rolls back by itself
        }
        throw wrap(e);
      } finally {
        client.off('error', onLost);
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async withMigrationClient(fn) {
      const client = await pool.connect().catch((e: unknown) => {
        throw new DatabaseUnavailableError(`database unavailable: ${(e as Error).message}`, { cause: e });
      });
      try {
        return await fn(client as unknown as MigrationClient);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export interface PgliteOptions {
  /** Data directory, or undefined for an in-memory database. */
  dataDir?: string;
  /** A pre-initialised data directory (tar, from PGlite's dumpDataDir) to start a new one from. */
  template?: Blob;
  /** How long to wait for another engine to let go of `dataDir` (dir-lock.ts; default 15 s). */
  lockWaitMs?: number;
}

/** PGlite's own types are used only here; the store sees the same Db as for a server. */
export async function openPglite(options: PgliteOptions): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  // One engine per directory: PGlite locks nothing itself (dir-lock.ts).
  const lock = options.dataDir !== undefined ? await lockDirectory(options.dataDir, { ...(options.lockWaitMs !== undefined ? { waitMs: options.lockWaitMs } : {}) }) : undefined;
  let db: PGlite;
  try {
    db = await PGlite.create({
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      ...(options.template !== undefined ? { loadDataDir: options.template } : {}),
    });
  } catch (e) {
    lock?.release();
    throw e;
  }
  const parsers = { 20: (v: string) => Number(v) };
  const toResult = <R>(r: { rows: unknown[]; affectedRows?: number }): QueryResult<R> => ({
    rows: r.rows as R[],
    rowCount: r.affectedRows ?? r.rows.length,
  });
  // PGlite is one connection: PGlite.transaction() holds it exclusively, plain queries wait for it.
  return {
    engine: 'pglite',
    async query<R>(text: string, params?: readonly unknown[]) {
      return toResult<R>(await db.query(text, params as unknown[] | undefined, { parsers }));
    },
    transaction(fn) {
      return db.transaction((tx) => fn({ query: async <R>(text: string, params?: readonly unknown[]) => toResult<R>(await tx.query(text, params as unknown[] | undefined, { parsers })) }));
    },
    async withMigrationClient(fn) {
      return fn({
        async query(q, values) {
          const text = typeof q === 'string' ? q : q.text;
          const vals = values ?? (typeof q === 'string' ? undefined : q.values);
          if (vals === undefined || vals.length === 0) {
            // Migrations are multi-statement scripts: the simple protocol runs them whole.
            const results = await db.exec(text);
            return { rows: (results.at(-1)?.rows ?? []) as Record<string, unknown>[] };
          }
          return { rows: (await db.query(text, vals)).rows as Record<string, unknown>[] };
        },
      });
    },
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
    dumpDataDir: () => db.dumpDataDir('none'),
  };
}

/**
 * `postgres://…` / `postgresql://…` → a server; `pglite:memory` → embedded in memory;
 * `pglite:PATH` → embedded with its data in PATH. Anything else is refused (fail closed).
 */
export async function openDatabase(url: string, options: Omit<PostgresOptions, 'url'> & { template?: Blob; lockWaitMs?: number } = {}): Promise<Db> {
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres({ ...options, url });
  if (url === 'pglite:memory') return openPglite({ ...(options.template ? { template: options.template } : {}) });
  if (url.startsWith('pglite:') && url.length > 'pglite:'.length) {
    return openPglite({
      dataDir: url.slice('pglite:'.length),
      ...(options.template ? { template: options.template } : {}),
      ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
    });
  }
  throw new Error(`BACKOFFICE_DATABASE_URL: expected postgres://…, pglite:memory or pglite:PATH, got '${url.replace(/:[^:@/]*@/, ':***@')}'`);
}
