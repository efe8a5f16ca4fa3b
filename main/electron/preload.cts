/**
 * Preload for the kiosk window (sandboxed, context-isolated). Exposes exactly one thing on the
 * page: `window.kiosk`, the typed KioskWindowApi. No ipcRenderer, no Node, no other API leaks.
 * Channel names repeat main/electron/channels.ts (a sandboxed preload cannot require local files).
 */
import electron = require('electron');
import type { IpcRendererEvent } from 'electron';
import type { KioskEvent, KioskSnapshot, KioskWindowApi, SendResult } from '../../contract/bridge.js';

const { contextBridge, ipcRenderer } = electron;
const CHANNELS = { send: 'kiosk:send', current: 'kiosk:current', snapshot: 'kiosk:snapshot' } as const;

const api: KioskWindowApi = {
  onSnapshot(listener: (snapshot: KioskSnapshot) => void): () => void {
    let lastRev = -1;
    const deliver = (snapshot: KioskSnapshot | undefined) => {
      if (!snapshot || snapshot.rev <= lastRev) return;
      lastRev = snapshot.rev;
      listener(snapshot);
    };
    const handler = (_event: IpcRendererEvent, snapshot: KioskSnapshot) => deliver(snapshot);
    ipcRenderer.on(CHANNELS.snapshot, handler);
    // A page that just loaded (or reloaded after a crash) asks for where the session is now.
    void ipcRenderer.invoke(CHANNELS.current).then(deliver, () => undefined);
    return () => {
      ipcRenderer.removeListener(CHANNELS.snapshot, handler);
    };
  },
  send(event: KioskEvent): Promise<SendResult> {
    return ipcRenderer.invoke(CHANNELS.send, event) as Promise<SendResult>;
  },
};

contextBridge.exposeInMainWorld('kiosk', api);
