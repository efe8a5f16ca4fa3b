// The Electron shell, with `electron` mocked: every lock-down setting, IPC validation, crash
// recovery with the session intact, single instance, display kept awake.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskBridge, KioskSnapshot, SendResult } from '../../contract/bridge.js';
import { fake, FakeBrowserWindow, FakeWebContents, resetFake } from './test-support/fake-electron.js';

vi.mock('electron', async () => (await import('./test-support/fake-electron.js')).fake);

const { startElectronShell } = await import('./app.js');
const { kioskWindowOptions, KIOSK_CSP } = await import('./window-options.js');

const rendererIndex = path.resolve('/opt/kiosk/dist/renderer/index.html');
const preloadPath = path.resolve('/opt/kiosk/dist/main/electron/preload.cjs');
const rendererUrl = 'kiosk://app/index.html';
const silent = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };

const snap = (rev: number, screen: KioskSnapshot['screen'] = 'start') =>
  ({
    rev,
    screen,
    locale: 'nl',
    largeText: false,
    busy: false,
    inactivity: { warning: false, secondsLeft: 0 },
    // The shell only passes snapshots through: a partial one is enough here.
  }) as KioskSnapshot;

function fakeBridge() {
  const listeners = new Set<(s: KioskSnapshot) => void>();
  const bridge = {
    subscribe: vi.fn((l: (s: KioskSnapshot) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    }),
    send: vi.fn((_e: unknown): SendResult => ({ ok: true })),
    emit: (s: KioskSnapshot) => listeners.forEach((l) => l(s)),
  };
  return bridge satisfies KioskBridge & { emit(s: KioskSnapshot): void };
}

async function start(extra: { crashReloadBaseMs?: number } = {}) {
  const bridge = fakeBridge();
  const createCore = vi.fn(() => ({ bridge, stop: vi.fn() }));
  const shell = startElectronShell({ createCore, rendererIndex, preloadPath, log: silent, ...extra });
  await shell.ready;
  const win = FakeBrowserWindow.instances.at(-1)!;
  return { shell, bridge, createCore, win };
}

/** An IPC invoke event as Electron would build it for a frame of `sender`. */
const ipcEvent = (sender: FakeWebContents, url = rendererUrl, parent: unknown = null) => ({ sender, senderFrame: { url, parent } });
const invoke = (channel: string, event: unknown, payload?: unknown) => fake.ipcMain.handlers.get(channel)!(event, payload);

beforeEach(() => resetFake());
afterEach(() => vi.useRealTimers());

