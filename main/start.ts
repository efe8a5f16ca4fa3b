/**
 * Run the kiosk core behind the browser host: `node --import tsx main/start.ts`
 * (scripts/start.mjs does this when there is no Electron binary). Configuration: main/config.ts
 * (defaults need none; KIOSK_CONFIG file and KIOSK_* variables override).
 *
 * Prints one line `KIOSK_URL=<url>` on stdout once the start screen can be served, so a parent
 * process (scripts/start.mjs, scripts/bench-startup.ts) knows where to point a browser.
 *
 * Start-up order (issue 15: npm start to the start screen): the host listens first, with node
 * built-ins only (main/host/early-listener.ts: it serves the start page's files at once), and the
 * rest of the host (fastify, ws: main/host/browser-host.ts) and the core (journal, back office,
 * devices: main/composition.ts and everything it imports) are loaded and built after that, while
 * the kiosk's browser is already loading the screen. The bridge, the tester routes and /health
 * wait for them; a core that fails to start ends the process (exit 1), as before.
 */
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import type { Kiosk } from './composition.js';
import { listenEarly } from './host/early-listener.js';
import { KIOSK_VERSION } from './version.js';

/** KIOSK_STARTUP_TRACE=1: one stderr line per start-up phase: epoch ms and this process's CPU ms so far (scripts/bench-startup.ts reads them). */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const trace =
  process.env.KIOSK_STARTUP_TRACE === '1'
    ? (phase: string, at = performance.timeOrigin + performance.now(), cpu = cpuMs()) => process.stderr.write(`KIOSK_TRACE ${phase} ${at.toFixed(1)} ${cpu.toFixed(0)}\n`)
    : () => {};

async function main(): Promise<void> {
  trace('host-process-start', performance.timeOrigin, 0);
  trace('host-modules-loaded');
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
  trace('host-config-loaded');
  const mayHaveTester = config.tester && config.hardware.mode !== 'real';
  let early;
  try {
    early = await listenEarly({ host: config.host.host, port: config.host.port, rendererDir: config.host.rendererDir, mayHaveTester });
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      process.stderr.write(`Port ${config.host.port} on ${config.host.host} is in use. Set KIOSK_PORT to another port (or 0 for any free one).\n`);
      process.exit(3);
    }
    throw e;
  }
  trace('host-listening');
  process.stdout.write(`KIOSK_URL=${early.url}\n`);
  // The rest of the host and the core, loaded (separate chunks in the compiled host) side by side.
  const hostModule = import('./host/browser-host.js');
  let kioskBuilt: Kiosk | undefined;
  const kioskReady = (async () => {
    const { createKiosk } = await import('./composition.js');
    trace('host-core-modules-loaded');
    const kiosk = await createKiosk(config, { logger: log });
    kioskBuilt = kiosk;
    trace('host-kiosk-created');
    await kiosk.start();
    trace('host-kiosk-started');
    return kiosk;
  })();
  kioskReady.catch(() => {}); // reported below, once the host is up
  const host = await (await hostModule).startBrowserHost({ early, kiosk: kioskReady, rendererDir: config.host.rendererDir, log });
  trace('host-ready');
  const kiosk = await kioskReady.catch(async (e: unknown) => {
    await host.close().catch(() => {});
    await kioskBuilt?.stop().catch(() => {});
    throw e;
  });
  // Source maps from here on (code loaded later, stack traces of the running kiosk): parsing the
  // bundle's maps while the start screen was on its way cost ~300 ms CPU (KIOSK_STARTUP_TRACE,
  // issue 15), so scripts/start.mjs does not pass --enable-source-maps; the start path's stack
  // traces name bundle lines (dist/host/*.mjs, not minified, each module headed by its source path).
  process.setSourceMapsEnabled(true);

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
