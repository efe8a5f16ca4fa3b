/**
 * Issue 12, window 7: in real mode the kiosk's credit wait is checked against the configured
 * terminal profile (what the real terminal does), never against the emulators' commitWindowMs.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-terminal-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = path.join(dir, 'operator-keys.json');
writeFileSync(keyFile, JSON.stringify({ format: 'ns-kiosk-card-keys/1', default: { a: '0123456789AB', b: 'BA9876543210' } }));
const caFile = path.join(dir, 'ca.pem');
writeFileSync(caFile, 'pem');
const operatorKey = path.join(dir, 'operator-ed25519.pem');
writeFileSync(operatorKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));

const real = (payment: Record<string, unknown>, creditWaitMs = 90_000) => ({
  hardware: { mode: 'real', card: { keyFile }, payment: { serialPath: '/dev/ttyUSB0', ...payment } },
  backOffice: { mode: 'remote', url: 'https://backoffice.ns.example', caFile },
  tester: false,
  maintenance: { operatorPublicKeyFile: operatorKey },
  timing: { creditWaitMs },
});

describe('the commit window in real mode comes from the terminal profile', () => {
  it('refuses a credit wait longer than the real terminal keeps a payment open, whatever the emulator setting says', () => {
    expect(() => parseConfig(real({ commitWindowMs: 600_000, terminalProfile: { commitWindowMs: 60_000 } }))).toThrow(
      /creditWaitMs \(90000\) must be below hardware\.payment\.terminalProfile\.commitWindowMs \(60000\)/,
    );
  });

  it('accepts a credit wait inside the profile window even when the emulator setting is shorter (it does not apply to a real terminal)', () => {
    const c = parseConfig(real({ commitWindowMs: 1_000, terminalProfile: { flow: 'commit-point', commitWindowMs: 180_000 } }));
    expect(c.hardware.payment.terminalProfile).toEqual({ flow: 'commit-point', commitWindowMs: 180_000 });
  });

  it('emulated and wire terminals keep using their own window (the emulator is the terminal there)', () => {
    expect(() => parseConfig({ hardware: { mode: 'emulated', payment: { commitWindowMs: 60_000, terminalProfile: { commitWindowMs: 600_000 } } } })).toThrow(
      /must be below hardware\.payment\.commitWindowMs \(60000\)/,
    );
  });
});
