/**
 * End-to-end tests at the kiosk's two real sizes: `portrait` (1080×1920, how the kiosk stands; every
 * spec) and `landscape` (1920×1080; the screen gallery, which photographs and checks every screen in
 * every language). The browser host (A1's main/start.ts, the same core `npm start` runs) on
 * emulated hardware, driven in Debian's Chromium (never a downloaded browser). One worker: the
 * tests share one kiosk, and each starts by resetting it through the tester API.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const root = path.dirname(fileURLToPath(import.meta.url));
export const E2E_PORT = Number(process.env['KIOSK_E2E_PORT'] ?? 18765);
const baseURL = `http://127.0.0.1:${E2E_PORT}`;

/** Flags from runtime.md: without the background-networking ones Chromium floods the closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A fresh data directory per run (journal, back-office database, kiosk secret). Made once in the
// runner process; workers inherit the variable instead of making their own. Removed by the teardown.
const dataDir = (process.env['KIOSK_E2E_DATA_DIR'] ??= mkdtempSync(path.join(os.tmpdir(), 'kiosk-e2e-')));

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e',
  globalTeardown: './test/e2e/support/teardown.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL,
    browserName: 'chromium',
    locale: 'nl-NL',
    timezoneId: 'Europe/Amsterdam',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  projects: [
    { name: 'portrait', use: { viewport: { width: 1080, height: 1920 } } },
    // The journeys are the same at either size; the gallery holds every screen to the design here too.
    { name: 'landscape', use: { viewport: { width: 1920, height: 1080 } }, testMatch: /screen-gallery\.spec\.ts/ },
  ],
  webServer: {
    // Build the renderer, then start the real browser host on emulated hardware.
    command: 'npm run build:renderer --silent && node --import tsx main/start.ts',
    cwd: root,
    url: `${baseURL}/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env['PATH'] ?? ''}`,
      KIOSK_PORT: String(E2E_PORT),
      KIOSK_HOST: '127.0.0.1',
      KIOSK_DATA_DIR: dataDir,
      KIOSK_HARDWARE: 'emulated',
      KIOSK_TESTER: 'true',
      KIOSK_OPEN_BROWSER: '0',
      KIOSK_LOG_LEVEL: 'warn',
      // Short timeouts so the inactivity test runs in seconds; long enough for every other step even at
      // 1080×1920 on a loaded machine (photographing a screen in four languages takes seconds there).
      KIOSK_INACTIVITY_MS: '12000',
      KIOSK_INACTIVITY_WARNING_MS: '5000',
      KIOSK_DONE_MS: '6000',
      KIOSK_GOODBYE_MS: '3000',
      KIOSK_PAYMENT_PROMPT_DELAY_MS: '500',
      // Issue 13: a maintenance session locks itself after this (maintenance.spec.ts waits for it).
      KIOSK_MAINTENANCE_IDLE_MS: '40000',
    },
  },
});
