/**
 * Run the reference back office on its own: `tsx backoffice/main.ts`.
 * Operator commands (same database settings; docs/security.md "Enrollment and rotation"):
 *   tsx backoffice/main.ts issue-token KIOSK-ID   print a one-time enrollment token (valid a day;
 *                                                 only its SHA-256 is stored) for KIOSK_ENROLL_TOKEN
 *   tsx backoffice/main.ts revoke KIOSK-ID        refuse that kiosk's keys and open tokens from now on
 *   tsx backoffice/main.ts issue-technician TECH-ID ROLES [CARD-UID]
 *                                                 issue (or re-issue) a technician (issue 13): ROLES is
 *                                                 a comma list of diagnostics,settlement,service; the PIN
 *                                                 is BACKOFFICE_TECHNICIAN_PIN or, unset, generated and
 *                                                 printed once (only its argon2id hash is stored); with
 *                                                 CARD-UID and BACKOFFICE_OPERATOR_SIGNING_KEY_FILE the
 *                                                 signed credential for that card is printed too
 *   tsx backoffice/main.ts revoke-technician TECH-ID  mark the technician revoked on the list kiosks sync
 * Environment:
 *   BACKOFFICE_PORT  (default 8787; 0 = any free port)
 *   BACKOFFICE_HOST  (default 127.0.0.1)
 *   BACKOFFICE_DATABASE_URL  the PostgreSQL store: `postgres://user@host:port/db` (a server; run as
 *                    many processes as you like against it), `pglite:PATH` or `pglite:memory` (the
 *                    embedded engine). Default: `pglite:var/backoffice-pglite`.
 *   BACKOFFICE_DB    the legacy SQLite store instead (a file or ':memory:'), when set and no URL is.
 *   BACKOFFICE_POOL  connections per process to a server (default 10).
 *   BACKOFFICE_INTAKE_CONCURRENCY / BACKOFFICE_INTAKE_QUEUE  backpressure (server.ts IntakeGate).
 *   BACKOFFICE_INTAKE_MIN_RETRY_RATE  the least batches/s this process hands out return slots at
 *                    (intake-gate.ts RetrySchedule; default 100): with P processes behind one load
 *                    balancer, each one's share (the fleet simulator gives each 100 / P).
 *   BACKOFFICE_POLL_MAX_IN_FLIGHT / BACKOFFICE_POLL_MAX_LOOP_DELAY_MS / BACKOFFICE_POLL_RETRY_AFTER_S
 *                    load shedding on the kiosks' periodic routes (poll-shedding.ts; defaults 64 / 2000 / 5;
 *                    out-of-range values are refused at start).
 *   BACKOFFICE_KIOSKS  configured kiosk secrets as `id=secret,id2=secret2` (secrets >= 16 characters).
 *   BACKOFFICE_KIOSKS_FILE  a JSON object {"kiosk-id": "secret", ...} instead (a fleet).
 *                      There is no built-in kiosk: without configured kiosks, enrolled kiosks or an
 *                      open enrollment token in the database the back office refuses to start.
 *   BACKOFFICE_OPERATORS  operators of every operator route (/operator/…: enrollment tokens, revocation, reconciliation cases) as `id=token,id2=token2`
 *                    (tokens >= 32 characters; HTTP Basic). Without it those routes answer 401.
 *   BACKOFFICE_UNCONFIRMED_AFTER_MIN  minutes a paid payment may go without a sign of its credit
 *                    before reconciliation opens a paid-not-credited case (default 1440 = 24 h).
 *   BACKOFFICE_OPERATOR_SIGNING_KEY_FILE  the operator's Ed25519 private key (PEM, PKCS#8): issuing a
 *                    technician with a card UID answers the credential to write on that card.
 *   BACKOFFICE_SILENT_AFTER_S  seconds without a heartbeat before the fleet page calls a kiosk silent (default 300).
 * Prints `back office listening on URL` when ready. SIGTERM/SIGINT: stop taking requests, let
 * in-flight batches finish (at most 10 s), close the database, exit.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock, type Clock } from '../contract/time.js';
import { DERIVED_KEY_CACHE_SECRETS, deriveKioskKeys } from '../contract/record-crypto.js';
import { startBackOffice, startPgBackOffice } from './server.js';
import { openStore } from './store.js';
import { openDatabase, type Db } from './db/engine.js';
import { migrate } from './db/migrate.js';
import { pgKioskKeys } from './db/pg-kiosk-keys.js';
import { issueEnrollmentToken, type KioskKeyStore } from './kiosk-keys.js';
import { checkOperators } from './operator-routes.js';
import { pollSheddingSettings, type PollShedding } from './poll-shedding.js';
import { createPrivateKey } from 'node:crypto';
import { openPgStore } from './db/pg-store.js';
import { issueTechnician, revokeTechnician, type TechnicianSigning, type TechnicianStore } from './technicians.js';

export const NO_KIOSKS_MESSAGE =
  'no kiosks: set BACKOFFICE_KIOSKS (id=secret,…) or BACKOFFICE_KIOSKS_FILE, or issue an enrollment token first ' +
  '(`tsx backoffice/main.ts issue-token KIOSK-ID`); there is no built-in development kiosk';

/** Refuse to serve nobody (issue 11 finding 5: no built-in kiosk secret). */
export async function assertSomeKiosk(kiosks: Record<string, string>, keys: KioskKeyStore, clock: Clock): Promise<void> {
  if (Object.keys(kiosks).length > 0) return;
  const c = await keys.census(clock.now());
  if (c.enrolledKiosks === 0 && c.openTokens === 0) throw new Error(NO_KIOSKS_MESSAGE);
}

