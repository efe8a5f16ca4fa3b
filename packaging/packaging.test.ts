/**
 * The packaging configuration, checked without building a package (fast; the install proof on a
 * fresh Debian root is scripts/package-check.sh): the appliance's units and Chromium policy lock
 * the kiosk down, the Electron package's fuses and file lists are the ones required, and the
 * production bundle of the Electron main process carries no reference back office, fixtures,
 * emulation keys or tester page.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs build modules (no declarations)
import { KIOSK_FUSES } from './electron/fuses.mjs';
// @ts-expect-error plain .mjs build modules (no declarations)
import { bundleMain } from './electron/bundle-main.mjs';
// @ts-expect-error plain .mjs build modules (no declarations)
import { excludedFromProduction } from './production-files.mjs';
import { FuseV1Options } from '@electron/fuses';
import { FIXTURE_CARDS } from '../contract/fixture-cards.js';
import { FIXTURE_TECHNICIANS } from '../contract/fixture-technicians.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const read = (...p: string[]) => readFileSync(path.join(here, ...p), 'utf8');

/** systemd unit: [Service] key -> every value given (keys may repeat). */
function unitValues(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

describe('the appliance (Debian package sources)', () => {
  const core = unitValues(read('systemd', 'ns-kiosk.service'));
  const display = unitValues(read('systemd', 'ns-kiosk-display.service'));

  it('runs the kiosk core as the unprivileged ns-kiosk user under systemd sandboxing, writable only in /var/lib/ns-kiosk', () => {
    expect(core.get('User')).toEqual(['ns-kiosk']);
    expect(core.get('ProtectSystem')).toEqual(['strict']);
    expect(core.get('PrivateTmp')).toEqual(['yes']);
    expect(core.get('NoNewPrivileges')).toEqual(['yes']);
    expect(core.get('ProtectHome')).toEqual(['yes']);
    expect(core.get('CapabilityBoundingSet')).toEqual(['']);
    expect(core.get('ReadWritePaths')).toEqual(['/var/lib/ns-kiosk']);
    expect(core.get('StateDirectory')).toEqual(['ns-kiosk']);
    expect(core.get('DevicePolicy')).toEqual(['closed']);
    expect(core.get('StandardOutput')).toEqual(['journal']);
    expect(core.get('StandardError')).toEqual(['journal']);
  });

  it('runs the compiled kiosk on its own Node under /opt, the configuration in /etc checked first (exit 2 is not restarted)', () => {
    expect(core.get('ExecStart')).toEqual(['/opt/ns-kiosk/node/bin/node --max-semi-space-size=4 /opt/ns-kiosk/app/dist/main/start.js']);
    expect(core.get('ExecStartPre')).toEqual(['/opt/ns-kiosk/node/bin/node /opt/ns-kiosk/app/bin/check-config.mjs']);
    expect(core.get('Environment')).toContain('KIOSK_CONFIG=/etc/ns-kiosk/config.json');
    expect(core.get('RestartPreventExitStatus')).toEqual(['2']);
  });

  it('shows the kiosk with cage and Chromium as another unprivileged user, Chromium never without its sandbox', () => {
    expect(display.get('User')).toEqual(['ns-kiosk-display']);
    expect(display.get('ExecStart')?.[0]).toMatch(/^\/usr\/bin\/cage .*-- \/usr\/lib\/ns-kiosk\/kiosk-browser$/);
    expect(display.get('NoNewPrivileges')).toEqual(['yes']);
    expect(read('bin', 'kiosk-browser')).toMatch(/exec \/usr\/bin\/chromium \\\n\s+--kiosk/);
    for (const f of filesUnder(here).filter((f) => !f.endsWith('.test.ts') && !f.endsWith('.md') && !f.startsWith('test/')))
      expect(readFileSync(path.join(here, f), 'utf8'), f).not.toMatch(/^[^#/]*--no-sandbox/m);
  });

  it("allows Chromium only the kiosk's own origin, and no DevTools, printing or downloads", () => {
    const policy = JSON.parse(read('chromium', 'ns-kiosk.json')) as Record<string, unknown>;
    const config = JSON.parse(read('etc', 'config.json')) as { host: { host: string; port: number } };
    const origin = `http://${config.host.host}:${config.host.port}`;
    expect(policy['URLBlocklist']).toEqual(['*']);
    expect(policy['URLAllowlist']).toEqual([origin]);
    expect(read('bin', 'kiosk-browser')).toContain(`NS_KIOSK_URL:-${origin}/`);
    expect(policy['DeveloperToolsAvailability']).toBe(2);
    expect(policy['RemoteDebuggingAllowed']).toBe(false);
    expect(policy['PrintingEnabled']).toBe(false);
    expect(policy['DownloadRestrictions']).toBe(3);
  });

  it('ships a configuration that cannot run until an operator completes it (real hardware, remote back office, no tester)', () => {
    const config = JSON.parse(read('etc', 'config.json')) as Record<string, any>;
    expect(config['tester']).toBe(false);
    expect(config['hardware']).toMatchObject({ mode: 'real', card: { keyFile: '/etc/ns-kiosk/card-keys.json' } });
    expect(config['backOffice']).toEqual({ mode: 'remote' });
    expect(config['dataDir']).toBe('/var/lib/ns-kiosk');
  });

  it('gives ns-kiosk the payment terminal (udev) and PC/SC (polkit), and keeps data on remove, deleting it on purge only', () => {
    expect(read('udev', '60-ns-kiosk.rules')).toMatch(/SUBSYSTEM=="tty".*GROUP="ns-kiosk", MODE="0660"/);
    expect(read('polkit', '60-ns-kiosk-pcscd.rules')).toMatch(/org\.debian\.pcsc-lite\.access_pcsc[\s\S]*subject\.user == "ns-kiosk"/);
    const postrm = read('debian', 'postrm');
    const purgeBlock = postrm.slice(postrm.indexOf('if [ "$1" = "purge" ]'));
    expect(purgeBlock).toContain('rm -rf /var/lib/ns-kiosk');
    expect(postrm.slice(0, postrm.indexOf('if [ "$1" = "purge" ]'))).not.toContain('rm ');
  });
});

describe('the Electron package', () => {
  it('flips the required fuses: RunAsNode, NODE_OPTIONS and --inspect off; asar integrity, asar only and cookie encryption on', () => {
    expect(KIOSK_FUSES[FuseV1Options.RunAsNode]).toBe(false);
    expect(KIOSK_FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(KIOSK_FUSES[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(KIOSK_FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(KIOSK_FUSES[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(KIOSK_FUSES[FuseV1Options.EnableCookieEncryption]).toBe(true);
  });

  it('packs only the staged production app, in an asar, with the fuses hook and no rebuild of the repository node_modules', () => {
    const cfg = parseYaml(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, any>;
    expect(cfg['directories'].app).toBe('build/electron-app');
    expect(cfg['asar']).toBe(true);
    expect(cfg['npmRebuild']).toBe(false);
    expect(cfg['afterPack']).toBe('packaging/electron/after-pack.mjs');
    expect(statSync(path.join(root, cfg['afterPack'])).isFile()).toBe(true);
    expect(cfg['linux'].target).toEqual(['AppImage', 'deb']);
    for (const excluded of ['!dist/renderer/tester.html', '!**/fixtures/**', '!**/emulation-keys.json', '!**/backoffice/**', '!**/*.map'])
      expect(cfg['files']).toContain(excluded);
  });

  it('leaves the tester page, emulation keys and source maps out of every production tree', () => {
    expect(excludedFromProduction('dist/renderer/tester.html')).toBe(true);
    expect(excludedFromProduction('dist/renderer/assets/tester-BhQmC99h.js')).toBe(true);
    expect(excludedFromProduction('dist/hardware/card/keys/emulation-keys.json')).toBe(true);
    expect(excludedFromProduction('dist/main/start.js.map')).toBe(true);
    expect(excludedFromProduction('dist/.node-compile-cache/v24.18.1-x64-cf738c9d-0/01cb0e01')).toBe(true);
    expect(excludedFromProduction('dist/renderer/index.html')).toBe(false);
    expect(excludedFromProduction('dist/renderer/assets/kiosk-Cxqtt15j.js')).toBe(false);
  });

  it('bundles the main process without the reference back office, card fixtures, emulators or tester API', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-bundle-'));
    try {
      const out = path.join(dir, 'main.js');
      const swapped: string[] = await bundleMain(root, out);
      expect(swapped.sort()).toEqual([
        'backoffice/server.ts',
        'contract/fixture-technicians.ts',
        'hardware/card/emulated-reader.ts',
        'hardware/card/fixtures.ts',
        'hardware/card/wire/wire-emulator.ts',
      ]);
      const code = readFileSync(out, 'utf8');
      for (const t of Object.values(FIXTURE_TECHNICIANS)) expect(code).not.toContain(`'${t.technicianId}'`);
      for (const card of Object.values(FIXTURE_CARDS)) expect(code).not.toContain(card.cardNumber);
      expect(code).not.toContain('CREATE TABLE orders'); // the back office's store
      expect(code).not.toContain("'/tester/"); // the tester API routes (browser host)
      expect(code).not.toContain('tester.html');
      expect(code).toContain('the reference back office is not part of the production package');
      expect(code).toMatch(/from "electron"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