describe('kiosk window options', () => {
  const o = kioskWindowOptions(preloadPath);
  it('is full screen, kiosk mode, frameless, without menu bar', () => {
    expect(o).toMatchObject({ fullscreen: true, kiosk: true, frame: false, autoHideMenuBar: true });
  });
  it('isolates the page: contextIsolation and sandbox on, nodeIntegration off everywhere, no webview', () => {
    expect(o.webPreferences).toMatchObject({
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });
  it('has a CSP that allows only the bundled files (no inline script, no remote origin)', () => {
    expect(KIOSK_CSP).toContain("default-src 'self'");
    expect(KIOSK_CSP).toContain("script-src 'self'");
    expect(KIOSK_CSP).not.toContain('unsafe-inline');
    expect(KIOSK_CSP).not.toContain('unsafe-eval');
    expect(KIOSK_CSP).toContain("object-src 'none'");
  });
});

describe('renderer CSP', () => {
  it('index.html carries the same policy as the shell (minus frame-ancestors, which a meta tag cannot set)', async () => {
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(path.join(import.meta.dirname, '..', '..', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    const norm = (p: string) => p.split(';').map((d) => d.trim()).filter((d) => d && !d.startsWith('frame-ancestors')).sort();
    expect(meta).toBeDefined();
    expect(norm(meta!)).toEqual(norm(KIOSK_CSP));
  });
});

describe('Electron shell start-up', () => {
  it('quits without building a core when another instance holds the single-instance lock', async () => {
    fake.app.requestSingleInstanceLock.mockReturnValue(false);
    const createCore = vi.fn();
    const shell = startElectronShell({ createCore, rendererIndex, preloadPath, log: silent });
    await shell.ready;
    expect(shell.primary).toBe(false);
    expect(fake.app.quit).toHaveBeenCalled();
    expect(createCore).not.toHaveBeenCalled();
    expect(FakeBrowserWindow.instances).toHaveLength(0);
  });

  it('brings the existing window to the front when a second instance starts', async () => {
    const { win } = await start();
    win.isMinimized.mockReturnValue(true);
    fake.app.emit('second-instance');
    expect(win.restore).toHaveBeenCalled();
    expect(win.focus).toHaveBeenCalled();
  });

  it('opens one locked-down window on the bundled renderer, removes every menu and keeps the display awake', async () => {
    const { win, createCore } = await start();
    expect(createCore).toHaveBeenCalledTimes(1);
    expect(win.options).toEqual(kioskWindowOptions(preloadPath));
    expect(win.removeMenu).toHaveBeenCalled();
    expect(fake.Menu.setApplicationMenu).toHaveBeenCalledWith(null);
    expect(win.loadURL).toHaveBeenCalledWith('kiosk://app/index.html');
    expect(win.loadFile).not.toHaveBeenCalled();
    expect(fake.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([{ scheme: 'kiosk', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(fake.powerSaveBlocker.start).toHaveBeenCalledWith('prevent-display-sleep');
  });

  it('starts the core only after it listens to the bridge, so the first snapshot reaches the window', async () => {
    const bridge = fakeBridge();
    const order: string[] = [];
    bridge.subscribe.mockImplementation(() => {
      order.push('subscribe');
      return () => true;
    });
    const shell = startElectronShell({
      createCore: () => ({ bridge, start: () => void order.push('start') }),
      rendererIndex,
      preloadPath,
      log: silent,
    });
    await shell.ready;
    expect(order).toEqual(['subscribe', 'start']);
  });

  it('denies every permission request and permission check', async () => {
    await start();
    const s = fake.session.defaultSession;
    for (const permission of ['media', 'geolocation', 'notifications', 'hid', 'serial', 'clipboard-read']) {
      const cb = vi.fn();
      s.permissionRequest!({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
    }
    expect(s.permissionCheck!({}, 'media')).toBe(false);
    expect(s.devicePermission!({})).toBe(false);
  });

  it('cancels every request outside the renderer folder and adds the CSP header to responses', async () => {
    await start();
    const wr = fake.session.defaultSession.webRequest;
    const decide = (url: string) => {
      let cancel: boolean | undefined;
      wr.beforeRequest!({ url }, (r) => (cancel = r.cancel));
      return cancel;
    };
    expect(decide('kiosk://app/assets/kiosk.js')).toBe(false);
    // file:// is not the renderer any more, not even its own folder; devtools:// has no allowance.
    expect(decide(pathToFileURL('/opt/kiosk/dist/renderer/assets/kiosk.js').href)).toBe(true);
    expect(decide('devtools://devtools/bundled/inspector.html')).toBe(true);
    expect(decide('https://example.com/x.js')).toBe(true);
    expect(decide('file:///etc/passwd')).toBe(true);
    let headers: Record<string, string[]> = {};
    wr.headersReceived!({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']).toEqual([KIOSK_CSP]);
  });

  it('blocks navigation away from the renderer, new windows and webviews', async () => {
    const { win } = await start();
    const wc = win.webContents;
    const nav = (event: string, url: string) => {
      const e = { preventDefault: vi.fn(), url };
      if (event === 'will-frame-navigate') wc.emit(event, e);
      else wc.emit(event, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(nav('will-navigate', 'https://evil.example/')).toBe(true);
    expect(nav('will-navigate', rendererUrl)).toBe(false);
    // Checked by exact origin, not by string prefix.
    expect(nav('will-navigate', 'kiosk://app.evil.example/index.html')).toBe(true);
    expect(nav('will-navigate', 'kiosk://app@evil.example/')).toBe(true);
    expect(nav('will-navigate', 'kiosk://app:8080/index.html')).toBe(true);
    expect(nav('will-navigate', 'devtools://devtools/bundled/inspector.html')).toBe(true);
    expect(nav('will-redirect', 'https://evil.example/')).toBe(true);
    expect(nav('will-frame-navigate', 'https://evil.example/')).toBe(true);
    const webview = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    expect(wc.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: rendererUrl })).toEqual({ action: 'deny' });
  });

  it('refuses to close the window (Alt+F4) unless the app is quitting: no gap with an empty desktop', async () => {
    const { win } = await start();
    win.close();
    expect(win.isDestroyed()).toBe(false);
    expect(FakeBrowserWindow.instances).toHaveLength(1);
    expect(win.options).toMatchObject({ closable: false });
    fake.app.emit('before-quit');
    win.close();
    expect(win.isDestroyed()).toBe(true);
    expect(FakeBrowserWindow.instances).toHaveLength(1);
  });

  it('cancels every download', async () => {
    await start();
    const event = { preventDefault: vi.fn() };
    const item = { cancel: vi.fn(), getURL: () => 'kiosk://app/x.exe' };
    fake.session.defaultSession.emit('will-download', event, item);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(item.cancel).toHaveBeenCalled();
  });

  it('opens DevTools only in a development build: a packaged kiosk ignores the request', async () => {
    const bridge = fakeBridge();
    fake.app.isPackaged = true;
    await startElectronShell({ createCore: () => ({ bridge }), rendererIndex, preloadPath, log: silent, devTools: true }).ready;
    expect((FakeBrowserWindow.instances.at(-1)!.options['webPreferences'] as { devTools: boolean }).devTools).toBe(false);
    resetFake();
    await startElectronShell({ createCore: () => ({ bridge }), rendererIndex, preloadPath, log: silent, devTools: true }).ready;
    expect((FakeBrowserWindow.instances.at(-1)!.options['webPreferences'] as { devTools: boolean }).devTools).toBe(true);
  });

  it('serves the renderer over kiosk://app only from its folder (no traversal, no other host)', async () => {
    const { appFileFor } = await import('./security.js');
    const root = path.resolve('/opt/kiosk/dist/renderer');
    expect(appFileFor('kiosk://app/index.html', root)).toBe(path.join(root, 'index.html'));
    expect(appFileFor('kiosk://app/', root)).toBe(path.join(root, 'index.html'));
    expect(appFileFor('kiosk://app/assets/a.js', root)).toBe(path.join(root, 'assets', 'a.js'));
    // The URL parser folds encoded dots before we see the path: it stays inside the folder.
    expect(appFileFor('kiosk://app/%2e%2e/%2e%2e/etc/passwd', root)).toBe(path.join(root, 'etc', 'passwd'));
    expect(appFileFor('kiosk://app/..%2f..%2fetc/passwd', root)).toBeUndefined();
    expect(appFileFor('kiosk://other/index.html', root)).toBeUndefined();
    await start();
    expect(fake.protocol.schemes.has('kiosk')).toBe(true);
    expect((await fake.protocol.schemes.get('kiosk')!({ url: 'kiosk://app/%2e%2e/secret' })).status).toBe(404);
  });

  it('exits with an error when the core cannot be built', async () => {
    const shell = startElectronShell({
      createCore: () => Promise.reject(new Error('bad config')),
      rendererIndex,
      preloadPath,
      log: silent,
    });
    await expect(shell.ready).rejects.toThrow('bad config');
    await Promise.resolve();
    expect(fake.app.exit).toHaveBeenCalledWith(1);
  });
});

describe('IPC bridge', () => {
  it('passes a valid event from the kiosk window to the core and returns its result', async () => {
    const { win, bridge } = await start();
    bridge.send.mockReturnValueOnce({ ok: false, error: 'not-allowed-now', detail: 'busy' });
    const result = invoke('kiosk:send', ipcEvent(win.webContents), { type: 'SET_LOCALE', locale: 'fr' });
    expect(bridge.send).toHaveBeenCalledWith({ type: 'SET_LOCALE', locale: 'fr' });
    expect(result).toEqual({ ok: false, error: 'not-allowed-now', detail: 'busy' });
  });

  it.each([
    ['an unknown type', { type: 'EXPLODE' }],
    ['a bad locale', { type: 'SET_LOCALE', locale: 'xx' }],
    ['a fractional amount', { type: 'SELECT_AMOUNT', amountCents: 10.5 }],
    ['an amount above EUR 150', { type: 'SELECT_AMOUNT', amountCents: 15001 }],
    ['not an object', 'START'],
    ['nothing', undefined],
  ])('refuses %s with invalid-event before the core sees it', async (_name, payload) => {
    const { win, bridge } = await start();
    const result = invoke('kiosk:send', ipcEvent(win.webContents), payload) as SendResult;
    expect(result).toMatchObject({ ok: false, error: 'invalid-event' });
    expect(bridge.send).not.toHaveBeenCalled();
  });

  it('refuses events from another web contents, a sub-frame or a foreign URL', async () => {
    const { win, bridge } = await start();
    const other = new FakeWebContents();
    expect(invoke('kiosk:send', ipcEvent(other), { type: 'START' })).toMatchObject({ ok: false, error: 'not-allowed-now' });
    expect(invoke('kiosk:send', ipcEvent(win.webContents, rendererUrl, {}), { type: 'START' })).toMatchObject({ ok: false });
    expect(invoke('kiosk:send', ipcEvent(win.webContents, 'https://evil.example/'), { type: 'START' })).toMatchObject({ ok: false });
    expect(bridge.send).not.toHaveBeenCalled();
  });

  it('pushes every snapshot to the window and answers the current one to a (re)loaded page', async () => {
    const { win, bridge } = await start();
    bridge.emit(snap(1));
    bridge.emit(snap(2, 'menu'));
    expect(win.webContents.sent.map((m) => m.channel)).toEqual(['kiosk:snapshot', 'kiosk:snapshot']);
    expect(win.webContents.sent[1]!.args[0]).toEqual(snap(2, 'menu'));
    expect(invoke('kiosk:current', ipcEvent(win.webContents))).toEqual(snap(2, 'menu'));
    expect(invoke('kiosk:current', ipcEvent(new FakeWebContents()))).toBeUndefined();
  });
});

describe('renderer crash recovery', () => {
  it('reloads a crashed renderer while the session stays in main', async () => {
    vi.useFakeTimers();
    const { win, bridge, createCore } = await start({ crashReloadBaseMs: 500 });
    bridge.emit(snap(7, 'payment'));
    win.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    expect(win.webContents.reload).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500);
    expect(win.webContents.reload).toHaveBeenCalledTimes(1);
    expect(createCore).toHaveBeenCalledTimes(1);
    // the reloaded page asks where the session is, and gets the payment screen back
    expect(invoke('kiosk:current', ipcEvent(win.webContents))).toEqual(snap(7, 'payment'));
  });

  it('backs off when the renderer keeps crashing', async () => {
    vi.useFakeTimers();
    const { win } = await start({ crashReloadBaseMs: 500 });
    win.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 });
    win.webContents.emit('render-process-gone', {}, { reason: 'oom', exitCode: 1 });
    vi.advanceTimersByTime(500);
    expect(win.webContents.reload).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    expect(win.webContents.reload).toHaveBeenCalledTimes(2);
  });

  it('restarts an unresponsive renderer', async () => {
    const { win } = await start();
    win.emit('unresponsive');
    expect(win.webContents.forcefullyCrashRenderer).toHaveBeenCalled();
  });

  it('reopens the kiosk window if it is destroyed anyway (not closable), but not while quitting', async () => {
    const { win } = await start();
    win.destroy();
    expect(FakeBrowserWindow.instances).toHaveLength(2);
    fake.app.emit('before-quit');
    FakeBrowserWindow.instances.at(-1)!.close();
    expect(FakeBrowserWindow.instances).toHaveLength(2);
  });
});
