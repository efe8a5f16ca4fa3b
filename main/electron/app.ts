/**
 * The Electron shell: one locked-down kiosk window over the kiosk core. The core (XState actors,
 * drivers, journal) lives in this main process, so a renderer crash or reload loses nothing: the
 * reloaded page asks for the current snapshot and shows the session where it was.
 * Only main/electron imports `electron`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, powerSaveBlocker, protocol, session, type WebContents } from 'electron';
import type { KioskBridge } from '../../contract/bridge.js';
import { bridgeIpc } from './ipc.js';
import { APP_INDEX_URL, APP_ROOT_URL, APP_SCHEME, appFileFor, lockDownContents, lockDownSession, type LockDownLog } from './security.js';
import { kioskWindowOptions } from './window-options.js';

export interface KioskCore {
  bridge: KioskBridge;
  /** Called once the shell listens to the bridge (recovery, then the start screen). */
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface ElectronShellOptions {
  /** Builds the core (composition root). Called once, after the single-instance lock is held. */
  createCore(): Promise<KioskCore> | KioskCore;
  /** dist/renderer/index.html */
  rendererIndex: string;
  /** dist/main/electron/preload.cjs */
  preloadPath: string;
  /** Honoured in a development build only (app.isPackaged false); a packaged kiosk never opens DevTools. */
  devTools?: boolean;
  log?: LockDownLog & { info(msg: string, detail?: Record<string, unknown>): void; error(msg: string, detail?: Record<string, unknown>): void };
  /** Delay before reloading a crashed renderer; doubles per crash within a minute, capped. */
  crashReloadBaseMs?: number;
}

export interface ElectronShell {
  /** False when another instance holds the lock (this one quits). */
  primary: boolean;
  ready: Promise<void>;
  window(): BrowserWindow | undefined;
}

const consoleLog = {
  info: (msg: string, detail?: Record<string, unknown>) => console.log(`[electron] ${msg}`, detail ?? ''),
  warn: (msg: string, detail?: Record<string, unknown>) => console.warn(`[electron] ${msg}`, detail ?? ''),
  error: (msg: string, detail?: Record<string, unknown>) => console.error(`[electron] ${msg}`, detail ?? ''),
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};
function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export function startElectronShell(opts: ElectronShellOptions): ElectronShell {
  const log = opts.log ?? consoleLog;
  if (!app.requestSingleInstanceLock()) {
    log.info('another kiosk instance is running: quitting');
    app.quit();
    return { primary: false, ready: Promise.resolve(), window: () => undefined };
  }

  // Must happen before 'ready': kiosk:// behaves like https (standard, secure origin).
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  const rendererDir = path.dirname(opts.rendererIndex);
  const rendererRootUrl = APP_ROOT_URL;
  const devTools = (opts.devTools ?? false) && !app.isPackaged;
  const baseDelay = opts.crashReloadBaseMs ?? 500;
  let win: BrowserWindow | undefined;
  let core: KioskCore | undefined;
  let quitting = false;
  let crashTimes: number[] = [];

  app.on('second-instance', () => {
    // A second start (double click, service restart race) just brings the kiosk to the front.
    if (win && !win.isDestroyed()) {
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    }
  });

  app.on('web-contents-created', (_event, contents: WebContents) => lockDownContents(contents, rendererRootUrl, log));

  const createWindow = () => {
    const w = new BrowserWindow(kioskWindowOptions(opts.preloadPath, { devTools }));
    win = w;
    w.removeMenu();
    // No gap with an empty desktop: a close (Alt+F4, a script) is refused unless the app quits.
    w.on('close', (event) => {
      if (quitting) return;
      event.preventDefault();
      log.warn('window close refused (kiosk)');
    });
    w.once('ready-to-show', () => w.show());
    w.webContents.on('render-process-gone', (_e, details) => {
      if (quitting) return;
      const now = Date.now();
      crashTimes = [...crashTimes.filter((t) => now - t < 60_000), now];
      const delay = Math.min(30_000, baseDelay * 2 ** (crashTimes.length - 1));
      log.error('renderer gone: reloading; the session is intact in main', { reason: details.reason, exitCode: details.exitCode, delay });
      setTimeout(() => {
        if (!w.isDestroyed()) w.webContents.reload();
      }, delay);
    });
    w.on('unresponsive', () => {
      log.error('renderer unresponsive: restarting it');
      if (!w.isDestroyed()) w.webContents.forcefullyCrashRenderer();
    });
    w.on('closed', () => {
      if (win === w) win = undefined;
      // Only if it was destroyed anyway (e.g. a GPU process crash): it comes back at once.
      if (!quitting) createWindow();
    });
    void w.loadURL(APP_INDEX_URL);
    return w;
  };

  const ready = (async () => {
    await app.whenReady();
    Menu.setApplicationMenu(null);
    powerSaveBlocker.start('prevent-display-sleep');
    lockDownSession(session.defaultSession, rendererRootUrl, log);
    protocol.handle(APP_SCHEME, async (request) => {
      const file = appFileFor(request.url, rendererDir);
      if (!file) return new Response('not found', { status: 404 });
      try {
        return new Response(await readFile(file), { headers: { 'content-type': contentType(file) } });
      } catch {
        return new Response('not found', { status: 404 });
      }
    });
    core = await opts.createCore();
    bridgeIpc({ ipcMain, bridge: core.bridge, target: () => win?.webContents, rendererRootUrl });
    await core.start?.();
    createWindow();
  })();
  ready.catch((err: unknown) => {
    log.error('kiosk failed to start', { error: err instanceof Error ? err.message : String(err) });
    app.exit(1);
  });

  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    if (!core?.stop) return;
    const c = core;
    core = undefined;
    event.preventDefault();
    void Promise.resolve(c.stop?.())
      .catch((err: unknown) => log.error('core stop failed', { error: String(err) }))
      .finally(() => app.quit());
  });
  app.on('window-all-closed', () => {
    if (quitting) app.quit();
  });

  return { primary: true, ready, window: () => win };
}
