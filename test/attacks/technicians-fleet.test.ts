/**
 * Issue 13, attacked end to end against the REAL back office on all three stores (the SQLite
 * store, PGlite, and a throwaway PostgreSQL cluster this file starts itself): technicians issued
 * and revoked by an operator, the signed technician list as the kiosk syncs it and uses it
 * (main/maintenance/technician-access.ts), and the fleet heartbeat with its operator page.
 * Every refusal leaves nothing changed: the list version, the heartbeats, the kiosk's cached list.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_HEARTBEAT_BYTES, type HeartbeatDto } from '../../contract/backoffice-api.js';
import { FIXTURE_TECHNICIANS } from '../../contract/fixture-technicians.js';
import { HEADER_KIOSK, HEADER_RESPONSE_SIGNATURE, signRequest } from '../../contract/request-signing.js';
import { operatorPublicKey, verifyTechnicianCredential } from '../../contract/technician-credential.js';
import { fixedClock } from '../../contract/time.js';
import { startBackOffice, startPgBackOffice } from '../../backoffice/server.js';
import type { AsyncBackOfficeStore } from '../../backoffice/db/store-api.js';
import { postgresAvailability, startPgCluster, type PgCluster } from '../../backoffice/db/testing/pg-cluster.js';
import { createHttpBackOfficeClient, type HttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { createTechnicianListSync } from '../../main/backoffice-client/technician-list.js';
import { enrollKiosk } from '../../main/backoffice-client/enrollment.js';
import { BackOfficeUnavailableError } from '../../main/backoffice-client/types.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';
import { createTechnicianAccess, technicianListSchema } from '../../main/maintenance/technician-access.js';

const KIOSK = 'NS-FLEET-01';
const SECRET = 'fleet-kiosk-secret-0123456789abcdef';
const OTHER = 'NS-FLEET-02';
const OTHER_SECRET = 'other-fleet-kiosk-secret-0123456789';
const NEVER_HEARD = 'NS-FLEET-03';
const OPERATOR_TOKEN = 'operator-token-for-the-fleet-attacks-0123456789';
const auth = (id: string, token: string) => `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`;
const OPERATOR = auth('ops', OPERATOR_TOKEN);
const CARD_UID = '04A1B2C3D4E5F6';

const signing = generateKeyPairSync('ed25519');
const pgAvailable = postgresAvailability();

interface Running {
  url: string;
  store: AsyncBackOfficeStore;
  close(): Promise<void>;
}

const clock = fixedClock('2026-11-30T12:00:00Z');
const common = {
  port: 0,
  host: '127.0.0.1',
  clock,
  kiosks: { [KIOSK]: SECRET, [OTHER]: OTHER_SECRET, [NEVER_HEARD]: 'never-heard-kiosk-secret-0123456789' },
  operators: { ops: OPERATOR_TOKEN },
  technicianSigning: { privateKey: signing.privateKey },
  fleet: { silentAfterMs: 5 * 60_000, behindPending: 100, behindAgeMs: 3600_000 },
  seedTechnicians: true,
  reconciliation: { sweepEveryMs: 0 },
};

const engines: { name: string; skip: string | false; start(dir: string): Promise<Running> }[] = [
  {
    name: 'the SQLite store',
    skip: false,
    async start(dir) {
      const bo = await startBackOffice({ ...common, dbPath: path.join(dir, 'bo.sqlite') });
      return { url: bo.url, store: bo.store as unknown as AsyncBackOfficeStore, close: () => bo.close() };
    },
  },
  {
    name: 'PostgreSQL embedded (PGlite)',
    skip: false,
    async start() {
      const bo = await startPgBackOffice({ ...common, database: 'pglite:memory' });
      return { url: bo.url, store: bo.store, close: () => bo.close() };
    },
  },
  {
    name: 'a PostgreSQL server (a throwaway cluster)',
    skip: pgAvailable.ok ? false : pgAvailable.reason,
    async start() {
      const cluster: PgCluster = await startPgCluster({ settings: { fsync: 'off' } });
      const bo = await startPgBackOffice({ ...common, database: await cluster.createDatabase('fleet_attacks'), poolSize: 4 });
      return {
        url: bo.url,
        store: bo.store,
        async close() {
          await bo.close();
          cluster.destroy();
        },
      };
    },
  },
];

function heartbeat(over: Partial<HeartbeatDto> = {}): HeartbeatDto {
  return {
    at: clock.now().toISOString(),
    availability: { outOfService: [], topUp: null, collectOrders: null },
    parts: { cardReader: { ok: true }, paymentTerminal: { ok: true, detail: 'ready' } },
    backlog: { pending: 0, oldestPendingAt: null, lastSeq: 12, lastDeliveryAt: null },
    versions: { software: '0.1.0', build: 'dev', blockedList: 1, technicianList: 2, technicianListAgeMs: 1000 },
    uptimeMs: 60_000,
    ...over,
  };
}

for (const engine of engines) {
  describe.skipIf(engine.skip !== false)(`technicians and the fleet view on ${engine.name}${engine.skip ? ` — skipped: ${engine.skip}` : ''}`, () => {
    let bo: Running;
    let dir: string;
    let client: HttpBackOfficeClient;
    const clients: HttpBackOfficeClient[] = [];
    const servers: Server[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'kiosk-fleet-attacks-'));
      bo = await engine.start(dir);
      client = kioskClient(bo.url);
    }, 120_000);
    afterAll(async () => {
      for (const c of clients) await c.close();
      for (const s of servers) await new Promise((r) => s.close(r));
      await bo?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function kioskClient(baseUrl: string, kioskId = KIOSK, secret = SECRET) {
      const c = createHttpBackOfficeClient({ baseUrl, kioskId, secret, clock, blockedCachePath: path.join(dir, `blocked-${clients.length}.json`) });
      clients.push(c);
      return c;
    }

    async function operator(method: string, p: string, body?: unknown, authorization: string | null = OPERATOR) {
      const res = await fetch(`${bo.url}${p}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, text, json: (text.startsWith('{') ? JSON.parse(text) : undefined) as Record<string, unknown> | undefined, headers: res.headers };
    }

    it('the embedded fixture technicians are listed, T-0002 marked revoked, and the list is what technician-access.ts accepts', async () => {
      const list = await client.fetchTechnicianList();
      expect(technicianListSchema.safeParse(list).success).toBe(true);
      const byId = Object.fromEntries(list.technicians.map((t) => [t.technicianId, t]));
      expect(byId[FIXTURE_TECHNICIANS.technician.technicianId]?.revoked).toBe(false);
      expect(byId[FIXTURE_TECHNICIANS['technician-revoked'].technicianId]?.revoked).toBe(true);
      expect(JSON.stringify(list)).not.toContain(`"${FIXTURE_TECHNICIANS.technician.pin}"`);
      expect(list.version).toBeGreaterThanOrEqual(3);
    });

    it('an operator issues a technician with a chosen PIN and a card UID: a credential the kiosk verifies, the list version grows, the audit names the operator', async () => {
      const before = (await client.fetchTechnicianList()).version;
      const r = await operator('POST', '/operator/api/technicians', { technicianId: 'T-0100', roles: ['diagnostics', 'service'], pin: '864213', cardUid: CARD_UID.toLowerCase() });
      expect(r.status, r.text).toBe(200);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.json!.pin).toBeUndefined(); // chosen by the operator: never echoed
      expect(r.json!.version).toBe(before + 1);
      const check = verifyTechnicianCredential(r.json!.credential as string, CARD_UID, operatorPublicKey(signing.publicKey), clock.now());
      expect(check.ok && check.credential).toMatchObject({ technicianId: 'T-0100', roles: ['diagnostics', 'service'], uid: CARD_UID });
      const list = await operator('GET', '/operator/api/technicians');
      expect(JSON.stringify(list.json)).not.toContain('$argon2id$'); // the operator view shows no hashes
      expect((list.json!.events as { technicianId: string; actor: string; action: string }[]).find((e) => e.technicianId === 'T-0100')).toMatchObject({ actor: 'operator:ops', action: 'issued' });
    });

    it('without a PIN the back office generates one, answers it once and stores only its argon2id hash', async () => {
      const r = await operator('POST', '/operator/api/technicians', { technicianId: 'T-0101', roles: ['diagnostics'] });
      expect(r.status, r.text).toBe(200);
      expect(r.json!.pin).toMatch(/^\d{6}$/);
      expect(r.json!.credential).toBeUndefined(); // no card UID given
      const entry = (await client.fetchTechnicianList()).technicians.find((t) => t.technicianId === 'T-0101')!;
      expect(entry.pinHash.startsWith('$argon2id$')).toBe(true);
      expect(entry.pinHash).not.toContain(r.json!.pin as string);
    });

    it('a revoked technician is marked on the synced list and refused at the kiosk, even with the right PIN and a valid credential', async () => {
      const issued = await operator('POST', '/operator/api/technicians', { technicianId: 'T-0102', roles: ['settlement'], pin: '5791', cardUid: CARD_UID });
      const sync = createTechnicianListSync({ kioskId: KIOSK, fetch: () => client.fetchTechnicianList(), cachePath: path.join(dir, 'technicians-revoke.json'), clock });
      const access = createTechnicianAccess({ publicKey: operatorPublicKey(signing.publicKey), clock, list: () => sync.current(), maxAttempts: 5, lockoutMs: 60_000, lockoutFile: path.join(dir, 'lockout-revoke.json') });
      await sync.refresh();
      expect(await access.verifyCredential({ credential: issued.json!.credential as string, uid: CARD_UID })).toMatchObject({ ok: true });
      expect(await access.checkPin({ technicianId: 'T-0102', uid: CARD_UID, pin: '5791' })).toEqual({ ok: true });

      const versionBefore = sync.status().version!;
      const r = await operator('POST', '/operator/api/technicians/T-0102/revoke');
      expect(r.status, r.text).toBe(200);
      expect(r.json!.version).toBeGreaterThan(versionBefore);
      await sync.refresh();
      expect(sync.status().version).toBe(r.json!.version);
      expect(sync.current()!.technicians.find((t) => t.technicianId === 'T-0102')!.revoked).toBe(true);
      expect(await access.verifyCredential({ credential: issued.json!.credential as string, uid: CARD_UID })).toMatchObject({ ok: false, reason: 'revoked' });
      expect(await access.checkPin({ technicianId: 'T-0102', uid: CARD_UID, pin: '5791' })).toMatchObject({ ok: false });
      // Revoking again changes nothing; an unknown technician is a 404.
      expect((await operator('POST', '/operator/api/technicians/T-0102/revoke')).json!.version).toBe(r.json!.version);
      expect((await operator('POST', '/operator/api/technicians/T-9999/revoke')).status).toBe(404);
    });

    it('concurrent issues and revocations each get their own list version; the version only grows', async () => {
      expect((await operator('POST', '/operator/api/technicians', { technicianId: 'T-0399', roles: ['service'], pin: '97531' })).status).toBe(200);
      const before = (await client.fetchTechnicianList()).version;
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2 === 0
            ? operator('POST', '/operator/api/technicians', { technicianId: `T-03${i}`, roles: ['diagnostics'], pin: '24680' })
            : operator('POST', '/operator/api/technicians/T-0399/revoke').then(() => operator('POST', '/operator/api/technicians', { technicianId: `T-03${i}`, roles: ['service'], pin: '13579' })),
        ),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const versions = answers.map((a) => a.json!.version as number);
      expect(new Set(versions).size).toBe(versions.length);
      const after = (await client.fetchTechnicianList()).version;
      expect(after).toBe(before + 9); // 8 issues + 1 revocation (revoking again raises nothing)
      expect(Math.max(...versions)).toBeLessThanOrEqual(after);
    });

    it('twenty revocations of one technician at once: one new list version, one revocation audited, every answer that version', async () => {
      expect((await operator('POST', '/operator/api/technicians', { technicianId: 'T-0420', roles: ['service'], pin: '86420' })).status).toBe(200);
      const before = (await client.fetchTechnicianList()).version;
      // Straight to the store, all at once (through HTTP the operator check spaces them out and
      // they seldom overlap), on connections already open (a new one each took long enough for the
      // others to finish first): the pool warmed by as many transactions at once.
      await Promise.all(Array.from({ length: 20 }, () => bo.store.technicians.list()));
      const versions = await Promise.all(Array.from({ length: 20 }, () => bo.store.technicians.revoke('T-0420', 'ops')));
      const after = (await client.fetchTechnicianList()).version;
      expect(after).toBe(before + 1);
      // Each answer is the list version once it was revoked: the one revocation's.
      expect(versions).toEqual(Array(20).fill(before + 1));
      const audited = ((await operator('GET', '/operator/api/technicians')).json?.events as { technicianId: string; action: string }[] | undefined) ?? [];
      expect(audited.filter((e) => e.technicianId === 'T-0420' && e.action === 'revoked')).toHaveLength(1);
      expect((await operator('POST', '/operator/api/technicians/T-0420/revoke')).json!.version).toBe(before + 1);
    });

    it('operator routes refuse no operator, a wrong token, an unknown operator and a kiosk signature, and change nothing', async () => {
      const version = (await client.fetchTechnicianList()).version;
      const wrong = [null, auth('ops', 'x'.repeat(48)), auth('nobody', OPERATOR_TOKEN), 'Bearer ' + OPERATOR_TOKEN];
      for (const a of wrong) {
        expect((await operator('POST', '/operator/api/technicians', { technicianId: 'T-0666', roles: ['service'], pin: '1111' }, a)).status).toBe(401);
        expect((await operator('POST', '/operator/api/technicians/T-0001/revoke', undefined, a)).status).toBe(401);
        expect((await operator('GET', '/operator/fleet', undefined, a)).status).toBe(401);
        expect((await operator('GET', '/operator/api/technicians', undefined, a)).status).toBe(401);
      }
      // A kiosk's valid signature is no operator credential.
      const p = '/operator/api/technicians/T-0001/revoke';
      const res = await fetch(`${bo.url}${p}`, { method: 'POST', headers: signRequest({ kioskId: KIOSK, secret: SECRET, method: 'POST', pathWithQuery: p, body: '', at: clock.now() }) });
      expect(res.status).toBe(401);
      const list = await client.fetchTechnicianList();
      expect(list.version).toBe(version);
      expect(list.technicians.find((t) => t.technicianId === 'T-0001')!.revoked).toBe(false);
      expect(list.technicians.some((t) => t.technicianId === 'T-0666')).toBe(false);
    });

    it('bad issue requests are refused with nothing stored: a short PIN, an unknown role, a malformed id, a form post', async () => {
      const version = (await client.fetchTechnicianList()).version;
      for (const body of [
        { technicianId: 'T-0200', roles: ['service'], pin: '12' },
        { technicianId: 'T-0200', roles: ['root'], pin: '1234' },
        { technicianId: 'T 0200<script>', roles: ['service'], pin: '1234' },
        { technicianId: 'T-0200', roles: [], pin: '1234' },
        { technicianId: 'T-0200', roles: ['service'], pin: '1234', extra: true },
      ])
        expect((await operator('POST', '/operator/api/technicians', body)).status, JSON.stringify(body)).toBe(400);
      const form = await fetch(`${bo.url}/operator/api/technicians`, { method: 'POST', headers: { authorization: OPERATOR, 'content-type': 'application/x-www-form-urlencoded' }, body: 'technicianId=T-0200&roles=service&pin=1234' });
      expect(form.status).toBe(415);
      expect((await client.fetchTechnicianList()).version).toBe(version);
    });

    it('unsigned and cross-kiosk requests to /v1/technicians and /v1/heartbeat are refused; nothing is stored for the kiosk named', async () => {
      expect((await fetch(`${bo.url}/v1/technicians`)).status).toBe(401);
      const body = JSON.stringify(heartbeat({ availability: { outOfService: ['technician'], topUp: null, collectOrders: null } }));
      expect((await fetch(`${bo.url}/v1/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
      // Kiosk 1 signs with its own secret but claims to be kiosk 2.
      for (const [method, p, b] of [['GET', '/v1/technicians', ''], ['POST', '/v1/heartbeat', body]] as const) {
        const headers = { ...signRequest({ kioskId: KIOSK, secret: SECRET, method, pathWithQuery: p, body: b, at: clock.now() }), [HEADER_KIOSK]: OTHER, 'content-type': 'application/json' };
        const res = await fetch(`${bo.url}${p}`, { method, headers, ...(b ? { body: b } : {}) });
        expect(res.status, `${method} ${p}`).toBe(401);
      }
      const view = await bo.store.fleet.view([]);
      expect(view.kiosks.find((k) => k.kioskId === OTHER)).toBeUndefined();
    });

    it('an oversized heartbeat is refused (413) and a malformed one (400); neither is stored', async () => {
      const big = heartbeat({ parts: { cardReader: { ok: true, detail: 'x'.repeat(MAX_HEARTBEAT_BYTES) } } });
      const other = kioskClient(bo.url, OTHER, OTHER_SECRET);
      // Refused while the body is read, before the signature is even checked (so its answer is unsigned).
      const text = JSON.stringify(big);
      const res = await fetch(`${bo.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { ...signRequest({ kioskId: OTHER, secret: OTHER_SECRET, method: 'POST', pathWithQuery: '/v1/heartbeat', body: text, at: clock.now() }), 'content-type': 'application/json' },
        body: text,
      });
      expect(res.status).toBe(413);
      await expect(other.sendHeartbeat(big)).rejects.toBeInstanceOf(BackOfficeUnavailableError);
      await expect(other.sendHeartbeat({ ...heartbeat(), backlog: { pending: -1, oldestPendingAt: null, lastSeq: 0, lastDeliveryAt: null } })).rejects.toMatchObject({ status: 400 });
      await expect(other.sendHeartbeat({ ...heartbeat(), extra: 'x' } as HeartbeatDto)).rejects.toMatchObject({ status: 400 });
      expect((await bo.store.fleet.view([])).kiosks.find((k) => k.kioskId === OTHER)).toBeUndefined();
    });

    it('a tampered list answer is refused by the kiosk and the last good list stays, on disk 0600', async () => {
      const cachePath = path.join(dir, 'technicians-tamper.json');
      // A man in the middle that un-revokes T-0002 in the answer and keeps the back office's signature header.
      let tamper = false;
      const proxy = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const up = await fetch(`${bo.url}${req.url}`, { method: req.method!, headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-') || k === 'content-type')) as Record<string, string>, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
        let text = await up.text();
        if (tamper) text = text.replace(/("technicianId":"T-0002","pinHash":"[^"]+","revoked":)true/, '$1false');
        res.writeHead(up.status, { 'content-type': 'application/json', [HEADER_RESPONSE_SIGNATURE]: up.headers.get(HEADER_RESPONSE_SIGNATURE) ?? '' });
        res.end(text);
      });
      servers.push(proxy);
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      const viaProxy = kioskClient(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      const sync = createTechnicianListSync({ kioskId: KIOSK, fetch: () => viaProxy.fetchTechnicianList(), cachePath, clock });
      await sync.refresh();
      expect(sync.current()!.technicians.find((t) => t.technicianId === 'T-0002')!.revoked).toBe(true);
      expect(statSync(cachePath).mode & 0o777).toBe(0o600);
      const good = readFileSync(cachePath, 'utf8');

      tamper = true;
      await expect(sync.refresh()).rejects.toBeInstanceOf(BackOfficeUnavailableError);
      expect(sync.current()!.technicians.find((t) => t.technicianId === 'T-0002')!.revoked).toBe(true);
      expect(sync.status().lastError).toMatch(/not signed/);
      expect(readFileSync(cachePath, 'utf8')).toBe(good);
    });

    it('a list file changed on disk is refused at load: nobody gets in until the next sync', async () => {
      const cachePath = path.join(dir, 'technicians-disk.json');
      const sync = createTechnicianListSync({ kioskId: KIOSK, fetch: () => client.fetchTechnicianList(), cachePath, clock });
      await sync.refresh();
      const f = JSON.parse(readFileSync(cachePath, 'utf8'));
      // Un-revoke by hand, and add a stranger with a hash that is no argon2id: the shape check refuses the file.
      f.list.technicians.push({ technicianId: 'T-EVIL', pinHash: '$2b$10$abcdefghijklmnopqrstuv', revoked: false });
      writeFileSync(cachePath, JSON.stringify(f));
      expect(createTechnicianListSync({ kioskId: KIOSK, fetch: () => client.fetchTechnicianList(), cachePath, clock }).current()).toBeUndefined();
      // Another kiosk's file is refused too.
      f.list.technicians.pop();
      writeFileSync(cachePath, JSON.stringify({ ...f, kioskId: OTHER }));
      expect(createTechnicianListSync({ kioskId: KIOSK, fetch: () => client.fetchTechnicianList(), cachePath, clock }).current()).toBeUndefined();
      writeFileSync(cachePath, JSON.stringify(f));
      expect(createTechnicianListSync({ kioskId: KIOSK, fetch: () => client.fetchTechnicianList(), cachePath, clock }).current()?.version).toBe(f.list.version);
      expect(existsSync(`${cachePath}.tmp`)).toBe(false);
    });

    it('the fleet page lists kiosks out of service, silent and falling behind, and the journaled maintenance actions, escaped', async () => {
      const j = openJournal({ path: ':memory:', kioskId: KIOSK, hmacKey: SECRET, clock });
      j.append({ type: 'maintenance.action', operationId: 'mnt-1', data: { technicianId: 'T-0001', action: 'end-of-day', outcome: 'ok', note: '<script>alert(1)</script>' } });
      const intake = await client.submitRecords(j.undelivered(10));
      expect(intake.results.every((x) => x.status === 'accepted')).toBe(true);
      j.close();

      await client.sendHeartbeat(
        heartbeat({ availability: { outOfService: ['card-reader'], topUp: 'payment-terminal', collectOrders: null }, versions: { software: '<img src=x onerror=alert(1)>', build: 'dev', blockedList: 1, technicianList: 2, technicianListAgeMs: 0 } }),
      );
      const other = kioskClient(bo.url, OTHER, OTHER_SECRET);
      await other.sendHeartbeat(heartbeat({ backlog: { pending: 5, oldestPendingAt: new Date(clock.now().getTime() - 2 * 3600_000).toISOString(), lastSeq: 90, lastDeliveryAt: null } }));

      let view = await bo.store.fleet.view([KIOSK, OTHER, NEVER_HEARD]);
      expect(view.outOfService).toEqual([KIOSK]);
      expect(view.behind).toEqual([OTHER]);
      expect(view.silent).toEqual([NEVER_HEARD]);
      expect(view.maintenanceActions[0]).toMatchObject({ kioskId: KIOSK, technicianId: 'T-0001', action: 'end-of-day', outcome: 'ok' });

      const page = await operator('GET', '/operator/fleet');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.text).toContain('end-of-day');
      expect(page.text).not.toContain('<script>alert(1)</script>');
      expect(page.text).toContain('&lt;script&gt;');
      expect(page.text).not.toContain('<img');
      expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(page.text).toMatch(/Silent \(1\)<\/h2><ul><li>NS-FLEET-03/);

      // An enrolled kiosk that never reported is silent too; a revoked one is not listed.
      const enrolled = 'NS-ENROLLED-7';
      const token = (await operator('POST', `/operator/kiosks/${enrolled}/enrollment-token`)).json!.token as string;
      expect(token).toBeTruthy();
      await enrollKiosk({ baseUrl: bo.url, kioskId: enrolled, token, secretFile: path.join(dir, 'enrolled-secret') });
      expect((await bo.store.fleet.view([KIOSK, OTHER, NEVER_HEARD])).silent).toEqual([NEVER_HEARD, enrolled].sort());
      expect((await operator('POST', `/operator/kiosks/${enrolled}/revoke`)).status).toBe(200);
      expect((await bo.store.fleet.view([KIOSK, OTHER, NEVER_HEARD])).silent).toEqual([NEVER_HEARD]);

      // Six minutes without a heartbeat: every kiosk is silent.
      clock.advance(6 * 60_000);
      view = await bo.store.fleet.view([KIOSK, OTHER, NEVER_HEARD]);
      expect(view.silent).toEqual([KIOSK, OTHER, NEVER_HEARD]);
      clock.advance(-6 * 60_000);
    });
  });
}
