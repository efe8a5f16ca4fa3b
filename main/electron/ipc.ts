/**
 * Bridges the core to the kiosk window over IPC: every snapshot goes to the page, and every event
 * from the page is checked (sender is our window's top frame, payload matches kioskEventSchema)
 * before the core's bridge, which validates again, sees it.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { kioskEventSchema } from '../../contract/bridge-events.js';
import type { KioskBridge, KioskSnapshot, SendResult } from '../../contract/bridge.js';
import { IPC_CHANNELS } from './channels.js';
import { sameOrigin } from './security.js';

export interface IpcBridgeOptions {
  ipcMain: IpcMain;
  bridge: KioskBridge;
  /** The kiosk window's contents, or undefined while there is none. */
  target(): WebContents | undefined;
  /** The renderer's own URL prefix: only its top frame may send. */
  rendererRootUrl: string;
}

export function isTrustedSender(event: IpcMainInvokeEvent, target: WebContents | undefined, rendererRootUrl: string): boolean {
  if (!target || event.sender !== target) return false;
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false;
  return sameOrigin(frame.url, rendererRootUrl);
}

export function bridgeIpc(opts: IpcBridgeOptions): { latest(): KioskSnapshot | undefined; dispose(): void } {
  let latest: KioskSnapshot | undefined;
  const unsubscribe = opts.bridge.subscribe((snapshot) => {
    latest = snapshot;
    const wc = opts.target();
    if (wc && !wc.isDestroyed()) wc.send(IPC_CHANNELS.snapshot, snapshot);
  });

  opts.ipcMain.handle(IPC_CHANNELS.send, (event, payload: unknown): SendResult => {
    if (!isTrustedSender(event, opts.target(), opts.rendererRootUrl)) {
      return { ok: false, error: 'not-allowed-now', detail: 'sender is not the kiosk window' };
    }
    const parsed = kioskEventSchema.safeParse(payload);
    if (!parsed.success) {
      return { ok: false, error: 'invalid-event', detail: parsed.error.issues.map((i) => i.message).join('; ') };
    }
    return opts.bridge.send(parsed.data);
  });
  opts.ipcMain.handle(IPC_CHANNELS.current, (event) => {
    if (!isTrustedSender(event, opts.target(), opts.rendererRootUrl)) return undefined;
    return latest;
  });

  return {
    latest: () => latest,
    dispose() {
      unsubscribe();
      opts.ipcMain.removeHandler(IPC_CHANNELS.send);
      opts.ipcMain.removeHandler(IPC_CHANNELS.current);
    },
  };
}