function useSqlite(): boolean {
  return Boolean(process.env.BACKOFFICE_DB && !process.env.BACKOFFICE_DATABASE_URL);
}

async function openPgDb(): Promise<{ db: Db; database: string }> {
  const database = process.env.BACKOFFICE_DATABASE_URL ?? 'pglite:var/backoffice-pglite';
  if (database.startsWith('pglite:') && database !== 'pglite:memory') mkdirSync(database.slice('pglite:'.length), { recursive: true });
  const poolSize = intEnv('BACKOFFICE_POOL');
  return { db: await openDatabase(database, { ...(poolSize ? { max: poolSize } : {}) }), database };
}

/** `issue-token ID` / `revoke ID`: the operator's commands, on the configured database. */
async function operatorCommand(command: string, kioskId: string | undefined): Promise<void> {
  if (!kioskId) throw new Error(`usage: tsx backoffice/main.ts ${command} KIOSK-ID`);
  const clock = systemClock;
  let keys: KioskKeyStore;
  let done: () => Promise<void>;
  if (useSqlite()) {
    const store = openStore(process.env.BACKOFFICE_DB!, clock);
    keys = store.keys;
    done = async () => store.close();
  } else {
    const { db, database } = await openPgDb();
    if (database === 'pglite:memory') throw new Error('BACKOFFICE_DATABASE_URL=pglite:memory: a token in a database nobody else opens is useless');
    await migrate(db);
    keys = pgKioskKeys(db);
    done = () => db.close();
  }
  try {
    if (command === 'issue-token') {
      const { token, expiresAt } = await issueEnrollmentToken(keys, kioskId, clock, kiosksFromEnv());
      console.log(`enrollment token for ${kioskId} (once, until ${expiresAt.toISOString()}; give it to the kiosk as KIOSK_ENROLL_TOKEN):`);
      console.log(token);
    } else {
      const r = await keys.revokeKiosk(kioskId, clock.now());
      console.log(`kiosk ${kioskId} revoked: ${r.keys} key(s), ${r.tokens} open token(s)`);
    }
  } finally {
    await done();
  }
}

/** BACKOFFICE_OPERATOR_SIGNING_KEY_FILE: the operator's Ed25519 private key, or none. */
export function technicianSigningFromEnv(): TechnicianSigning | undefined {
  const file = process.env.BACKOFFICE_OPERATOR_SIGNING_KEY_FILE;
  if (!file) return undefined;
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`BACKOFFICE_OPERATOR_SIGNING_KEY_FILE: the operator key must be Ed25519 (got ${privateKey.asymmetricKeyType ?? 'unknown'})`);
  return { privateKey };
}

