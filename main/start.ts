/**
 * Run the kiosk core behind the browser host: `node --import tsx main/start.ts`
 * (scripts/start.mjs does this when there is no Electron binary). Configuration: main/config.ts
 * (defaults need none; KIOSK_CONFIG file and KIOSK_* variables override).
 *
 * Prints one line `KIOSK_URL=<url>` on stdout once the start screen can be served, so a parent
 * process (scripts/start.mjs, scripts/bench-startup.ts) knows where to point a browser.
 */
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { createKiosk } from './composition.js';
import { startBrowserHost } from './host/browser-host.js';
import { KIOSK_VERSION } from './version.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = pino({ level: config.logLevel, base: { kiosk: config.kioskId, version: KIOSK_VERSION.version, build: KIOSK_VERSION.build } });
  log.info({ builtAt: KIOSK_VERSION.builtAt, hardware: config.hardware.mode, node: process.version }, `kiosk ${KIOSK_VERSION.version} (build ${KIOSK_VERSION.build}) starting`);
  const kiosk = await createKiosk(config, { logger: log });
  await kiosk.start();
  let host;
  try {
    host = await startBrowserHost({ kiosk, host: config.host.host, port: config.host.port, rendererDir: config.host.rendererDir, log });
  } catch (e) {
    await kiosk.stop();
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      process.stderr.write(`Port ${config.host.port} on ${config.host.host} is in use. Set KIOSK_PORT to another port (or 0 for any free one).\n`);
      process.exit(3);
    }
    throw e;
  }
  process.stdout.write(`KIOSK_URL=${host.url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void (async () => {
      try {
        await host.close();
        await kiosk.stop();
      } finally {
        process.exit(0);
      }
    })();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`kiosk failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
