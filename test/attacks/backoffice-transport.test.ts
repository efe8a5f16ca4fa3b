/**
 * Attacks on the kiosk <-> back office link (issue 11 finding 4): a rogue server, a certificate for
 * another name, plain http, and a tampering back office (or a proxy inside the operator's network
 * holding a valid certificate) answering the kiosk with added orders, a cleared blocked list,
 * replayed or unsigned answers. The kiosk must act on none of them. The PKI is made at run time
 * with openssl (test/support/test-pki.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackOffice, type BackOfficeServer } from '../../backoffice/server.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { HEADER_RESPONSE_SIGNATURE } from '../../contract/request-signing.js';
import { systemClock } from '../../contract/time.js';
import { BackOfficeTransportError, createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { BackOfficeUnavailableError } from '../../main/backoffice-client/types.js';
import { makeTestPki, type Pki } from '../support/test-pki.js';

const KIOSK = 'NS-UT-ATTACK-01';
const SECRET = 'attack-test-kiosk-secret-0123456789abcdef';
const ORDER_CARD = FIXTURE_CARDS['personal-kaartservicecode'].cardNumber;
const BLOCKED_CARD = FIXTURE_CARDS.blocked.cardNumber;

let pki: Pki;
let dir: string;
let bo: BackOfficeServer;
let n = 0;

beforeAll(async () => {
  pki = makeTestPki();
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-attack-tls-'));
  bo = await startBackOffice({ port: 0, dbPath: path.join(dir, 'bo.sqlite'), clock: systemClock, kiosks: { [KIOSK]: SECRET }, tls: pki.server });
});
afterAll(async () => {
  await bo.close();
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});

function client(baseUrl: string, caPem: string | undefined = pki.caPem) {
  return createHttpBackOfficeClient({
    baseUrl,
    ...(caPem !== undefined ? { caPem } : {}),
    kioskId: KIOSK,
    secret: SECRET,
    clock: systemClock,
    blockedCachePath: path.join(dir, `blocked-${++n}.json`),
    timeoutMs: 5000,
  });
}

/** An https server answering as `cert`; by default it relays to the real back office and lets `tamper` change the answer. */
async function fakeBackOffice(
  cert: { key: string; cert: string },
  tamper: (req: { method: string; url: string }, answer: { status: number; body: string; signature: string | null }) => { status: number; body: string; signature: string | null },
): Promise<{ url: string; server: Server }> {
  const upstream = new Agent({ connect: { ca: pki.caPem } });
  const server = createServer(cert, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
        const body = Buffer.concat(chunks);
        const r = await undiciFetch(bo.url + req.url, { method: req.method!, headers, ...(body.length ? { body } : {}), dispatcher: upstream });
        const answer = tamper({ method: req.method!, url: req.url! }, { status: r.status, body: await r.text(), signature: r.headers.get(HEADER_RESPONSE_SIGNATURE) });
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.signature ? { [HEADER_RESPONSE_SIGNATURE]: answer.signature } : {}) }).end(answer.body);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the genuine link works (so every refusal below is about the attack)', () => {
  it('https with the operator CA pinned: orders and the blocked list arrive', async () => {
    const c = client(bo.url);
    expect(bo.url.startsWith('https://')).toBe(true);
    expect((await c.pendingOrders(ORDER_CARD)).length).toBeGreaterThan(0);
    await c.refreshBlockedList();
    expect(c.isBlocked(BLOCKED_CARD)).toBe(true);
    await c.close();
  });
});

describe('attack: someone on the station network answers as the back office', () => {
  it('a server with a certificate from another CA is refused (the system trust store is not used)', async () => {
    const rogue = await fakeBackOffice(pki.rogue, (_q, a) => a);
    const c = client(rogue.url);
    await expect(c.pendingOrders(ORDER_CARD)).rejects.toThrow(/back office not reachable: .*(UNABLE_TO_VERIFY|self.signed|unable to get)/i);
    await c.close();
    rogue.server.close();
  });

  it("a certificate from the operator's CA but for another name is refused", async () => {
    const other = await fakeBackOffice(pki.wrongName, (_q, a) => a);
    const c = client(other.url);
    await expect(c.pendingOrders(ORDER_CARD)).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i);
    await c.close();
    other.server.close();
  });

  it('plain http to another machine, or https without a CA to pin, cannot even be configured', () => {
    expect(() => client('http://10.0.0.5:8787')).toThrow(BackOfficeTransportError);
    expect(() => client('http://10.0.0.5:8787')).toThrow(/plain http is allowed to this machine only/);
    expect(() => client(bo.url, '')).toThrow(/needs the operator CA/);
  });
});

describe('attack: a tampering back office with a valid certificate (insider, or a proxy in the operator network)', () => {
  it('an order added to a genuine answer is refused: the signature covers the body', async () => {
    const t = await fakeBackOffice(pki.server, (q, a) => {
      if (!q.url.includes('/orders/query')) return a;
      const body = JSON.parse(a.body) as { orders: unknown[] };
      body.orders.push({ ...(body.orders[0] as object), orderId: 'FORGED-1' });
      return { ...a, body: JSON.stringify(body) };
    });
    const c = client(t.url);
    const err = await c.pendingOrders(ORDER_CARD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackOfficeUnavailableError);
    expect((err as Error).message).toMatch(/not signed for this kiosk/);
    await c.close();
    t.server.close();
  });

  it('an unsigned "blocked list reset" does not clear the cached blocked list', async () => {
    let forge = false;
    const t = await fakeBackOffice(pki.server, (q, a) =>
      forge && q.url.includes('/blocked') ? { status: 200, body: JSON.stringify({ version: 1, changes: [], more: false, reset: true }), signature: null } : a,
    );
    const c = client(t.url);
    await c.refreshBlockedList();
    expect(c.isBlocked(BLOCKED_CARD)).toBe(true);
    forge = true;
    await expect(c.refreshBlockedList()).rejects.toThrow(/not signed for this kiosk/);
    expect(c.isBlocked(BLOCKED_CARD)).toBe(true);
    await c.close();
    t.server.close();
  });

  it('a genuine signed answer replayed to another request is refused (the signature is bound to the request)', async () => {
    let recorded: { status: number; body: string; signature: string | null } | undefined;
    const t = await fakeBackOffice(pki.server, (q, a) => {
      if (!q.url.includes('/orders/query')) return a;
      if (!recorded) return (recorded = a);
      return recorded;
    });
    const c = client(t.url);
    expect((await c.pendingOrders(ORDER_CARD)).length).toBeGreaterThan(0);
    await expect(c.pendingOrders(FIXTURE_CARDS.anonymous.cardNumber)).rejects.toThrow(/not signed for this kiosk/);
    await c.close();
    t.server.close();
  });

  it('an unsigned refusal (e.g. "already collected") is not taken as the back office word', async () => {
    const t = await fakeBackOffice(pki.server, (q, a) =>
      q.url.includes('/collect') ? { status: 409, body: JSON.stringify({ error: 'already-collected', message: 'forged' }), signature: null } : a,
    );
    const c = client(t.url);
    const err = await c.markCollected('ORDER-X', ORDER_CARD, 'op-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackOfficeUnavailableError);
    await c.close();
    t.server.close();
  });

  it('a signature made with another kiosk key is refused', async () => {
    const t = await fakeBackOffice(pki.server, (_q, a) => ({ ...a, signature: 'ab'.repeat(32) }));
    const c = client(t.url);
    await expect(c.pendingOrders(ORDER_CARD)).rejects.toThrow(/not signed for this kiosk/);
    await c.close();
    t.server.close();
  });
});
