/**
 * Enrollment (issue 11 finding 5): a one-time token turns a new kiosk into a known one; the kiosk
 * side (main/backoffice-client/enrollment.ts) against the back-office half of the contract
 * (contract/enrollment.ts), served here over TLS with a run-time PKI. The back-office endpoint
 * itself is left to the back office's PostgreSQL move (docs/security.md): this server is the
 * contract's reference half, not a stub of the kiosk. Attacks: a reused token, a wrong token,
 * a forged answer — each leaves nothing stored.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEnrollmentProof, EnrollRequest, enrolledSecret, enrollmentConfirmation, x25519Pair } from '../../contract/enrollment.js';
import { enrollKiosk } from '../../main/backoffice-client/enrollment.js';
import { makeTestPki, type Pki } from '../support/test-pki.js';

let pki: Pki;
let dir: string;
let server: Server;
let url: string;
let forge = false;
/** Back-office state: sha256(token) -> { kioskId, used }, and the secrets it agreed. */
const tokens = new Map<string, { kioskId: string; used: boolean; token: string }>();
const agreed = new Map<string, string>();

beforeAll(async () => {
  pki = makeTestPki();
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-enroll-'));
  server = createServer(pki.server, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const parsed = EnrollRequest.safeParse(JSON.parse(body));
      const entry = parsed.success ? [...tokens.values()].find((t) => t.kioskId === parsed.data.kioskId && !t.used && checkEnrollmentProof(t.token, parsed.data)) : undefined;
      if (!parsed.success || !entry) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized","message":"unknown or used token"}');
      entry.used = true;
      const pair = x25519Pair();
      const keyId = 1;
      const secret = enrolledSecret({ own: pair.privateKey, peerPublicKey: parsed.data.kioskPublicKey, salt: entry.token, kioskId: entry.kioskId, keyId });
      agreed.set(entry.kioskId, secret);
      const confirmation = forge ? 'ab'.repeat(32) : enrollmentConfirmation(secret, entry.kioskId, keyId, pair.publicKey);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keyId, serverPublicKey: pair.publicKey, confirmation }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});

function issue(kioskId: string): string {
  const token = `tok-${kioskId}-${Math.random().toString(36).slice(2)}-0123456789`;
  tokens.set(createHash('sha256').update(token).digest('hex'), { kioskId, used: false, token });
  return token;
}

describe('enrollment with a one-time token', () => {
  it('a new kiosk and the back office agree the same secret without sending it; it is stored 0600', async () => {
    const token = issue('NS-NEW-01');
    const secretFile = path.join(dir, 'secret-1');
    expect(await enrollKiosk({ baseUrl: url, caPem: pki.caPem, kioskId: 'NS-NEW-01', token, secretFile })).toEqual({ keyId: 1 });
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(agreed.get('NS-NEW-01'));
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
  });

  it('attack: the token used a second time is refused, nothing stored', async () => {
    const token = issue('NS-NEW-02');
    await enrollKiosk({ baseUrl: url, caPem: pki.caPem, kioskId: 'NS-NEW-02', token, secretFile: path.join(dir, 'secret-2') });
    const again = path.join(dir, 'secret-2b');
    await expect(enrollKiosk({ baseUrl: url, caPem: pki.caPem, kioskId: 'NS-NEW-02', token, secretFile: again })).rejects.toThrow(/enrollment refused \(HTTP 401\)/);
    expect(existsSync(again)).toBe(false);
  });

  it("attack: another kiosk's token, or a guessed one, is refused", async () => {
    const token = issue('NS-NEW-03');
    const f = path.join(dir, 'secret-3');
    await expect(enrollKiosk({ baseUrl: url, caPem: pki.caPem, kioskId: 'NS-OTHER-09', token, secretFile: f })).rejects.toThrow(/HTTP 401/);
    await expect(enrollKiosk({ baseUrl: url, caPem: pki.caPem, kioskId: 'NS-NEW-03', token: 'guessed-token-0123456789', secretFile: f })).rejects.toThrow(/HTTP 401/);
    expect(existsSync(f)).toBe(false);
  });

  it('attack: an answer without the right confirmation (not from the token holder) stores nothing', async () => {
    forge = true;
    const f = path.join(dir, 'secret-4');
    try {
      await expect(enrollKiosk({ baseUrl: url, caPem: pki.caPem, kioskId: 'NS-NEW-04', token: issue('NS-NEW-04'), secretFile: f })).rejects.toThrow(/not confirmed/);
    } finally {
      forge = false;
    }
    expect(existsSync(f)).toBe(false);
  });

  it('attack: a server outside the operator CA never sees the request', async () => {
    const f = path.join(dir, 'secret-5');
    await expect(enrollKiosk({ baseUrl: url, caPem: pki.rogueCaPem, kioskId: 'NS-NEW-05', token: issue('NS-NEW-05'), secretFile: f })).rejects.toThrow(/not reachable/);
    expect(existsSync(f)).toBe(false);
  });
});