/** `issue-technician ID ROLES [UID]` / `revoke-technician ID` (issue 13), on the configured database. */
async function technicianCommand(command: string, args: string[]): Promise<void> {
  const [technicianId, roles, cardUid] = args;
  if (!technicianId || (command === 'issue-technician' && !roles))
    throw new Error(`usage: tsx backoffice/main.ts ${command === 'issue-technician' ? 'issue-technician TECH-ID ROLES [CARD-UID]' : 'revoke-technician TECH-ID'}`);
  const clock = systemClock;
  let technicians: TechnicianStore;
  let done: () => Promise<void>;
  if (useSqlite()) {
    const store = openStore(process.env.BACKOFFICE_DB!, clock);
    technicians = store.technicians;
    done = async () => store.close();
  } else {
    const { db, database } = await openPgDb();
    if (database === 'pglite:memory') throw new Error('BACKOFFICE_DATABASE_URL=pglite:memory: a technician in a database nobody else opens is useless');
    const store = await openPgStore({ db, clock, seedFixtures: false });
    technicians = store.technicians;
    done = () => store.close();
  }
  try {
    if (command === 'issue-technician') {
      const signing = technicianSigningFromEnv();
      const pin = process.env.BACKOFFICE_TECHNICIAN_PIN;
      const r = await issueTechnician(
        technicians,
        { technicianId, roles: roles!.split(',').map((x) => x.trim()).filter(Boolean), ...(pin ? { pin } : {}), ...(cardUid ? { cardUid } : {}) },
        { clock, actor: `cli:${process.env.USER ?? 'unknown'}`, ...(signing ? { signing } : {}) },
      );
      console.log(`technician ${r.technicianId} issued (roles ${r.roles.join(',')}; list version ${r.version})`);
      if (r.pin) console.log(`PIN (shown once, give it to the technician): ${r.pin}`);
      if (r.credential) console.log(`credential for card ${cardUid!.toUpperCase()} (until ${r.credentialExpiresAt}):\n${r.credential}`);
    } else {
      const r = await revokeTechnician(technicians, technicianId, `cli:${process.env.USER ?? 'unknown'}`);
      console.log(`technician ${r.technicianId} revoked (list version ${r.version})`);
    }
  } finally {
    await done();
  }
}

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
  if (spec === undefined || spec.trim() === '') return {};
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
  return parseKiosks(process.env.BACKOFFICE_KIOSKS);
}

