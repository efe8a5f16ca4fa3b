/**
 * Key rotation of a RUNNING kiosk (issue 11), end to end against the real back office (SQLite store
 * over TLS with a run-time PKI, and PostgreSQL): the kiosk's key ring (main/backoffice-client/
 * key-ring.ts), its journal (records name the key that sealed them) and its back-office client,
 * against intake's per-record key lookup (backoffice/kiosk-keys.ts intakeKeysOf).
 *
 * "Restart" here is what a restart does: every object is closed and built again from the data
 * directory (kiosk-secret, kiosk-keys.json, journal.sqlite). Kill at each step, twice: in process
 * (the step hook throws right after that step's effect is durable, and the run goes on journaling)
 * and for real (a child process, test/support/rotate-child.ts, SIGKILLs itself at that step).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardRef, sealRecord } from '../../contract/record-crypto.js';
import { signRequest } from '../../contract/request-signing.js';
import { fixedClock } from '../../contract/time.js';
import type { JournalRecord } from '../../contract/journal-record.js';
import { enrollKiosk } from '../../main/backoffice-client/enrollment.js';
import { createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { KEY_RING_FILE, openKeyRing, resumeRotation, rotateKeyRing, scheduleKeyRotation, type RotationStep } from '../../main/backoffice-client/key-ring.js';
import type { Time } from '../../contract/time.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';
import { createMaintenanceActions } from '../../main/maintenance/maintenance-actions.js';
import { startBackOffice, startPgBackOffice, type BackOfficeServer, type PgBackOfficeServer } from '../../backoffice/server.js';
import { issueEnrollmentToken } from '../../backoffice/kiosk-keys.js';
import { postgresAvailability, startPgCluster, type PgCluster } from '../../backoffice/db/testing/pg-cluster.js';
import { makeTestPki, type Pki } from '../support/test-pki.js';
import { pino } from 'pino';
import { createKiosk } from '../../main/composition.js';
import { parseConfig } from '../../main/config.js';

const CONFIGURED = 'NS-CONF-RK';
const CONFIGURED_SECRET = 'configured-kiosk-secret-rotation-0123';
const CARD = '3528000000000017';

let pki: Pki;
let root: string;
let bo: BackOfficeServer;
const clock = fixedClock('2026-11-30T12:00:00Z');

beforeAll(async () => {
  pki = makeTestPki();
  root = mkdtempSync(path.join(tmpdir(), 'kiosk-rotate-'));
  bo = await startBackOffice({ port: 0, host: '127.0.0.1', dbPath: ':memory:', clock, kiosks: { [CONFIGURED]: CONFIGURED_SECRET }, tls: pki.server });
}, 60_000);
afterAll(async () => {
  await bo?.close();
  rmSync(root, { recursive: true, force: true });
  pki?.cleanup();
});

interface Target {
  url: string;
  caPem?: string;
  issue(kioskId: string): Promise<string>;
  keyStates(kioskId: string): Promise<[number, string][]>;
}
const sqliteTarget = (): Target => ({
  url: bo.url,
  caPem: pki.caPem,
  issue: async (k) => (await issueEnrollmentToken(bo.store.keys, k, clock)).token,
  keyStates: async (k) => (await bo.store.keys.kioskKeys(k)).map((x) => [x.keyId, x.state]),
});

/** A kiosk as its data directory holds it, opened the way composition.ts opens it. */
function boot(t: Target, dataDir: string, kioskId: string) {
  const original = readFileSync(path.join(dataDir, 'kiosk-secret'), 'utf8').trim();
  const ring = openKeyRing(dataDir, original);
  const journal = openJournal({ path: path.join(dataDir, 'journal.sqlite'), kioskId, hmacKey: original, recordKeys: ring, clock });
  const client = createHttpBackOfficeClient({
    baseUrl: t.url,
    ...(t.caPem ? { caPem: t.caPem } : {}),
    kioskId,
    secret: original,
    requestSecret: ring.requestSecret,
    clock,
    blockedCachePath: path.join(dataDir, 'blocked-cards.json'),
  });
  const rotation = { ring, baseUrl: t.url, ...(t.caPem ? { caPem: t.caPem } : {}), kioskId, clock, keyIdsInUse: () => journal.keyIdsInUse() };
  return {
    original,
    ring,
    journal,
    client,
    rotation,
    /** Upload everything undelivered; the statuses by seq. */
    async upload(): Promise<Record<number, string>> {
      const recs = journal.undelivered(1000);
      const r = await client.submitRecords(recs);
      journal.markDelivered(r.results.filter((x) => x.status !== 'rejected').map((x) => x.seq));
      return Object.fromEntries(r.results.map((x) => [x.seq, x.status === 'rejected' ? `rejected:${x.reason}` : x.status]));
    },
    async close() {
      journal.close();
      await client.close();
    },
  };
}

