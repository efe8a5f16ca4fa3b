/**
 * The browser host's side of the bridge: a KioskWindowApi over a WebSocket at /bridge.
 * server -> client {type:'snapshot', snapshot} and {type:'result', id, result};
 * client -> server {type:'event', id, event}. Reconnects with capped exponential backoff and
 * keeps the last snapshot while disconnected (the core, not the page, holds the session).
 */
import type { KioskEvent, KioskSnapshot, KioskWindowApi, SendResult } from './contract.js';

export type ConnectionState = 'connecting' | 'open';

export interface WsClientOptions {
  url: string;
  /** First retry delay; doubles per failed attempt up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How long to wait for the result of one event before giving up on it. */
  resultTimeoutMs?: number;
  /** Injected for tests. */
  WebSocketImpl?: typeof WebSocket;
}

export interface WsKioskClient extends KioskWindowApi {
  onConnection(listener: (state: ConnectionState) => void): () => void;
  connection(): ConnectionState;
  close(): void;
}

type ServerMessage =
  | { type: 'snapshot'; snapshot: KioskSnapshot }
  | { type: 'result'; id: number; result: SendResult };

/** Data entering the page: check its shape before trusting it. */
export function parseServerMessage(raw: unknown): ServerMessage | undefined {
  if (typeof raw !== 'string') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.type === 'snapshot') {
    const s = m.snapshot as Record<string, unknown> | undefined;
    if (s && typeof s.screen === 'string' && typeof s.rev === 'number' && typeof s.locale === 'string') {
      return { type: 'snapshot', snapshot: s as unknown as KioskSnapshot };
    }
    return undefined;
  }
  if (m.type === 'result' && typeof m.id === 'number' && typeof m.result === 'object' && m.result !== null) {
    return { type: 'result', id: m.id, result: m.result as SendResult };
  }
  return undefined;
}

export function createWsClient(options: WsClientOptions): WsKioskClient {
  const WS = options.WebSocketImpl ?? WebSocket;
  const initialDelay = options.initialDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5000;
  const resultTimeout = options.resultTimeoutMs ?? 15_000;

  const snapshotListeners = new Set<(s: KioskSnapshot) => void>();
  const connectionListeners = new Set<(c: ConnectionState) => void>();
  const pending = new Map<number, { resolve: (r: SendResult) => void; timer: ReturnType<typeof setTimeout> }>();
  let last: KioskSnapshot | undefined;
  let freshConnection = true;
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | undefined;
  let attempt = 0;
  let nextId = 1;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (s: ConnectionState) => {
    if (s === state) return;
    state = s;
    for (const l of connectionListeners) l(s);
  };

  const failPending = (detail: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: 'not-allowed-now', detail });
      pending.delete(id);
    }
  };

  const connect = () => {
    if (closed) return;
    setState('connecting');
    const ws = new WS(options.url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      freshConnection = true;
      setState('open');
    };
    ws.onmessage = (ev: MessageEvent) => {
      const msg = parseServerMessage(ev.data);
      if (!msg) return;
      if (msg.type === 'snapshot') {
        // A restarted host counts revisions from the start again: accept its first snapshot.
        if (!freshConnection && last && msg.snapshot.rev <= last.rev) return;
        freshConnection = false;
        last = msg.snapshot;
        for (const l of snapshotListeners) l(msg.snapshot);
      } else {
        const p = pending.get(msg.id);
        if (p) {
          clearTimeout(p.timer);
          pending.delete(msg.id);
          p.resolve(msg.result);
        }
      }
    };
    ws.onclose = (ev?: CloseEvent) => {
      if (socket !== ws) return;
      socket = undefined;
      failPending('disconnected');
      if (closed) return;
      // The host closes with 4000 when a newer screen took over the session (a reload, or the
      // tester console framing the kiosk): this one stops, else the two would take it from each
      // other for ever. It shows "connecting" until it is reloaded.
      if (ev?.code === 4000) {
        setState('connecting');
        return;
      }
      setState('connecting');
      const delay = Math.min(maxDelay, initialDelay * 2 ** attempt);
      attempt += 1;
      retryTimer = setTimeout(connect, delay);
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
  };
  connect();

  return {
    onSnapshot(listener) {
      snapshotListeners.add(listener);
      if (last) listener(last);
      return () => snapshotListeners.delete(listener);
    },
    send(event: KioskEvent): Promise<SendResult> {
      const ws = socket;
      if (!ws || state !== 'open' || ws.readyState !== WS.OPEN) {
        return Promise.resolve({ ok: false, error: 'not-allowed-now', detail: 'disconnected' });
      }
      const id = nextId++;
      return new Promise<SendResult>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: 'not-allowed-now', detail: 'no answer from the kiosk' });
        }, resultTimeout);
        pending.set(id, { resolve, timer });
        ws.send(JSON.stringify({ type: 'event', id, event }));
      });
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    connection: () => state,
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      failPending('closed');
      socket?.close();
    },
  };
}
