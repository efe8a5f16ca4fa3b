/**
 * Issue 11 finding 5: per-purpose keys and the data directory's file modes.
 * - A key for one purpose is useless for another, and none is the secret itself.
 * - After every start the data directory is 0700 and every file in it 0600, even if someone
 *   loosened them in between; a directory or secret someone else planted is refused.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { cardRef, deriveKey, deriveKioskKeys, KEY_PURPOSES } from '../../contract/record-crypto.js';
import { signRequest, signResponse } from '../../contract/request-signing.js';
import { createKiosk } from '../../main/composition.js';
import { parseConfig } from '../../main/config.js';

const SECRET = 'keys-test-kiosk-secret-0123456789abcdef';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'kiosk-attack-keys-'));
  dirs.push(d);
  return d;
};

describe('per-purpose keys derived from the kiosk secret (HKDF-SHA256)', () => {
  it('every purpose has its own key, none equal to the secret', () => {
    const keys = deriveKioskKeys(SECRET);
    const raw = KEY_PURPOSES.map((p) => keys[p].export().toString('hex'));
    expect(new Set(raw).size).toBe(KEY_PURPOSES.length);
    expect(raw).not.toContain(Buffer.from(SECRET).toString('hex'));
    expect(deriveKey(SECRET, 'card').export().toString('hex')).toBe(raw[KEY_PURPOSES.indexOf('card')]);
  });

  it('a card hash cannot be recomputed with the bare secret (the old scheme) or another purpose key', () => {
    const n = '3528010000000017';
    const { hash } = cardRef(n, SECRET);
    expect(hash).not.toBe(createHmac('sha256', SECRET).update(`ns-kiosk/card/v1\n${n}`).digest('hex'));
    for (const p of ['record', 'request', 'response'] as const)
      expect(hash).not.toBe(createHmac('sha256', deriveKey(SECRET, p)).update(`ns-kiosk/card/v1\n${n}`).digest('hex'));
  });

  it('a request signature is not a valid response signature for the same bytes', () => {
    const at = new Date('2026-11-30T12:00:00Z');
    const req = signRequest({ kioskId: 'K', secret: SECRET, method: 'POST', pathWithQuery: '/v1/x', body: '{}', at });
    expect(signResponse({ secret: SECRET, requestSignature: req['x-kiosk-signature']!, status: 200, body: '{}' })).not.toBe(req['x-kiosk-signature']);
  });
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('file modes are enforced at every start', () => {
  it('a world-readable data directory and journal are tightened to 0700/0600, and every file in it is 0600', async () => {
    const dataDir = path.join(tmp(), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(path.join(dataDir, 'left-by-a-technician.txt'), 'x', { mode: 0o644 });
    const config = parseConfig({ dataDir, logLevel: 'silent', backOffice: { engine: 'sqlite' } });
    const kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
    await kiosk.start();
    await kiosk.stop();
    // Someone loosens everything between two starts.
    chmodSync(dataDir, 0o777);
    for (const f of readdirSync(dataDir)) chmodSync(path.join(dataDir, f), 0o666);
    const again = await createKiosk(config, { logger: pino({ level: 'silent' }) });
    await again.start();
    expect(mode(dataDir)).toBe(0o700);
    const files = readdirSync(dataDir);
    expect(files).toEqual(expect.arrayContaining(['kiosk-secret', 'journal.sqlite', 'backoffice.sqlite']));
    for (const f of files) expect([f, mode(path.join(dataDir, f))]).toEqual([f, 0o600]);
    await again.stop();
  });

  it('a kiosk secret planted as a symlink is refused, nothing is read through it', async () => {
    const root = tmp();
    const dataDir = path.join(root, 'data');
    mkdirSync(dataDir);
    writeFileSync(path.join(root, 'attacker-secret'), 'a'.repeat(40));
    symlinkSync(path.join(root, 'attacker-secret'), path.join(dataDir, 'kiosk-secret'));
    await expect(createKiosk(parseConfig({ dataDir, logLevel: 'silent', backOffice: { engine: 'sqlite' } }), { logger: pino({ level: 'silent' }) })).rejects.toThrow(/kiosk-secret is a symlink: refused/);
  });
});