let n = 0;
async function enrolledKiosk(t: Target, prefix: string): Promise<{ dataDir: string; kioskId: string }> {
  const kioskId = `${prefix}-${++n}`;
  const dataDir = path.join(root, kioskId);
  mkdirSync(dataDir, { mode: 0o700 });
  await enrollKiosk({ baseUrl: t.url, ...(t.caPem ? { caPem: t.caPem } : {}), kioskId, token: await t.issue(kioskId), secretFile: path.join(dataDir, 'kiosk-secret') });
  return { dataDir, kioskId };
}

async function signedStatus(t: Target, kioskId: string, secret: string): Promise<number> {
  const p = '/v1/journal/status';
  const agent = new Agent(t.caPem ? { connect: { ca: t.caPem } } : {});
  try {
    const res = await undiciFetch(t.url + p, { headers: signRequest({ kioskId, secret, method: 'GET', pathWithQuery: p, body: '', at: clock.now() }), dispatcher: agent });
    await res.text();
    return res.status;
  } finally {
    await agent.close();
  }
}

const note = (op: string) => ({ type: 'kiosk.note' as const, operationId: op });

/** The whole story on one back office: records under the original key, rotation, restart, upload, attacks. */
async function rotationEndToEnd(t: Target, prefix: string) {
  const { dataDir, kioskId } = await enrolledKiosk(t, prefix);
  let k = boot(t, dataDir, kioskId);
  // Three records under the original key (no key id), not yet uploaded when the kiosk rotates.
  for (let i = 0; i < 3; i++) k.journal.append(note(`before-${i}`));
  expect(await rotateKeyRing(k.rotation)).toEqual({ keyId: 2 });
  expect(await t.keyStates(kioskId)).toEqual([[2, 'active']]);
  expect(statSync(path.join(dataDir, KEY_RING_FILE)).mode & 0o777).toBe(0o600);
  expect(readFileSync(path.join(dataDir, 'kiosk-secret'), 'utf8').trim()).toBe(k.original); // never replaced
  // The running kiosk switched at once: new records name key 2.
  k.journal.append(note('after-0'));
  k.journal.append(note('after-1'));
  expect(k.journal.records().map((r) => r.keyId ?? null)).toEqual([null, null, null, 2, 2]);
  await k.close();

  // Restart: the chain verifies across the rotation, each record under its own key.
  k = boot(t, dataDir, kioskId);
  expect(k.ring.current().keyId).toBe(2);
  expect(k.journal.verifyChain()).toEqual({ ok: true, checked: 5 });
  // The back office takes all five: the old ones under the (now retired) original key, sealed before it ended.
  expect(await k.upload()).toEqual({ 1: 'accepted', 2: 'accepted', 3: 'accepted', 4: 'accepted', 5: 'accepted' });
  expect(await signedStatus(t, kioskId, k.original)).toBe(401); // the old key signs nothing any more

  // Attack: a forged key id on a record of this kiosk's chain.
  const last = k.journal.records(4)[0]!;
  const next = { kioskId, seq: 6, at: clock.now().toISOString(), type: 'kiosk.note' as const, operationId: 'forged', prevHash: last.hash };
  const cur = k.ring.current().secret;
  const forged: [string, JournalRecord][] = [
    ['sealed under key 2, then only its key id changed to 1', { ...sealRecord({ ...next, keyId: 2 }, cur), keyId: 1 }],
    ['re-sealed under key 2 but naming key 1', sealRecord({ ...next, keyId: 1 }, cur)],
    ['naming a key the kiosk never had', sealRecord({ ...next, keyId: 99 }, cur)],
    ['naming no key (the original) but sealed under key 2', sealRecord(next, cur)],
  ];
  const statuses = [];
  for (const [, rec] of forged) statuses.push((await k.client.submitRecords([rec])).results[0]!.reason);
  expect(statuses).toEqual(['hash-mismatch', 'bad-hmac', 'unknown-key', 'bad-hmac']);

  // Attack: someone holding the OLD key (a copy taken before the rotation) seals a record later on.
  clock.advance(10 * 60_000);
  const late = sealRecord({ ...next, at: clock.now().toISOString() }, k.original);
  expect((await k.client.submitRecords([late])).results[0]).toMatchObject({ status: 'rejected', reason: 'unknown-key' });
  // ... while the kiosk's own next record (key 2) goes in as seq 6.
  k.journal.append(note('after-2'));
  expect(await k.upload()).toEqual({ 6: 'accepted' });
  await k.close();
  return { dataDir, kioskId };
}