export function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: not a whole number: ${v}`);
  return n;
}

/** The poll-shedding limits from the environment, validated (an unsafe value: the back office does not start). */
export function pollSheddingFromEnv(): PollShedding {
  const maxInFlight = intEnv('BACKOFFICE_POLL_MAX_IN_FLIGHT');
  const maxEventLoopDelayMs = intEnv('BACKOFFICE_POLL_MAX_LOOP_DELAY_MS');
  const retryAfterS = intEnv('BACKOFFICE_POLL_RETRY_AFTER_S');
  try {
    return pollSheddingSettings({
      ...(maxInFlight !== undefined ? { maxInFlight } : {}),
      ...(maxEventLoopDelayMs !== undefined ? { maxEventLoopDelayMs } : {}),
      ...(retryAfterS !== undefined ? { retryAfterS } : {}),
    });
  } catch (e) {
    const names: Record<string, string> = { maxInFlight: 'BACKOFFICE_POLL_MAX_IN_FLIGHT', maxEventLoopDelayMs: 'BACKOFFICE_POLL_MAX_LOOP_DELAY_MS', retryAfterS: 'BACKOFFICE_POLL_RETRY_AFTER_S' };
    throw new Error((e as Error).message.replace(/^poll shedding: (\w+)/, (_, k: string) => `${names[k] ?? k}`));
  }
}

/**
 * Derive the configured kiosks' keys (four HKDF derivations each, ~0.1 ms apiece; record-crypto.ts
 * keeps them) before listening, not inside the first requests: a back office restarted into a
 * fleet's reconnect storm derived them all there (5,000 kiosks: HKDF and key objects 1.6 of the
 * process's 61 CPU seconds in the storm, profiled; 0.55 s after, start-up included), while the
 * kiosks waited. Enrolled kiosks' keys come from the database on their first request, as before.
 * At most as many kiosks as the cache holds.
 */
function warmKioskKeys(kiosks: Record<string, string>): void {
  const secrets = Object.values(kiosks).slice(0, DERIVED_KEY_CACHE_SECRETS);
  if (secrets.length === 0) return;
  const t0 = performance.now();
  for (const secret of secrets) deriveKioskKeys(secret);
  console.log(`keys of ${secrets.length} configured kiosks derived in ${Math.round(performance.now() - t0)} ms`);
}

async function main(): Promise<void> {
  const port = Number(process.env.BACKOFFICE_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`BACKOFFICE_PORT: not a port: ${process.env.BACKOFFICE_PORT}`);
  const host = process.env.BACKOFFICE_HOST ?? '127.0.0.1';
  const pollShedding = pollSheddingFromEnv();
  const kiosks = kiosksFromEnv();
  warmKioskKeys(kiosks);
  const logger = { level: process.env.LOG_LEVEL ?? 'info' };
  const operators = parseOperators(process.env.BACKOFFICE_OPERATORS);
  const unconfirmedMin = intEnv('BACKOFFICE_UNCONFIRMED_AFTER_MIN');
  const reconciliation = unconfirmedMin !== undefined ? { unconfirmedAfterMs: unconfirmedMin * 60_000 } : {};
  const signing = technicianSigningFromEnv();
  const silentS = intEnv('BACKOFFICE_SILENT_AFTER_S');
  const fleetAndTechnicians = { ...(signing ? { technicianSigning: signing } : {}), ...(silentS !== undefined ? { fleet: { silentAfterMs: silentS * 1000 } } : {}) };
  let close: () => Promise<void>;
  let url: string;
  if (useSqlite()) {
    const dbPath = process.env.BACKOFFICE_DB!;
    if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
    if (Object.keys(kiosks).length === 0) {
      if (dbPath === ':memory:') throw new Error(NO_KIOSKS_MESSAGE);
      const s = openStore(dbPath, systemClock);
      try {
        await assertSomeKiosk(kiosks, s.keys, systemClock);
      } finally {
        s.close();
      }
    }
    const server = await startBackOffice({ port, host, dbPath, clock: systemClock, kiosks, logger, operators, reconciliation, pollShedding, ...fleetAndTechnicians });
    ({ url } = server);
    close = () => server.close();
  } else {
    const concurrency = intEnv('BACKOFFICE_INTAKE_CONCURRENCY');
    const maxWaiting = intEnv('BACKOFFICE_INTAKE_QUEUE');
    const minRetryRate = intEnv('BACKOFFICE_INTAKE_MIN_RETRY_RATE');
    if (minRetryRate === 0) throw new Error('BACKOFFICE_INTAKE_MIN_RETRY_RATE: must be at least 1 batch/s');
    const { db } = await openPgDb();
    try {
      await migrate(db);
      await assertSomeKiosk(kiosks, pgKioskKeys(db), systemClock);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
    const server = await startPgBackOffice({
      port,
      host,
      database: db,
      clock: systemClock,
      kiosks,
      logger,
      operators,
      reconciliation,
      ...fleetAndTechnicians,
      pollShedding,
      intake: { ...(concurrency ? { concurrency } : {}), ...(maxWaiting !== undefined ? { maxWaiting } : {}), ...(minRetryRate !== undefined ? { minRetryRate } : {}) },
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
  const [command, arg, ...rest] = process.argv.slice(2);
  const run =
    command === 'issue-token' || command === 'revoke'
      ? operatorCommand(command, arg)
      : command === 'issue-technician' || command === 'revoke-technician'
        ? technicianCommand(command, [arg ?? '', ...rest].filter((x, i) => i > 0 || x !== ''))
        : command === undefined || command === 'serve'
          ? main()
          : Promise.reject(new Error(`unknown command '${command}' (serve, issue-token ID, revoke ID, issue-technician TECH-ID ROLES [CARD-UID], revoke-technician TECH-ID)`));
  run.catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
