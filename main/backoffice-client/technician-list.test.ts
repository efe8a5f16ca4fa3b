/**
 * The kiosk's technician-list sync and heartbeat schedules on simulated time (issue 13): at start
 * and every interval, a failure reported and tried again at the next tick with the last good list
 * kept, nothing overlapping, stopped for good by the stop function. The real back office, the
 * signatures and tampering are proved in test/attacks/technicians-fleet.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HeartbeatDto, TechnicianListDto } from '../../contract/backoffice-api.js';
import { simulatedTime } from '../../contract/time.js';
import { technicianListSchema } from '../maintenance/technician-access.js';
import { createHeartbeat, heartbeatOf } from './heartbeat.js';
import { HeartbeatRequest } from '../../contract/backoffice-api.js';
import type { HealthReport } from '../../contract/health.js';
import { createTechnicianListSync } from './technician-list.js';

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const list = (version: number, revoked = false): TechnicianListDto => ({ version, technicians: [{ technicianId: 'T-0001', pinHash: HASH, revoked }] });
const flush = () => new Promise((r) => setImmediate(r));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'kiosk-techlist-'));
  dirs.push(d);
  return d;
};

describe('technician list sync', () => {
  it('syncs at start and every interval, keeps the last good list through failures, and dates it', async () => {
    const time = simulatedTime('2026-11-30T08:00:00Z');
    const answers: (TechnicianListDto | Error)[] = [list(3), new Error('back office not reachable'), list(4, true)];
    let calls = 0;
    const cachePath = path.join(tmp(), 'technicians.json');
    const sync = createTechnicianListSync({
      kioskId: 'K1',
      fetch: async () => {
        const a = answers[calls++] ?? list(4, true);
        if (a instanceof Error) throw a;
        return a;
      },
      cachePath,
      clock: time,
      time,
    });
    expect(sync.current()).toBeUndefined();
    const stop = sync.start(60_000);
    await flush();
    expect(calls).toBe(1);
    expect(sync.current()?.version).toBe(3);
    expect(technicianListSchema.safeParse(sync.current()).success).toBe(true);
    expect(statSync(cachePath).mode & 0o777).toBe(0o600);

    time.advance(60_000);
    await flush();
    expect(calls).toBe(2);
    expect(sync.current()?.version).toBe(3); // the failure keeps the last good list
    expect(sync.status()).toMatchObject({ version: 3, ageMs: 60_000, lastError: 'back office not reachable' });

    time.advance(60_000);
    await flush();
    expect(calls).toBe(3);
    expect(sync.status()).toMatchObject({ version: 4, ageMs: 0 });
    expect(sync.status().lastError).toBeUndefined();
    expect(sync.current()!.technicians[0]!.revoked).toBe(true);
    // What is on disk is what a restart holds.
    expect(createTechnicianListSync({ kioskId: 'K1', fetch: async () => list(9), cachePath, clock: time }).current()).toEqual(list(4, true));
    expect(JSON.parse(readFileSync(cachePath, 'utf8')).fetchedAt).toBe('2026-11-30T08:02:00.000Z');

    stop();
    time.advance(600_000);
    await flush();
    expect(calls).toBe(3);
    expect(time.pending()).toBe(0);
  });

  it('refuses an answer outside the contract even from a client that did not check it', async () => {
    const time = simulatedTime();
    const sync = createTechnicianListSync({
      kioskId: 'K1',
      fetch: async () => ({ version: 1, technicians: [{ technicianId: 'T-0001', pinHash: 'plain-1234', revoked: false }] }) as TechnicianListDto,
      cachePath: path.join(tmp(), 'technicians.json'),
      clock: time,
      time,
    });
    await expect(sync.refresh()).rejects.toThrow();
    expect(sync.current()).toBeUndefined();
  });
});

describe('heartbeat', () => {
  it('sends at start and every interval, validated first; a failure waits for the next tick; stop ends it', async () => {
    const time = simulatedTime('2026-11-30T08:00:00Z');
    const sent: HeartbeatDto[] = [];
    let fail = false;
    let bad = false;
    const hb = createHeartbeat({
      send: async (h) => {
        if (fail) throw new Error('offline');
        sent.push(h);
      },
      collect: () => ({
        at: time.now().toISOString(),
        availability: { outOfService: [], topUp: null, collectOrders: null },
        parts: {},
        backlog: { pending: bad ? -1 : 0, oldestPendingAt: null, lastSeq: 0, lastDeliveryAt: null },
        versions: { software: '0.1.0', build: 'dev', blockedList: 0, technicianList: null, technicianListAgeMs: null },
        uptimeMs: 0,
      }),
      clock: time,
      time,
    });
    const stop = hb.start(30_000);
    await flush();
    expect(sent).toHaveLength(1);
    fail = true;
    time.advance(30_000);
    await flush();
    expect(sent).toHaveLength(1);
    expect(hb.status().lastError).toBe('offline');
    fail = false;
    bad = true; // never sent: the back office would refuse it
    time.advance(30_000);
    await flush();
    expect(sent).toHaveLength(1);
    bad = false;
    time.advance(30_000);
    await flush();
    expect(sent.map((h) => h.at)).toEqual(['2026-11-30T08:00:00.000Z', '2026-11-30T08:01:30.000Z']);
    stop();
    time.advance(300_000);
    await flush();
    expect(sent).toHaveLength(2);
  });
});

describe('heartbeatOf', () => {
  it('carries availability, each part as ok + short detail only, the backlog with its oldest record, versions and uptime', () => {
    const since = '2026-11-30T07:00:00.000Z';
    const health: HealthReport = {
      availability: { outOfService: ['card-reader'], topUp: 'payment-terminal', collectOrders: null },
      parts: {
        cardReader: { ok: false, since, detail: 'x'.repeat(500), readerName: 'ACS ACR122U' },
        paymentTerminal: { ok: false, since, state: 'offline' },
        journal: { ok: true, since, writable: true, chainOk: true, freeBytes: 123 },
        backOffice: { ok: true, since, lastContact: since },
        blockedList: { ok: true, since, version: 4, ageMs: 10 },
      },
      testerFaults: ['card-reader'],
    };
    const hb = heartbeatOf({
      now: new Date('2026-11-30T08:00:00Z'),
      startedAt: new Date('2026-11-30T07:59:00Z'),
      health,
      journal: { pending: 3, lastSeq: 41, oldestPendingAt: '2026-11-30T07:30:00.000Z' },
      version: { version: '0.1.0', build: 'abcdef012345' },
      blockedListVersion: 4,
      technicianList: { version: 7, ageMs: 5000 },
    });
    expect(HeartbeatRequest.safeParse(hb).success).toBe(true);
    expect(hb.parts.cardReader).toEqual({ ok: false, detail: 'x'.repeat(200) });
    expect(JSON.stringify(hb)).not.toContain('ACR122U');
    expect(hb.backlog).toEqual({ pending: 3, oldestPendingAt: '2026-11-30T07:30:00.000Z', lastSeq: 41, lastDeliveryAt: null });
    expect(hb.versions).toEqual({ software: '0.1.0', build: 'abcdef012345', blockedList: 4, technicianList: 7, technicianListAgeMs: 5000 });
    expect(hb.uptimeMs).toBe(60_000);
  });
});
