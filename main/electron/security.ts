/**
 * Lock-down applied to the kiosk's session and to every web contents the app creates: the page
 * may show only the bundled renderer; it cannot navigate away, open windows, attach webviews,
 * reach the network, or be granted any permission (camera, geolocation, notifications, HID...).
 */
import path from 'node:path';
import type { Session, WebContents } from 'electron';
import { KIOSK_CSP } from './window-options.js';

/**
 * The renderer is served from a custom, privileged, standard scheme instead of file:// (issue 11
 * finding 7): file:// would give the page the file-system origin (every local file is "same
 * origin"), and a prefix check on file paths is easy to get wrong. kiosk://app is one exact origin.
 */
export const APP_SCHEME = 'kiosk';
export const APP_HOST = 'app';
export const APP_ROOT_URL = `${APP_SCHEME}://${APP_HOST}/`;
export const APP_INDEX_URL = `${APP_ROOT_URL}index.html`;

/** Same scheme, host and port, exactly (URL.origin is "null" for custom schemes, so compare parts). */
export function sameOrigin(url: string, root: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(root);
    return a.protocol === b.protocol && a.hostname === b.hostname && a.port === b.port && a.username === '' && a.password === '' && a.host !== '';
  } catch {
    return false;
  }
}

/** The file under `rootDir` a kiosk:// URL names, or undefined (other origin, traversal, not a file path). */
export function appFileFor(url: string, rootDir: string): string | undefined {
  if (!sameOrigin(url, APP_ROOT_URL)) return undefined;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes('\0')) return undefined;
  const root = path.resolve(rootDir);
  const file = path.resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
  return file.startsWith(root + path.sep) ? file : undefined;
}

export interface LockDownLog {
  warn(msg: string, detail?: Record<string, unknown>): void;
}

/** URLs the kiosk may load: the renderer's own origin, exactly. No devtools://, no file://. */
export function isAllowedUrl(url: string, rendererRootUrl: string): boolean {
  return sameOrigin(url, rendererRootUrl);
}

export function lockDownSession(session: Session, rendererRootUrl: string, log: LockDownLog): void {
  session.setPermissionRequestHandler((_wc, permission, callback) => {
    log.warn('permission request denied', { permission });
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const ok = isAllowedUrl(details.url, rendererRootUrl);
    if (!ok) log.warn('request blocked', { url: details.url });
    callback({ cancel: !ok });
  });
  // Nothing is ever saved to the kiosk's disk from the page.
  session.on('will-download', (event, item) => {
    event.preventDefault();
    item.cancel();
    log.warn('download cancelled', { url: item.getURL() });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [KIOSK_CSP] } });
  });
}

export function lockDownContents(contents: WebContents, rendererRootUrl: string, log: LockDownLog): void {
  const block = (what: string) => (event: { preventDefault(): void }, url: string) => {
    if (isAllowedUrl(url, rendererRootUrl) && what !== 'will-attach-webview') return;
    event.preventDefault();
    log.warn(`${what} blocked`, { url });
  };
  contents.on('will-navigate', block('will-navigate'));
  contents.on('will-redirect', block('will-redirect'));
  contents.on('will-frame-navigate', (event) => {
    if (isAllowedUrl(event.url, rendererRootUrl)) return;
    event.preventDefault();
    log.warn('will-frame-navigate blocked', { url: event.url });
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('will-attach-webview blocked');
  });
  contents.setWindowOpenHandler(({ url }) => {
    log.warn('new window blocked', { url });
    return { action: 'deny' };
  });
}
