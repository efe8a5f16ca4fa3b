/**
 * Enrollment and key rotation (issue 11 finding 5), attacked end to end: the kiosk's side
 * (main/backoffice-client/enrollment.ts) against the REAL back office (backoffice/server.ts with
 * its SQLite store, over TLS with a run-time PKI), and the one-time use of a token against a real
 * PostgreSQL cluster with two back-office instances racing. Every refusal leaves nothing stored
 * on the kiosk and nothing changed at the back office.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollmentProof, enrollmentTokenKey, x25519Pair } from '../../contract/enrollment.js';
import { signRequest } from '../../contract/request-signing.js';
import { fixedClock } from '../../contract/time.js';
import { enrollKiosk, rotateKioskKey } from '../../main/backoffice-client/enrollment.js';
import { createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';
import { startBackOffice, startPgBackOffice, type BackOfficeServer, type PgBackOfficeServer } from '../../backoffice/server.js';
import { issueEnrollmentToken } from '../../backoffice/kiosk-keys.js';
import { openDatabase } from '../../backoffice/db/engine.js';
import { postgresAvailability, startPgCluster, type PgCluster } from '../../backoffice/db/testing/pg-cluster.js';
import { makeTestPki, type Pki } from '../support/test-pki.js';
import { pino } from 'pino';
import { createKiosk } from '../../main/composition.js';
import { parseConfig } from '../../main/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OPERATOR = 'operator-token-0123456789-abcdefghijklmnop';
const OPERATOR_AUTH = `Basic ${Buffer.from(`ops:${OPERATOR}`).toString('base64')}`;
const CONFIGURED = 'NS-CONF-01';
const CONFIGURED_SECRET = 'configured-kiosk-secret-0123456789';

let pki: Pki;
let dir: string;
let bo: BackOfficeServer;
let agent: Agent;
const clock = fixedClock('2026-11-30T12:00:00Z');

beforeAll(async () => {
  pki = makeTestPki();
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-enroll-'));
  agent = new Agent({ connect: { ca: pki.caPem } });
  bo = await startBackOffice({ port: 0, host: '127.0.0.1', dbPath: ':memory:', clock, kiosks: { [CONFIGURED]: CONFIGURED_SECRET }, tls: pki.server, operators: { ops: OPERATOR } });
}, 60_000);
afterAll(async () => {
  await bo?.close();
  await agent?.close();
  rmSync(dir, { recursive: true, force: true });
  pki?.cleanup();
});

let n = 0;
const secretPath = () => path.join(dir, `secret-${++n}`);

async function call(method: string, p: string, options: { body?: unknown; headers?: Record<string, string>; base?: string } = {}) {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const res = await undiciFetch(`${options.base ?? bo.url}${p}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(body !== undefined ? { body } : {}),
    dispatcher: agent,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The operator issues a token through the operator route. */
async function issue(kioskId: string): Promise<string> {
  const r = await call('POST', `/operator/kiosks/${kioskId}/enrollment-token`, { headers: { authorization: OPERATOR_AUTH } });
  expect(r.status).toBe(200);
  return r.json.token as string;
}

/** A signed GET of the journal status with this kiosk id and secret: the HTTP status. */
async function signedStatus(kioskId: string, secret: string, base = bo.url, dispatcher = agent): Promise<number> {
  const p = '/v1/journal/status';
  const res = await undiciFetch(base + p, { headers: signRequest({ kioskId, secret, method: 'GET', pathWithQuery: p, body: '', at: clock.now() }), dispatcher });
  await res.text();
  return res.status;
}

function enrollBody(token: string, kioskId: string) {
  const pair = x25519Pair();
  return { kioskId, kioskPublicKey: pair.publicKey, proof: enrollmentProof(enrollmentTokenKey(token), kioskId, pair.publicKey) };
}

const enroll = (kioskId: string, token: string, secretFile = secretPath()) => enrollKiosk({ baseUrl: bo.url, caPem: pki.caPem, kioskId, token, secretFile });

