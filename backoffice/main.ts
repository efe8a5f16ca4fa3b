/**
 * Run the reference back office on its own: `tsx backoffice/main.ts`.
 * Environment:
 *   BACKOFFICE_PORT  (default 8787; 0 = any free port)
 *   BACKOFFICE_HOST  (default 127.0.0.1)
 *   BACKOFFICE_DATABASE_URL  the PostgreSQL store: `postgres://user@host:port/db` (a server; run as
 *                    many processes as you like against it), `pglite:PATH` or `pglite:memory` (the
 *                    embedded engine). Default: `pglite:var/backoffice-pglite`.
 *   BACKOFFICE_DB    the legacy SQLite store instead (a file or ':memory:'), when set and no URL is.
 *   BACKOFFICE_POOL  connections per process to a server (default 10).
 *   BACKOFFICE_INTAKE_CONCURRENCY / BACKOFFICE_INTAKE_QUEUE  backpressure (server.ts IntakeGate).
 *   BACKOFFICE_KIOSKS  kiosk secrets as `id=secret,id2=secret2` (secrets >= 16 characters).
 *                      Without it, the development kiosk `kiosk-dev` with secret
 *                      `dev-kiosk-secret-change-me` is accepted (and a warning printed).
 *   BACKOFFICE_KIOSKS_FILE  a JSON object {"kiosk-id": "secret", ...} instead (a fleet).
 *   BACKOFFICE_OPERATORS  operators of the reconciliation routes (/operator/…) as `id=token,id2=token2`
 *                    (tokens >= 32 characters; HTTP Basic). Without it those routes answer 401.
 *   BACKOFFICE_UNCONFIRMED_AFTER_MIN  minutes a paid payment may go without a sign of its credit
 *                    before reconciliation opens a paid-not-credited case (default 1440 = 24 h).
 * Prints `back office listening on URL` when ready. SIGTERM/SIGINT: stop taking requests, let
 * in-flight batches finish (at most 10 s), close the database, exit.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../contract/time.js';
import { startBackOffice, startPgBackOffice } from './server.js';
import { checkOperators } from './operator-routes.js';

export const DEV_KIOSK_ID = 'kiosk-dev';
export const DEV_KIOSK_SECRET = 'dev-kiosk-secret-change-me';

/** BACKOFFICE_OPERATORS: `id=token,…`; unset = no operators (the operator routes answer 401). */
export function parseOperators(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (spec ?? '').split(',').filter((p) => p.trim() !== '')) {
    const i = part.indexOf('=');
    if (i < 1) throw new Error(`BACKOFFICE_OPERATORS: expected id=token, got '${part.slice(0, Math.max(i, 0))}=…'`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  checkOperators(out);
  return out;
}

export function parseKiosks(spec: string | undefined): Record<string, string> {
  if (spec === undefined || spec.trim() === '') return { [DEV_KIOSK_ID]: DEV_KIOSK_SECRET };
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const i = part.indexOf('=');
    const id = part.slice(0, i).trim();
    const secret = part.slice(i + 1).trim();
    if (i < 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(id) || secret.length < 16) {
      throw new Error(`BACKOFFICE_KIOSKS: expected id=secret (secret >= 16 characters), got '${part.slice(0, Math.max(i, 0))}=…'`);
    }
    out[id] = secret;
  }
  return out;
}

const KioskFile = z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), z.string().min(16));

function kiosksFromEnv(): Record<string, string> {
  const file = process.env.BACKOFFICE_KIOSKS_FILE;
  if (file) {
    const r = KioskFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) throw new Error(`BACKOFFICE_KIOSKS_FILE: expected {"id": "secret (>= 16 characters)"}: ${r.error.issues[0]?.message}`);
    return r.data;
  }
  if (!process.env.BACKOFFICE_KIOSKS) console.warn(`BACKOFFICE_KIOSKS not set: accepting development kiosk '${DEV_KIOSK_ID}' only`);
  return parseKiosks(process.env.BACKOFFICE_KIOSKS);
}

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: not a whole number: ${v}`);
  return n;
}

async function main(): Promise<void> {
  const port = Number(process.env.BACKOFFICE_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`BACKOFFICE_PORT: not a port: ${process.env.BACKOFFICE_PORT}`);
  const host = process.env.BACKOFFICE_HOST ?? '127.0.0.1';
  const kiosks = kiosksFromEnv();
  const logger = { level: process.env.LOG_LEVEL ?? 'info' };
  const operators = parseOperators(process.env.BACKOFFICE_OPERATORS);
  const unconfirmedMin = intEnv('BACKOFFICE_UNCONFIRMED_AFTER_MIN');
  const reconciliation = unconfirmedMin !== undefined ? { unconfirmedAfterMs: unconfirmedMin * 60_000 } : {};
  let close: () => Promise<void>;
  let url: string;
  if (process.env.BACKOFFICE_DB && !process.env.BACKOFFICE_DATABASE_URL) {
    const dbPath = process.env.BACKOFFICE_DB;
    if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
    const server = await startBackOffice({ port, host, dbPath, clock: systemClock, kiosks, logger, operators, reconciliation });
    ({ url } = server);
    close = () => server.close();
  } else {
    const database = process.env.BACKOFFICE_DATABASE_URL ?? 'pglite:var/backoffice-pglite';
    if (database.startsWith('pglite:') && database !== 'pglite:memory') mkdirSync(database.slice('pglite:'.length), { recursive: true });
    const concurrency = intEnv('BACKOFFICE_INTAKE_CONCURRENCY');
    const maxWaiting = intEnv('BACKOFFICE_INTAKE_QUEUE');
    const poolSize = intEnv('BACKOFFICE_POOL');
    const server = await startPgBackOffice({
      port,
      host,
      database,
      clock: systemClock,
      kiosks,
      logger,
      operators,
      reconciliation,
      ...(poolSize ? { poolSize } : {}),
      intake: { ...(concurrency ? { concurrency } : {}), ...(maxWaiting !== undefined ? { maxWaiting } : {}) },
    });
    ({ url } = server);
    close = () => server.close(10_000);
  }
  console.log(`back office listening on ${url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Never hang on shutdown: past 15 s exit anyway (open transactions roll back; kiosks resend).
    setTimeout(() => process.exit(1), 15_000).unref();
    void close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
