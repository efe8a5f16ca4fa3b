/**
 * `npm start` as a user runs it, minus the browser window: the start script builds the renderer
 * if needed, starts the browser host on emulated hardware with no configuration, prints where it
 * runs, serves the start screen's page and the bridge, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import WebSocket from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

it('npm start (browser host, no configuration) serves the kiosk, its embedded PGlite back office opens behind it, and it stops cleanly', { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-start-'));
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs'), '--browser', '--no-open'], {
    cwd: root,
    env: { ...process.env, KIOSK_PORT: '0', KIOSK_DATA_DIR: dataDir, KIOSK_LOG_LEVEL: 'warn', DISPLAY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const m = /kiosk running at (http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`start exited (${code}): ${stderr}`)));
    });
    const page = await fetch(url + '/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const snapshot = await new Promise<{ screen: string }>((resolve, reject) => {
      // The page carries the per-boot token (a cookie) the bridge asks for, as in the kiosk's browser.
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
      const ws = new WebSocket(url.replace('http', 'ws') + '/bridge', { headers: { origin: url, cookie } });
      ws.once('message', (d) => {
        ws.close();
        resolve((JSON.parse(String(d)) as { snapshot: { screen: string } }).snapshot);
      });
      ws.once('error', reject);
    });
    expect(snapshot.screen).toBe('start');
    // Its back office: PGlite, started in the background as a child process of the compiled host
    // (main/composition.ts): the kiosk offers order collection once it has opened.
    let offered = false;
    for (const t0 = Date.now(); !offered && Date.now() - t0 < 90_000; ) {
      const h = (await (await fetch(url + '/health')).json()) as { health?: { availability: { collectOrders: string | null }; parts: { backOffice: { ok: boolean } } } };
      offered = h.health?.availability.collectOrders === null && h.health.parts.backOffice.ok;
      if (!offered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(offered, 'the embedded PGlite back office opened and the kiosk counts it reachable').toBe(true);
  } finally {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
    rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
  }
});

/** Runs `scripts/start.mjs` until it prints its address; returns what it printed and a stop. */
async function startOnce(): Promise<{ url: string; out: string[]; stop: () => Promise<number | null> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-start-'));
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs'), '--browser', '--no-open'], {
    cwd: root,
    env: { ...process.env, KIOSK_PORT: '0', KIOSK_DATA_DIR: dataDir, KIOSK_LOG_LEVEL: 'warn', DISPLAY: '', KIOSK_HOST_FROM_SOURCE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      out.push(line);
      const m = /kiosk running at (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`start exited (${code}): ${out.join('\n')}`)));
  });
  return {
    url,
    out,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

it('npm start runs the compiled host, rebuilt when a source is newer, and says its build on /health', { timeout: 180_000 }, async () => {
  const bundle = path.join(root, 'dist', 'host', 'start.mjs');
  const first = await startOnce();
  expect(await first.stop()).toBe(0);
  // A build older than its sources (as after an edit): the next start rebuilds before it runs.
  // (The bundle is dated back rather than a source forward: a future-dated source would make
  // every start within that future rebuild.)
  const longAgo = new Date('2001-01-01T00:00:00Z');
  utimesSync(bundle, longAgo, longAgo);
  {
    const second = await startOnce();
    try {
      expect(second.out.join('\n')).toContain('kiosk sources changed: rebuilding the kiosk host');
      expect(statSync(bundle).mtimeMs).toBeGreaterThan(longAgo.getTime());
      const health = (await (await fetch(second.url + '/health')).json()) as { version: string; build: string; builtAt: string | null };
      const info = JSON.parse(readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8')) as { build: string; commit: string | null };
      // Compiled: the build written at build time (from source, builtAt would be null).
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      expect(health).toMatchObject({ version: pkg.version, build: info.build });
      expect(health.builtAt).not.toBeNull();
      expect(health.build).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    // Nothing newer now: no rebuild.
    const third = await startOnce();
    expect(third.out.join('\n')).not.toContain('rebuilding');
    expect(await third.stop()).toBe(0);
  }
});
