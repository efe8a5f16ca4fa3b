/** Picks the bridge: the Electron preload's `window.kiosk` when present, else the WebSocket client. */
import type { KioskWindowApi } from './contract.js';
import { createWsClient, type ConnectionState } from './ws-client.js';

export interface RendererBridge {
  api: KioskWindowApi;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  connection(): ConnectionState;
}

declare global {
  interface Window {
    kiosk?: KioskWindowApi;
  }
}

export function selectBridge(win: Window = window): RendererBridge {
  if (win.kiosk) {
    // In Electron the core runs in the same app: the IPC link is always up.
    return { api: win.kiosk, onConnection: () => () => {}, connection: () => 'open' };
  }
  const scheme = win.location.protocol === 'https:' ? 'wss' : 'ws';
  const client = createWsClient({ url: `${scheme}://${win.location.host}/bridge` });
  return { api: client, onConnection: (l) => client.onConnection(l), connection: () => client.connection() };
}
