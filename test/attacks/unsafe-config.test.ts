/**
 * Attack: configurations that would put emulators, the tester API or an unauthenticated back office
 * next to real devices and real money (issue 11 finding 3). Each must be refused before anything
 * starts, with a message naming the setting.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../main/config.js';
import { DEFAULT_EMULATION_KEY_FILE } from '../../hardware/card/index.js';
import { emulationOperatorPublicKey } from '../../hardware/card/technician-card.js';
import { generateKeyPairSync } from 'node:crypto';

const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-unsafe-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Operator keys: every key differs from the emulation keys. */
const operatorKeys = path.join(dir, 'operator-keys.json');
writeFileSync(operatorKeys, JSON.stringify({ format: 'ns-kiosk-card-keys/1', default: { a: '0123456789AB', b: 'BA9876543210' } }));
const copiedEmulationKeys = path.join(dir, 'innocent-name.json');
copyFileSync(DEFAULT_EMULATION_KEY_FILE, copiedEmulationKeys);
/** New legacy keys, but the emulation SAM secrets kept: every card would still be keyed and sealed with public secrets. */
const emulationSamKeys = path.join(dir, 'new-keys-old-sam.json');
writeFileSync(
  emulationSamKeys,
  JSON.stringify({ ...JSON.parse(readFileSync(DEFAULT_EMULATION_KEY_FILE, 'utf8')), default: { a: '0123456789AB', b: 'BA9876543210' }, sectors: {} }),
);
const caFile = path.join(dir, 'ca.pem');
writeFileSync(caFile, 'pem');
/** Issue 13: the operator's own technician-card key, and the shipped emulation one under another name. */
const operatorKey = path.join(dir, 'operator-ed25519.pem');
writeFileSync(operatorKey, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
const copiedEmulationOperatorKey = path.join(dir, 'operator-innocent.pem');
writeFileSync(copiedEmulationOperatorKey, emulationOperatorPublicKey().export({ type: 'spki', format: 'pem' }));

/** A configuration a real kiosk may run with. */
const safeReal = () => ({
  hardware: { mode: 'real', card: { keyFile: operatorKeys }, payment: { serialPath: '/dev/ttyUSB0' } },
  backOffice: { mode: 'remote', url: 'https://backoffice.ns.example', caFile },
  maintenance: { operatorPublicKeyFile: operatorKey },
  tester: false,
});

function refused(input: unknown, setting: RegExp): void {
  let err: unknown;
  try {
    parseConfig(input);
  } catch (e) {
    err = e;
  }
  expect(err, 'configuration was accepted').toBeInstanceOf(ConfigError);
  expect((err as Error).message).toMatch(setting);
}

describe('attack: unsafe configurations are refused, naming the setting', () => {
  it('accepts the safe real configuration (so the refusals below are about the one changed setting)', () => {
    const c = parseConfig(safeReal());
    expect(c.tester).toBe(false);
    expect(c.hardware.card.mode).toBe('real');
  });

  it('real mode with an emulated payment terminal (it approves everything: free top-ups)', () => {
    const c = safeReal();
    refused({ ...c, hardware: { ...c.hardware, payment: { mode: 'emulated' } } }, /hardware\.payment\.mode is 'emulated'/);
  });

  it('real mode with a wire (virtual) card reader', () => {
    const c = safeReal();
    refused({ ...c, hardware: { ...c.hardware, card: { mode: 'wire', keyFile: operatorKeys } } }, /hardware\.card\.mode is 'wire'/);
  });

  it('emulated mode with a real card reader and the tester API on', () => {
    refused(
      { hardware: { mode: 'emulated', card: { mode: 'real', keyFile: operatorKeys } }, tester: true, backOffice: safeReal().backOffice },
      /tester is on with a real device/,
    );
  });

  it('real mode with the tester on', () => {
    refused({ ...safeReal(), tester: true }, /tester is on with a real device/);
  });

  it('tester left unset never turns on next to a real device (the default is safe)', () => {
    const { tester: _unset, ...c } = safeReal();
    expect(parseConfig(c).tester).toBe(false);
    expect(parseConfig({ hardware: { mode: 'wire' }, backOffice: { mode: 'remote', url: 'http://127.0.0.1:1' } }).tester).toBe(false);
    expect(parseConfig({ hardware: { mode: 'wire' } }).tester).toBe(true); // virtual devices, in-process back office
    expect(parseConfig({}).tester).toBe(true); // fully emulated, in-process back office
  });

  it('real mode with the in-process back office', () => {
    refused({ ...safeReal(), backOffice: { mode: 'local' } }, /backOffice\.mode must be 'remote'/);
  });

  it('real mode with a plain-http back office, even on loopback', () => {
    refused({ ...safeReal(), backOffice: { mode: 'remote', url: 'http://127.0.0.1:8787' } }, /backOffice\.url must be https/);
  });

  it('plain http to another machine in any mode', () => {
    refused({ backOffice: { mode: 'remote', url: 'http://10.0.0.5:8787' } }, /backOffice\.url http:\/\/10\.0\.0\.5:8787 is plain http/);
  });

  it('https without the operator CA to pin', () => {
    refused({ ...safeReal(), backOffice: { mode: 'remote', url: 'https://backoffice.ns.example' } }, /backOffice\.caFile/);
  });

  it('a real card reader with the shipped emulation keys, by default, copied under another name, or only their SAM secrets kept', () => {
    const c = safeReal();
    refused({ ...c, hardware: { ...c.hardware, card: {} } }, /hardware\.card\.keyFile must name the operator's card keys/);
    refused({ ...c, hardware: { ...c.hardware, card: { keyFile: copiedEmulationKeys } } }, /innocent-name\.json holds emulation keys/);
    refused({ ...c, hardware: { ...c.hardware, card: { keyFile: emulationSamKeys } } }, /new-keys-old-sam\.json holds emulation keys/);
  });

  it('technician cards signed with the shipped emulation operator key: no operator key named, or the emulation key copied under another name', () => {
    const c = safeReal();
    refused({ ...c, maintenance: {} }, /maintenance\.operatorPublicKeyFile must name the operator's technician-card key/);
    refused({ ...c, maintenance: { operatorPublicKeyFile: copiedEmulationOperatorKey } }, /operator-innocent\.pem is the shipped emulation operator key/);
  });

  it('a non-loopback browser-host bind with the tester on', () => {
    refused({ host: { host: '0.0.0.0' }, tester: true }, /host\.host 0\.0\.0\.0 is not this machine/);
    expect(parseConfig({ host: { host: '0.0.0.0' }, tester: false }).host.host).toBe('0.0.0.0');
  });

  it('a top-up amount that is not payable (above the balance cap) or listed twice', () => {
    refused({ topUp: { amountsCents: [500, 500] } }, /topUp\.amountsCents: amounts must be different/);
    refused({ topUp: { amountsCents: [500], maxBalanceCents: 400 } }, /topUp\.amountsCents: 500 is above/);
  });

  it('the same refusals through the environment (KIOSK_HARDWARE=real with nothing else)', () => {
    expect(() => loadConfig({ env: { KIOSK_HARDWARE: 'real', KIOSK_PAYMENT_SERIAL: '/dev/ttyS0' }, cwd: dir })).toThrow(
      /unsafe configuration.*backOffice\.mode must be 'remote'.*hardware\.card\.keyFile/,
    );
  });
});
