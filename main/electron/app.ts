/**
 * The Electron shell: one locked-down kiosk window over the kiosk core. The core (XState actors,
 * drivers, journal) lives in this main process, so a renderer crash or reload loses nothing: the
 * reloaded page asks for the current snapshot and shows the session where it was.
 * Only main/electron imports `electron`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, powerSaveBlocker, session, type WebContents } from 'electron';
import type { KioskBridge } from '../../contract/bridge.js';
import { bridgeIpc } from './ipc.js';
import { lockDownContents, lockDownSession, type LockDownLog } from './security.js';
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

export function startElectronShell(opts: ElectronShellOptions): ElectronShell {
  const log = opts.log ?? consoleLog;
  if (!app.requestSingleInstanceLock()) {
    log.info('another kiosk instance is running: quitting');
    app.quit();
    return { primary: false, ready: Promise.resolve(), window: () => undefined };
  }

  const rendererRootUrl = pathToFileURL(path.dirname(opts.rendererIndex) + path.sep).href;
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
    const w = new BrowserWindow(kioskWindowOptions(opts.preloadPath, { devTools: opts.devTools ?? false }));
    win = w;
    w.removeMenu();
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
      // A kiosk never shows an empty desktop: a closed window comes back unless we are quitting.
      if (!quitting) createWindow();
    });
    void w.loadFile(opts.rendererIndex);
    return w;
  };

  const ready = (async () => {
    await app.whenReady();
    Menu.setApplicationMenu(null);
    powerSaveBlocker.start('prevent-display-sleep');
    lockDownSession(session.defaultSession, rendererRootUrl, log);
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