describe('enrollment with a one-time token, against the real back office', () => {
  it('a fresh kiosk enrolls with an operator-issued token (secret stored 0600) and then uploads a signed journal batch the back office stores', async () => {
    const token = await issue('NS-NEW-01');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const secretFile = secretPath();
    expect(await enroll('NS-NEW-01', token, secretFile)).toEqual({ keyId: 1 });
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);

    const journal = openJournal({ path: ':memory:', kioskId: 'NS-NEW-01', hmacKey: secret, clock });
    const client = createHttpBackOfficeClient({ baseUrl: bo.url, caPem: pki.caPem, kioskId: 'NS-NEW-01', secret, clock, blockedCachePath: path.join(dir, 'blocked-01.json') });
    try {
      for (let i = 0; i < 3; i++) journal.append({ type: 'kiosk.note', operationId: `op-${i}`, amountCents: 100 * (i + 1) });
      const r = await client.submitRecords(journal.undelivered(100));
      expect(r.results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(bo.store.journalRecords('NS-NEW-01').map((x) => x.seq)).toEqual([1, 2, 3]);
    } finally {
      journal.close();
      await client.close();
    }
  });

  it('attack: the operator routes without the operator token issue nothing', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: `Basic ${Buffer.from('ops:wrong-token-0123456789-abcdefghijklmnop').toString('base64')}` }, { authorization: `Bearer ${OPERATOR}` }, { authorization: OPERATOR }]) {
      const r = await call('POST', '/operator/kiosks/NS-NEW-99/enrollment-token', { headers });
      expect(r.status).toBe(401);
    }
    expect(await bo.store.keys.openEnrollmentTokens('NS-NEW-99', clock.now())).toEqual([]);
    // Only the token's SHA-256 is stored, never the token.
    const token = await issue('NS-NEW-99');
    expect(await bo.store.keys.openEnrollmentTokens('NS-NEW-99', clock.now())).toEqual([enrollmentTokenKey(token)]);
  });

  it('attack: a token used a second time is refused, nothing stored, the first key unchanged', async () => {
    const token = await issue('NS-NEW-02');
    const first = secretPath();
    await enroll('NS-NEW-02', token, first);
    const again = secretPath();
    await expect(enroll('NS-NEW-02', token, again)).rejects.toThrow(/enrollment refused \(HTTP 401\)/);
    expect(existsSync(again)).toBe(false);
    const keys = await bo.store.keys.kioskKeys('NS-NEW-02');
    expect(keys.map((k) => [k.keyId, k.state, k.secret])).toEqual([[1, 'active', readFileSync(first, 'utf8').trim()]]);
  });

  it('attack: two concurrent uses of one token: exactly one kiosk gets a key', async () => {
    const token = await issue('NS-NEW-03');
    const files = [secretPath(), secretPath(), secretPath()];
    const results = await Promise.allSettled(files.map((f) => enroll('NS-NEW-03', token, f)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(files.filter((f) => existsSync(f))).toHaveLength(1);
    expect(await bo.store.keys.kioskKeys('NS-NEW-03')).toHaveLength(1);
  });

  it('attack: a wrong proof (a guessed token) is refused and does not burn the real token', async () => {
    const token = await issue('NS-NEW-04');
    const r = await call('POST', '/v1/enroll', { body: enrollBody('guessed-token-0123456789-abcdefghijklmno', 'NS-NEW-04') });
    expect(r).toEqual({ status: 401, json: { error: 'unauthorized', message: expect.stringMatching(/no usable enrollment token/) } });
    const tampered = enrollBody(token, 'NS-NEW-04');
    tampered.kioskPublicKey = x25519Pair().publicKey; // the proof is over another key: a relayed request with the key swapped
    expect((await call('POST', '/v1/enroll', { body: tampered })).status).toBe(401);
    expect(await bo.store.keys.kioskKeys('NS-NEW-04')).toEqual([]);
    expect(await enroll('NS-NEW-04', token)).toEqual({ keyId: 1 });
  });

  it('attack: an expired token (a day and a second later) is refused', async () => {
    const token = await issue('NS-NEW-05');
    const f = secretPath();
    clock.advance(24 * 3600_000 + 1000);
    try {
      await expect(enroll('NS-NEW-05', token, f)).rejects.toThrow(/HTTP 401/);
    } finally {
      clock.set('2026-11-30T12:00:00Z');
    }
    expect(existsSync(f)).toBe(false);
    expect(await bo.store.keys.kioskKeys('NS-NEW-05')).toEqual([]);
  });

  it("attack: another kiosk id's token is refused, and stays usable by its own kiosk", async () => {
    const token = await issue('NS-NEW-06');
    const f = secretPath();
    await expect(enroll('NS-OTHER-09', token, f)).rejects.toThrow(/HTTP 401/);
    expect(existsSync(f)).toBe(false);
    expect(await bo.store.keys.kioskKeys('NS-OTHER-09')).toEqual([]);
    expect(await enroll('NS-NEW-06', token)).toEqual({ keyId: 1 });
  });

  it('attack: an unknown kiosk (no token ever issued), a configured kiosk id, and an unknown kiosk signing requests are all refused', async () => {
    expect((await call('POST', '/v1/enroll', { body: enrollBody('some-token-0123456789-abcdefghijklmnopqr', 'NS-NOBODY-1') })).status).toBe(401);
    // A configured kiosk's key is in the configuration: enrollment cannot replace it, nor can the operator issue a token for it.
    expect((await call('POST', '/v1/enroll', { body: enrollBody('some-token-0123456789-abcdefghijklmnopqr', CONFIGURED) })).status).toBe(401);
    const op = await call('POST', `/operator/kiosks/${CONFIGURED}/enrollment-token`, { headers: { authorization: OPERATOR_AUTH } });
    expect(op).toMatchObject({ status: 409, json: { error: 'configured-kiosk' } });
    expect(await signedStatus('NS-NOBODY-1', 'a'.repeat(64))).toBe(401);
    expect(await signedStatus(CONFIGURED, CONFIGURED_SECRET)).toBe(200);
  });

  it('attack: a tampered confirmation (a relay that holds no token) is refused by the kiosk, nothing stored', async () => {
    // A relay between kiosk and back office that changes the confirmation of the answer.
    const relay: Server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        void call('POST', req.url!, { body: JSON.parse(body) }).then((r) => {
          const c = String(r.json.confirmation ?? '');
          const forged = { ...r.json, confirmation: (c[0] === '0' ? '1' : '0') + c.slice(1) };
          res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(forged));
        });
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const f = secretPath();
    try {
      const token = await issue('NS-NEW-07');
      await expect(enrollKiosk({ baseUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, kioskId: 'NS-NEW-07', token, secretFile: f })).rejects.toThrow(/not confirmed/);
    } finally {
      relay.close();
    }
    expect(existsSync(f)).toBe(false);
  });

  it('attack: a server outside the operator CA never sees the request', async () => {
    const f = secretPath();
    const token = await issue('NS-NEW-08');
    await expect(enrollKiosk({ baseUrl: bo.url, caPem: pki.rogueCaPem, kioskId: 'NS-NEW-08', token, secretFile: f })).rejects.toThrow(/not reachable/);
    expect(existsSync(f)).toBe(false);
    expect(await bo.store.keys.openEnrollmentTokens('NS-NEW-08', clock.now())).toHaveLength(1);
  });

  it('the operator revokes a kiosk: its key and its open tokens are refused from then on', async () => {
    const f = secretPath();
    await enroll('NS-NEW-10', await issue('NS-NEW-10'), f);
    const secret = readFileSync(f, 'utf8').trim();
    const spare = await issue('NS-NEW-10');
    expect(await signedStatus('NS-NEW-10', secret)).toBe(200);
    const r = await call('POST', '/operator/kiosks/NS-NEW-10/revoke', { headers: { authorization: OPERATOR_AUTH } });
    expect(r).toEqual({ status: 200, json: { kioskId: 'NS-NEW-10', revokedKeys: 1, revokedTokens: 1 } });
    expect(await signedStatus('NS-NEW-10', secret)).toBe(401);
    await expect(enroll('NS-NEW-10', spare)).rejects.toThrow(/HTTP 401/);
  });
});

