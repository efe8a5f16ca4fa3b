/**
 * Lock-down applied to the kiosk's session and to every web contents the app creates: the page
 * may show only the bundled renderer; it cannot navigate away, open windows, attach webviews,
 * reach the network, or be granted any permission (camera, geolocation, notifications, HID...).
 */
import type { Session, WebContents } from 'electron';
import { KIOSK_CSP } from './window-options.js';

export interface LockDownLog {
  warn(msg: string, detail?: Record<string, unknown>): void;
}

/** URLs the kiosk may load: the renderer's own files (file:// under its folder) and devtools. */
export function isAllowedUrl(url: string, rendererRootUrl: string): boolean {
  return url.startsWith(rendererRootUrl) || url.startsWith('devtools://');
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