describe('key rotation of a running kiosk, against the real back office (SQLite, TLS)', () => {
  it('records sealed before the rotation and after it verify at restart and are all taken; forged key ids, and the old key after the rotation, are refused', async () => {
    await rotationEndToEnd(sqliteTarget(), 'NS-RK');
  });

  it("the card-number hash key does not rotate: the back office's blocked list still names the kiosk's cards after two rotations", async () => {
    const t = sqliteTarget();
    const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKC');
    let k = boot(t, dataDir, kioskId);
    await rotateKeyRing(k.rotation);
    await rotateKeyRing(k.rotation);
    expect(k.ring.current().keyId).toBe(3);
    bo.store.setBlocked(CARD, true);
    await k.client.refreshBlockedList();
    expect(k.client.isBlocked(CARD)).toBe(true);
    // And the journal's card hashes are the same ones the original key gave.
    k.journal.append({ type: 'kiosk.note', operationId: 'card', card: cardRef(CARD, k.original) });
    await k.close();
    k = boot(t, dataDir, kioskId);
    expect(k.journal.verifyChain().ok).toBe(true);
    expect(await k.upload()).toEqual({ 1: 'accepted' });
    await k.close();
    bo.store.setBlocked(CARD, false);
  });

  it("a technician's rotate-key action rotates the running kiosk's key and journals the new key id (never a secret); a refusal is journaled as failed", async () => {
    const t = sqliteTarget();
    const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKM');
    const k = boot(t, dataDir, kioskId);
    let op = 0;
    const actions = (rotation?: typeof k.rotation) =>
      createMaintenanceActions({
        journal: k.journal,
        terminal: { status: async () => 'ready' },
        drainUploads: async () => undefined,
        pendingUploads: () => 0,
        setOutOfService: () => {},
        newOperationId: () => `maint-${++op}`,
        ...(rotation ? { rotateKey: () => rotateKeyRing(rotation) } : {}),
      });
    expect(await actions(k.rotation).run({ technicianId: 'tech-1', action: 'rotate-key' })).toMatchObject({ outcome: 'ok', detail: { keyId: 2 } });
    const failed = await actions({ ...k.rotation, baseUrl: 'https://127.0.0.1:1' }).run({ technicianId: 'tech-1', action: 'rotate-key' });
    expect(failed).toMatchObject({ outcome: 'failed', detail: { error: expect.stringMatching(/not reachable/) } });
    expect(await actions().run({ technicianId: 'tech-1', action: 'rotate-key' })).toMatchObject({ outcome: 'failed', detail: { error: expect.stringMatching(/configured key/) } });
    const recs = k.journal.recordsOfType(['maintenance.action']).reverse();
    expect(recs.map((r) => [r.keyId, r.data?.outcome, r.data?.keyId ?? null])).toEqual([
      [2, 'ok', 2],
      [2, 'failed', null],
      [2, 'failed', null],
    ]);
    expect(JSON.stringify(recs)).not.toContain(k.ring.current().secret);
    expect(await k.upload()).toEqual({ 1: 'accepted', 2: 'accepted', 3: 'accepted' });
    await k.close();
  });

  it('scheduled rotation: the kiosk rotates when its key is older than the configured age, once, and again when the new key ages', async () => {
    const t = sqliteTarget();
    const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKS');
    // The original key is aged by kiosk-secret's mtime, which the filesystem stamps from the real
    // wall clock; the test clock is fixed. Stamp it with the test's now, or the test depends on
    // today's date (it failed from the day after the fixed date: 31 days on was then under 30 days
    // past the real mtime).
    utimesSync(path.join(dataDir, 'kiosk-secret'), clock.now(), clock.now());
    const k = boot(t, dataDir, kioskId);
    // The time port with timers fired by hand (the wall clock is the shared test clock).
    const timers: (() => void)[] = [];
    const time: Time = { now: () => clock.now(), setTimeout: (fn) => (timers.push(fn), { id: timers.length }), clearTimeout: () => {} };
    const outcomes: unknown[] = [];
    const settle = async (count: number) => {
      // Up to 20 s for the outcomes expected (a rotation is a TLS round trip), then a little more
      // for any that should not come.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && outcomes.length < count) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50));
    };
    const DAY = 86_400_000;
    const stop = scheduleKeyRotation({ ...k.rotation, time, maxAgeMs: 30 * DAY, report: (o) => outcomes.push(o) });
    await settle(0);
    expect(outcomes).toEqual([]); // kiosk-secret was written just now: young
    clock.advance(31 * DAY);
    timers.shift()!();
    await settle(1);
    expect(outcomes).toEqual([{ keyId: 2 }]);
    timers.shift()!();
    await settle(1);
    expect(outcomes).toEqual([{ keyId: 2 }]); // the new key is young
    clock.advance(31 * DAY);
    timers.shift()!();
    await settle(2);
    expect(outcomes).toEqual([{ keyId: 2 }, { keyId: 3 }]);
    stop();
    expect(await t.keyStates(kioskId)).toEqual([[3, 'active']]);
    k.journal.append(note('after-scheduled'));
    expect(await k.upload()).toEqual({ 1: 'accepted' });
    await k.close();
  }, 60_000);

  it('an old key is dropped from the ring only once no record in the journal names it', async () => {
    const t = sqliteTarget();
    const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKP');
    const k = boot(t, dataDir, kioskId);
    await rotateKeyRing(k.rotation); // key 2, no record under it yet
    k.journal.append(note('under-2'));
    await rotateKeyRing(k.rotation); // key 3: key 2 kept, a record names it
    expect(k.ring.state().keys.map((x) => x.keyId)).toEqual([2, 3]);
    expect(await k.upload()).toEqual({ 1: 'accepted' });
    // Delivered and purged: nothing names key 2 any more, the next rotation drops it.
    clock.advance(60_000);
    expect(k.journal.purgeDelivered(clock.now())).toBe(1);
    await rotateKeyRing(k.rotation);
    expect(k.ring.state().keys.map((x) => x.keyId)).toEqual([4]);
    await k.close();
  });

  it('attack: a rotation the back office refuses (a configured kiosk; an unreachable back office) changes nothing: the kiosk still uploads and its chain verifies', async () => {
    const t = sqliteTarget();
    const dataDir = path.join(root, 'configured');
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(path.join(dataDir, 'kiosk-secret'), `${CONFIGURED_SECRET}\n`, { mode: 0o600 });
    const k = boot(t, dataDir, CONFIGURED);
    k.journal.append(note('c-0'));
    await expect(rotateKeyRing(k.rotation)).rejects.toThrow(/HTTP 409.*configured-kiosk/);
    await expect(rotateKeyRing({ ...k.rotation, baseUrl: 'https://127.0.0.1:1' })).rejects.toThrow(/not reachable/);
    expect(existsSync(path.join(dataDir, KEY_RING_FILE))).toBe(false);
    k.journal.append(note('c-1'));
    expect(k.journal.verifyChain()).toEqual({ ok: true, checked: 2 });
    expect(await k.upload()).toEqual({ 1: 'accepted', 2: 'accepted' });
    await k.close();
  });

  const steps: RotationStep[] = ['before-request', 'after-answer', 'after-pending-saved', 'after-confirmed', 'after-switch'];
  for (const step of steps) {
    it(`kill at '${step}': after a restart the kiosk's chain verifies, it uploads, and rotating again works`, async () => {
      const t = sqliteTarget();
      const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKK');
      let k = boot(t, dataDir, kioskId);
      k.journal.append(note('before-kill'));
      await expect(
        rotateKeyRing({
          ...k.rotation,
          step: (s) => {
            if (s === step) throw new Error(`killed at ${s}`);
          },
        }),
      ).rejects.toThrow(`killed at ${step}`);
      k.journal.append(note('in-the-same-run')); // the run goes on until the kill would land
      await k.close();

      // Restart as composition.ts does: open the ring from disk, resume an interrupted rotation.
      k = boot(t, dataDir, kioskId);
      const resumed = await resumeRotation(k.rotation);
      expect(resumed).toBe(step === 'after-pending-saved' || step === 'after-confirmed' ? 'switched' : 'none');
      k.journal.append(note('after-restart'));
      expect(k.journal.verifyChain()).toEqual({ ok: true, checked: 3 });
      expect(await k.upload()).toEqual({ 1: 'accepted', 2: 'accepted', 3: 'accepted' });
      // The key now in use is the back office's active key; rotating again works from here.
      const current = k.ring.current();
      const expectedCurrent = step === 'before-request' || step === 'after-answer' ? undefined : 2;
      expect(current.keyId).toBe(expectedCurrent);
      const next = await rotateKeyRing(k.rotation);
      expect((await t.keyStates(kioskId)).map(([id, s]) => `${id}:${s}`)).toEqual([`${next.keyId}:active`]);
      k.journal.append(note('after-second-rotation'));
      expect(await k.upload()).toEqual({ 4: 'accepted' });
      await k.close();
      k = boot(t, dataDir, kioskId);
      expect(k.journal.verifyChain()).toEqual({ ok: true, checked: 4 });
      await k.close();
    });
  }

  for (const step of steps) {
    it(`SIGKILL at '${step}' (a real kill of a child process): after a restart the chain verifies, the kiosk uploads and rotates again`, async () => {
      const t = sqliteTarget();
      const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKX');
      const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(import.meta.dirname, '../support/rotate-child.ts')], {
        env: { ...process.env, ROTATE_KILL_AT: step, ROTATE_CHILD: JSON.stringify({ url: t.url, caFile: pki.caFile, dataDir, kioskId, at: clock.now().toISOString() }) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const signal = await new Promise<string | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
      expect(out).toBe('');
      expect(signal).toBe('SIGKILL');

      let k = boot(t, dataDir, kioskId);
      await resumeRotation(k.rotation);
      k.journal.append(note('after-restart'));
      expect(k.journal.verifyChain()).toEqual({ ok: true, checked: 2 });
      expect(await k.upload()).toEqual({ 1: 'accepted', 2: 'accepted' });
      expect(k.ring.current().keyId).toBe(step === 'before-request' || step === 'after-answer' ? undefined : 2);
      const next = await rotateKeyRing(k.rotation);
      expect(await t.keyStates(kioskId)).toEqual([[next.keyId, 'active']]);
      k.journal.append(note('after-second-rotation'));
      expect(await k.upload()).toEqual({ 3: 'accepted' });
      await k.close();
      k = boot(t, dataDir, kioskId);
      expect(k.journal.verifyChain()).toEqual({ ok: true, checked: 3 });
      await k.close();
    }, 30_000);
  }

  it('a whole kiosk (createKiosk) finishes a rotation a kill interrupted after the back office confirmed it, and its uploader delivers the journal with the new key', async () => {
    const t = sqliteTarget();
    const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKW');
    const k = boot(t, dataDir, kioskId);
    k.journal.append(note('under-original'));
    await expect(rotateKeyRing({ ...k.rotation, step: (s) => { if (s === 'after-confirmed') throw new Error('killed'); } })).rejects.toThrow('killed');
    await k.close();
    expect(await signedStatus(t, kioskId, k.original)).toBe(401); // the back office already moved on
    const kiosk = await createKiosk(parseConfig({ dataDir, kioskId, logLevel: 'silent', backOffice: { mode: 'remote', url: t.url, caFile: pki.caFile, uploadIntervalMs: 500 } }), {
      clock,
      logger: pino({ level: 'silent' }),
    });
    const stored = () => bo.store.journalRecords(kioskId);
    await kiosk.start();
    try {
      // Delivered: the uploader's requests were signed with key 2 (the original key gets 401 now).
      for (let i = 0; i < 200 && !stored().some((r) => r.operationId === 'under-original'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(stored()[0]).toMatchObject({ seq: 1, operationId: 'under-original' });
    } finally {
      await kiosk.stop();
    }
    const after = boot(t, dataDir, kioskId);
    expect(after.ring.current().keyId).toBe(2);
    expect(after.journal.verifyChain().ok).toBe(true);
    // Whatever the kiosk journaled after the resume names key 2; the back office took it all.
    const local = after.journal.records();
    expect(local.slice(1).every((r) => r.keyId === 2)).toBe(true);
    after.journal.append(note('after-restart'));
    expect(Object.values(await after.upload()).every((x) => x === 'accepted' || x === 'duplicate')).toBe(true);
    expect(stored().length).toBe(local.length + 1);
    await after.close();
  }, 60_000);

  it('a kill inside the ring write (temp file written, never renamed) leaves the previous ring; a ring file that does not parse is refused, not replaced', async () => {
    const t = sqliteTarget();
    const { dataDir, kioskId } = await enrolledKiosk(t, 'NS-RKT');
    let k = boot(t, dataDir, kioskId);
    await rotateKeyRing(k.rotation);
    const ring = readFileSync(path.join(dataDir, KEY_RING_FILE), 'utf8');
    await k.close();
    writeFileSync(path.join(dataDir, `${KEY_RING_FILE}.tmp`), '{"version":1,"current":', { mode: 0o600 });
    k = boot(t, dataDir, kioskId);
    expect(k.ring.current().keyId).toBe(2);
    expect(existsSync(path.join(dataDir, `${KEY_RING_FILE}.tmp`))).toBe(false);
    await k.close();
    writeFileSync(path.join(dataDir, KEY_RING_FILE), ring.replace('"current":2', '"current":7'));
    expect(() => boot(t, dataDir, kioskId)).toThrow(/not a usable key ring.*refused, not replaced/);
  });
});

const pg = postgresAvailability();
describe.skipIf(!pg.ok)(`key rotation of a running kiosk on PostgreSQL${pg.ok ? '' : ` — skipped: ${pg.reason}`}`, () => {
  let cluster: PgCluster;
  let a: PgBackOfficeServer;
  let b: PgBackOfficeServer;
  beforeAll(async () => {
    cluster = await startPgCluster({ settings: { fsync: 'off' } });
    const url = await cluster.createDatabase('rotate_test');
    a = await startPgBackOffice({ port: 0, database: url, clock, kiosks: {}, seedFixtures: false, poolSize: 4 });
    b = await startPgBackOffice({ port: 0, database: url, clock, kiosks: {}, seedFixtures: false, poolSize: 4 });
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    cluster?.destroy();
  });
  const pgTarget = (s: () => PgBackOfficeServer): Target => ({
    get url() {
      return s().url;
    },
    issue: async (k) => (await issueEnrollmentToken(a.store.keys, k, clock)).token,
    keyStates: async (k) => (await a.store.keys.kioskKeys(k)).map((x) => [x.keyId, x.state]),
  });

  it('records sealed before and after the rotation verify at restart and are all taken; forged key ids and the old key are refused (two instances)', async () => {
    const { dataDir, kioskId } = await rotationEndToEnd(pgTarget(() => a), 'NS-PGRK');
    // The other instance agrees: the old key is refused there too, and the journal as stored is whole.
    const original = readFileSync(path.join(dataDir, 'kiosk-secret'), 'utf8').trim();
    expect(await signedStatus(pgTarget(() => b), kioskId, original)).toBe(401);
    const stored = await a.store.db.query<{ n: string }>(`SELECT count(*) AS n FROM journal_records WHERE kiosk_id = $1`, [kioskId]);
    expect(Number(stored.rows[0]!.n)).toBe(6);
  }, 60_000);
});