describe('a whole kiosk (createKiosk) enrolls on first start and its uploader delivers its journal', () => {
  it('first start with KIOSK_ENROLL_TOKEN enrolls; a record journaled afterwards reaches the back office through the kiosk uploader', async () => {
    const kioskId = 'NS-COMP-01';
    const dataDir = path.join(dir, 'kiosk-comp');
    const config = (token?: string) =>
      parseConfig({ dataDir, kioskId, logLevel: 'silent', backOffice: { mode: 'remote', url: bo.url, caFile: pki.caFile }, ...(token ? { enrollmentToken: token } : {}) });
    const deps = { clock, logger: pino({ level: 'silent' }) };
    // Without a token a fresh kiosk refuses to start against a remote back office, naming the setting.
    await expect(createKiosk(config(), deps)).rejects.toThrow(/KIOSK_ENROLL_TOKEN/);
    const first = await createKiosk(config(await issue(kioskId)), deps);
    await first.start();
    await first.stop();
    const secret = readFileSync(path.join(dataDir, 'kiosk-secret'), 'utf8').trim();
    expect((await bo.store.keys.kioskKeys(kioskId)).map((k) => [k.keyId, k.state, k.secret])).toEqual([[1, 'active', secret]]);
    // Something for the uploader: a record in the kiosk's own journal, sealed with the enrolled key.
    const journal = openJournal({ path: path.join(dataDir, 'journal.sqlite'), kioskId, hmacKey: secret, clock });
    journal.append({ type: 'kiosk.note', operationId: 'after-enrollment' });
    journal.close();
    // Second start: already enrolled, no token needed (a used token would be refused anyway).
    const second = await createKiosk(config(), deps);
    await second.start();
    try {
      for (let i = 0; i < 200 && !bo.store.journalRecords(kioskId).some((r) => r.operationId === 'after-enrollment'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(bo.store.journalRecords(kioskId).map((r) => r.operationId)).toContain('after-enrollment');
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('key rotation, against the real back office', () => {
  it('rotation: the old key works until the new one is used; then the old key and a rotation under it are refused', async () => {
    const f = secretPath();
    await enroll('NS-ROT-01', await issue('NS-ROT-01'), f);
    const old = readFileSync(f, 'utf8').trim();
    const r = await rotateKioskKey({ baseUrl: bo.url, caPem: pki.caPem, kioskId: 'NS-ROT-01', secretFile: f, clock });
    expect(r.keyId).toBe(2);
    const next = readFileSync(f, 'utf8').trim();
    expect(next).toBe(r.secret);
    expect(next).not.toBe(old);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(existsSync(`${f}.next`)).toBe(false);
    // Not confirmed yet: the kiosk may have lost the answer, so the old key still works.
    expect((await bo.store.keys.kioskKeys('NS-ROT-01')).map((k) => [k.keyId, k.state])).toEqual([
      [1, 'active'],
      [2, 'pending'],
    ]);
    expect(await signedStatus('NS-ROT-01', old)).toBe(200);
    // The first request under the new key confirms it ...
    expect(await signedStatus('NS-ROT-01', next)).toBe(200);
    expect((await bo.store.keys.kioskKeys('NS-ROT-01')).map((k) => [k.keyId, k.state])).toEqual([[2, 'active']]);
    // ... and from then on the old key is refused, for any request and for a rotation.
    expect(await signedStatus('NS-ROT-01', old)).toBe(401);
    const stale = secretPath();
    writeFileSync(stale, `${old}\n`, { mode: 0o600 });
    await expect(rotateKioskKey({ baseUrl: bo.url, caPem: pki.caPem, kioskId: 'NS-ROT-01', secretFile: stale, clock })).rejects.toThrow(/not signed by the back office|HTTP 401/);
    expect(readFileSync(stale, 'utf8').trim()).toBe(old);
    const body = JSON.stringify({ kioskPublicKey: x25519Pair().publicKey });
    const raw = await undiciFetch(`${bo.url}/v1/keys/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signRequest({ kioskId: 'NS-ROT-01', secret: old, method: 'POST', pathWithQuery: '/v1/keys/rotate', body, at: clock.now() }) },
      body,
      dispatcher: agent,
    });
    expect(raw.status).toBe(401);
    expect((await bo.store.keys.kioskKeys('NS-ROT-01')).map((k) => [k.keyId, k.state])).toEqual([[2, 'active']]);
    // The kiosk's journal under the new key is accepted: its records name key 2 (a record under the
    // new secret that names no key claims the original key and is refused: the key-rotation tests).
    const journal = openJournal({ path: ':memory:', kioskId: 'NS-ROT-01', hmacKey: next, recordKeys: { current: () => ({ keyId: 2, secret: next }), lookup: (id) => (id === 2 ? next : undefined) }, clock });
    const client = createHttpBackOfficeClient({ baseUrl: bo.url, caPem: pki.caPem, kioskId: 'NS-ROT-01', secret: next, clock, blockedCachePath: path.join(dir, 'blocked-rot.json') });
    try {
      journal.append({ type: 'kiosk.note', operationId: 'after-rotation' });
      expect((await client.submitRecords(journal.undelivered(10))).results.map((x) => x.status)).toEqual(['accepted']);
    } finally {
      journal.close();
      await client.close();
    }
  });

  it('attack: a rotation answer with a tampered confirmation (or signature) changes nothing on the kiosk', async () => {
    const f = secretPath();
    await enroll('NS-ROT-02', await issue('NS-ROT-02'), f);
    const old = readFileSync(f, 'utf8').trim();
    const relay: Server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const pass = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-kiosk-') || k === 'content-type')) as Record<string, string>;
        void undiciFetch(bo.url + req.url!, { method: 'POST', headers: pass, body, dispatcher: agent }).then(async (r) => {
          const json = (await r.json()) as Record<string, string>;
          const c = json.confirmation ?? '';
          res.writeHead(r.status, { 'content-type': 'application/json', 'x-backoffice-signature': r.headers.get('x-backoffice-signature') ?? '' });
          res.end(JSON.stringify({ ...json, confirmation: (c[0] === '0' ? '1' : '0') + c.slice(1) }));
        });
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    try {
      await expect(
        rotateKioskKey({ baseUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, kioskId: 'NS-ROT-02', secretFile: f, clock }),
      ).rejects.toThrow(/not signed by the back office|not confirmed/);
    } finally {
      relay.close();
    }
    expect(readFileSync(f, 'utf8').trim()).toBe(old);
    expect(existsSync(`${f}.next`)).toBe(false);
    // The pending key the back office made is never confirmed: the kiosk's old key keeps working.
    expect(await signedStatus('NS-ROT-02', old)).toBe(200);
  });

  it('a configured kiosk cannot rotate here (its key lives in the configuration)', async () => {
    const f = secretPath();
    writeFileSync(f, `${CONFIGURED_SECRET}\n`, { mode: 0o600 });
    await expect(rotateKioskKey({ baseUrl: bo.url, caPem: pki.caPem, kioskId: CONFIGURED, secretFile: f, clock })).rejects.toThrow(/HTTP 409.*configured-kiosk/);
    expect(readFileSync(f, 'utf8').trim()).toBe(CONFIGURED_SECRET);
  });
});

const pg = postgresAvailability();
describe.skipIf(!pg.ok)(`one-time tokens on a real PostgreSQL cluster, two back-office instances racing${pg.ok ? '' : ` — skipped: ${pg.reason}`}`, () => {
  let cluster: PgCluster;
  let a: PgBackOfficeServer;
  let b: PgBackOfficeServer;

  beforeAll(async () => {
    cluster = await startPgCluster({ settings: { fsync: 'off' } });
    const url = await cluster.createDatabase('enroll_test');
    // Two stateless back offices, each with its own pool, on one database (as in production).
    a = await startPgBackOffice({ port: 0, database: url, clock, kiosks: {}, seedFixtures: false, poolSize: 4 });
    b = await startPgBackOffice({ port: 0, database: await openDatabase(url, { max: 4 }), clock, kiosks: {}, seedFixtures: false });
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    cluster?.destroy();
  });

  it('attack: each token sent to both instances at the same moment enrolls exactly once', async () => {
    const tokens = await Promise.all(Array.from({ length: 12 }, (_, i) => issueEnrollmentToken(a.store.keys, `NS-PG-${i}`, clock)));
    const post = (base: string, body: unknown) =>
      undiciFetch(`${base}/v1/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
        await r.text();
        return r.status;
      });
    const statuses = await Promise.all(
      tokens.map(({ token }, i) => Promise.all([post(a.url, enrollBody(token, `NS-PG-${i}`)), post(b.url, enrollBody(token, `NS-PG-${i}`))])),
    );
    for (const pair of statuses) expect([...pair].sort()).toEqual([200, 401]);
    const keys = await a.store.db.query<{ n: string }>(`SELECT count(*) AS n FROM kiosk_keys WHERE state = 'active'`);
    expect(Number(keys.rows[0]!.n)).toBe(12);
    const used = await a.store.db.query<{ n: string }>(`SELECT count(*) AS n FROM enrollment_tokens WHERE used_at IS NOT NULL`);
    expect(Number(used.rows[0]!.n)).toBe(12);
    // And directly at the store: 8 concurrent uses of one token on separate connections, one wins.
    const { token } = await issueEnrollmentToken(a.store.keys, 'NS-PG-RACE', clock);
    const h = enrollmentTokenKey(token);
    const won = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).store.keys.enrollWithToken('NS-PG-RACE', h, clock.now(), () => 'ab'.repeat(32))));
    expect(won.filter((k) => k !== undefined)).toEqual([1]);
  }, 60_000);

  it('rotation on PostgreSQL: pending until its first request, then the old key is refused on every instance', async () => {
    const f = secretPath();
    const { token } = await issueEnrollmentToken(a.store.keys, 'NS-PG-ROT', clock);
    await enrollKiosk({ baseUrl: a.url, kioskId: 'NS-PG-ROT', token, secretFile: f });
    const old = readFileSync(f, 'utf8').trim();
    await rotateKioskKey({ baseUrl: b.url, kioskId: 'NS-PG-ROT', secretFile: f, clock });
    const next = readFileSync(f, 'utf8').trim();
    const plain = new Agent();
    try {
      expect(await signedStatus('NS-PG-ROT', old, a.url, plain)).toBe(200);
      expect(await signedStatus('NS-PG-ROT', next, b.url, plain)).toBe(200);
      expect(await signedStatus('NS-PG-ROT', old, a.url, plain)).toBe(401);
      expect(await signedStatus('NS-PG-ROT', next, a.url, plain)).toBe(200);
    } finally {
      await plain.close();
    }
  }, 60_000);
});

describe('the standalone back office has no built-in kiosk', () => {
  function run(args: string[], env: Record<string, string>, untilListening = false): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'backoffice/main.ts'), ...args], {
        cwd: ROOT,
        env: { ...process.env, BACKOFFICE_PORT: '0', LOG_LEVEL: 'warn', BACKOFFICE_KIOSKS: '', BACKOFFICE_KIOSKS_FILE: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (untilListening && /back office listening on/.test(out)) child.kill('SIGTERM');
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => resolve({ code, out }));
    });
  }

  it('refuses to start without configured or enrolled kiosks, naming the setting; starts once the operator issued a token', async () => {
    // The SQLite store: a fresh PGlite data directory takes a minute to initialise on a loaded machine.
    const env = { BACKOFFICE_DB: path.join(dir, 'standalone.sqlite'), BACKOFFICE_DATABASE_URL: '' };
    const refused = await run([], env);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/no kiosks: set BACKOFFICE_KIOSKS .* or BACKOFFICE_KIOSKS_FILE, or issue an enrollment token/);
    expect(refused.out).not.toMatch(/listening/);
    const issued = await run(['issue-token', 'NS-STANDALONE-1'], env);
    expect(issued.code).toBe(0);
    expect(issued.out).toMatch(/^[A-Za-z0-9_-]{43}$/m);
    const started = await run([], env, true);
    expect(started.out).toMatch(/back office listening on http:\/\/127\.0\.0\.1:\d+/);
    // The operator revokes it again: its open token goes, and with it the only reason to start.
    const revoked = await run(['revoke', 'NS-STANDALONE-1'], env);
    expect(revoked).toMatchObject({ code: 0, out: expect.stringMatching(/kiosk NS-STANDALONE-1 revoked: 0 key\(s\), 1 open token\(s\)/) });
    expect((await run([], env)).code).toBe(1);
  }, 180_000);
});
