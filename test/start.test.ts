/**
 * `npm start` as a user runs it, minus the browser window: the start script builds the renderer
 * if needed, starts the browser host on emulated hardware with no configuration, prints where it
 * runs, serves the start screen's page and the bridge, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import WebSocket from 'ws';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

it('npm start (browser host, no configuration) serves the kiosk and stops cleanly', { timeout: 120_000 }, async () => {
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
  } finally {
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));
    rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
  }
});
