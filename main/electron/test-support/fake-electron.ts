/**
 * A stand-in for the `electron` module in unit tests (no Electron binary exists on these
 * machines). It records what the shell asks of Electron so each lock-down setting can be asserted.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export class FakeWebContents extends EventEmitter {
  destroyed = false;
  windowOpenHandler: ((d: { url: string }) => { action: string }) | undefined;
  sent: { channel: string; args: unknown[] }[] = [];
  reload = vi.fn();
  forcefullyCrashRenderer = vi.fn();
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
  isDestroyed() {
    return this.destroyed;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  destroyed = false;
  removeMenu = vi.fn();
  loadFile = vi.fn(async () => undefined);
  loadURL = vi.fn(async () => undefined);
  show = vi.fn();
  focus = vi.fn();
  restore = vi.fn();
  isMinimized = vi.fn(() => false);
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
    fake.app.emit('web-contents-created', {}, this.webContents);
  }
  isDestroyed() {
    return this.destroyed;
  }
  /** What Alt+F4 does: 'close' first (a listener may preventDefault), then destroy. */
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.destroy();
  }
  destroy() {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;
type BeforeRequest = (d: { url: string }, cb: (r: { cancel: boolean }) => void) => void;
type HeadersReceived = (
  d: { responseHeaders?: Record<string, string[]> },
  cb: (r: { responseHeaders: Record<string, string[]> }) => void,
) => void;
interface FakeWebRequest {
  beforeRequest: BeforeRequest | undefined;
  headersReceived: HeadersReceived | undefined;
  onBeforeRequest(h: BeforeRequest): void;
  onHeadersReceived(h: HeadersReceived): void;
}
type PermissionRequest = (wc: unknown, permission: string, cb: (ok: boolean) => void) => void;
type Check = (...a: unknown[]) => boolean;
interface FakeSession extends EventEmitter {
  permissionRequest: PermissionRequest | undefined;
  permissionCheck: Check | undefined;
  devicePermission: Check | undefined;
  setPermissionRequestHandler(h: PermissionRequest): void;
  setPermissionCheckHandler(h: Check): void;
  setDevicePermissionHandler(h: Check): void;
  webRequest: FakeWebRequest;
}

function makeFake() {
  const app = Object.assign(new EventEmitter(), {
    requestSingleInstanceLock: vi.fn(() => true),
    quit: vi.fn(),
    exit: vi.fn(),
    whenReady: vi.fn(() => Promise.resolve()),
    isPackaged: false,
  });
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: vi.fn((channel: string, h: Handler) => handlers.set(channel, h)),
    removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
    handlers,
  };
  const webRequest: FakeWebRequest = {
    beforeRequest: undefined,
    headersReceived: undefined,
    onBeforeRequest(h) {
      webRequest.beforeRequest = h;
    },
    onHeadersReceived(h) {
      webRequest.headersReceived = h;
    },
  };
  const defaultSession: FakeSession = Object.assign(new EventEmitter(), {
    permissionRequest: undefined,
    permissionCheck: undefined,
    devicePermission: undefined,
    setPermissionRequestHandler(h) {
      defaultSession.permissionRequest = h;
    },
    setPermissionCheckHandler(h) {
      defaultSession.permissionCheck = h;
    },
    setDevicePermissionHandler(h) {
      defaultSession.devicePermission = h;
    },
    webRequest,
  } as Omit<FakeSession, keyof EventEmitter>);
  const schemes = new Map<string, (req: { url: string }) => Promise<Response>>();
  const protocol = {
    registerSchemesAsPrivileged: vi.fn(),
    handle: vi.fn((scheme: string, h: (req: { url: string }) => Promise<Response>) => schemes.set(scheme, h)),
    schemes,
  };
  return {
    protocol,
    app,
    ipcMain,
    BrowserWindow: FakeBrowserWindow,
    Menu: { setApplicationMenu: vi.fn() },
    powerSaveBlocker: { start: vi.fn(() => 1) },
    session: { defaultSession },
  };
}

export const fake = makeFake();

export function resetFake() {
  const fresh = makeFake();
  fake.app.removeAllListeners();
  fake.session.defaultSession.removeAllListeners();
  fake.protocol.schemes.clear();
  fake.protocol.registerSchemesAsPrivileged.mockClear();
  Object.assign(fake.app, { isPackaged: false, requestSingleInstanceLock: fresh.app.requestSingleInstanceLock, quit: fresh.app.quit, exit: fresh.app.exit, whenReady: fresh.app.whenReady });
  fake.ipcMain.handlers.clear();
  fake.ipcMain.handle.mockClear();
  fake.ipcMain.removeHandler.mockClear();
  fake.Menu.setApplicationMenu.mockClear();
  fake.powerSaveBlocker.start.mockClear();
  Object.assign(fake.session.defaultSession, {
    permissionRequest: undefined,
    permissionCheck: undefined,
    devicePermission: undefined,
  });
  fake.session.defaultSession.webRequest.beforeRequest = undefined;
  fake.session.defaultSession.webRequest.headersReceived = undefined;
  FakeBrowserWindow.instances = [];
}
