import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'kiosk-config-'));
  dirs.push(d);
  return d;
};

describe('configuration', () => {
  it('needs nothing: emulated hardware, local back office, .kiosk-data under the working directory', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/kiosk' });
    expect(c.hardware.mode).toBe('emulated');
    expect(c.hardware.card.mode).toBe('emulated');
    expect(c.hardware.payment.mode).toBe('emulated');
    expect(c.backOffice.mode).toBe('local');
    expect(c.dataDir).toBe('/srv/kiosk/.kiosk-data');
    expect(c.host.rendererDir).toBe('/srv/kiosk/dist/renderer');
    expect(c.topUp).toEqual({ amountsCents: [500, 1000, 2000, 5000], maxBalanceCents: 15_000, cardKinds: ['personal', 'anonymous'] });
    expect(c.timing.creditWaitMs).toBeLessThan(c.hardware.payment.commitWindowMs);
  });

  it('takes a JSON file from KIOSK_CONFIG and lets environment variables win over it', () => {
    const d = tmp();
    const file = path.join(d, 'kiosk.json');
    writeFileSync(file, JSON.stringify({ kioskId: 'UT-01', host: { port: 9000 }, timing: { inactivityMs: 30_000 }, topUp: { cardKinds: ['personal'] } }));
    const c = loadConfig({ env: { KIOSK_CONFIG: file, KIOSK_PORT: '9100', KIOSK_INACTIVITY_MS: '5000', KIOSK_HARDWARE: 'emulated' }, cwd: d });
    expect(c.kioskId).toBe('UT-01');
    expect(c.host.port).toBe(9100);
    expect(c.timing.inactivityMs).toBe(5000);
    expect(c.topUp.cardKinds).toEqual(['personal']);
  });

  it('KIOSK_HARDWARE sets both devices, a device may override it', () => {
    const c = parseConfig({ hardware: { mode: 'wire', payment: { mode: 'emulated' } } });
    expect(c.hardware.card.mode).toBe('wire');
    expect(c.hardware.payment.mode).toBe('emulated');
  });

  it('KIOSK_BACKOFFICE_URL switches to a remote back office', () => {
    const c = loadConfig({ env: { KIOSK_BACKOFFICE_URL: 'http://127.0.0.1:8787' }, cwd: '/' });
    expect(c.backOffice).toMatchObject({ mode: 'remote', url: 'http://127.0.0.1:8787' });
  });

  it.each([
    [{ KIOSK_PORT: 'eighty' }, /KIOSK_PORT="eighty" is not a whole number/],
    [{ KIOSK_HARDWARE: 'magic' }, /hardware\.mode/],
    [{ KIOSK_TESTER: 'maybe' }, /KIOSK_TESTER/],
    [{ KIOSK_TERMINAL_BEHAVIOUR: 'explode' }, /hardware\.payment\.behaviour/],
  ])('refuses bad environment values with a clear message (%o)', (env, message) => {
    expect(() => loadConfig({ env, cwd: '/' })).toThrow(ConfigError);
    expect(() => loadConfig({ env, cwd: '/' })).toThrow(message);
  });

  it('refuses a file that is not JSON, or not there, saying which file', () => {
    const d = tmp();
    const file = path.join(d, 'bad.json');
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ env: { KIOSK_CONFIG: file }, cwd: d })).toThrow(/bad\.json is not valid JSON/);
    expect(() => loadConfig({ env: { KIOSK_CONFIG: 'missing.json' }, cwd: d })).toThrow(/cannot read configuration file .*missing\.json/);
  });

  it('refuses settings that would lose money or make no sense', () => {
    expect(() => parseConfig({ timing: { creditWaitMs: 200_000 } })).toThrow(/creditWaitMs .* must be below hardware\.payment\.commitWindowMs/);
    expect(() => parseConfig({ topUp: { maxBalanceCents: 20_000 } })).toThrow(/topUp\.maxBalanceCents/);
    expect(() => parseConfig({ backOffice: { mode: 'remote' } })).toThrow(/backOffice\.url/);
    expect(() => parseConfig({ hardware: { mode: 'real' } })).toThrow(/serialPath/);
    expect(() => parseConfig({ timeZone: 'Mars/Olympus' })).toThrow(/time zone/);
    expect(() => parseConfig({ kioskId: 'has spaces' })).toThrow(/kioskId/);
  });
});
