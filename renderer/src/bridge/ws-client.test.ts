import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskSnapshot } from './contract.js';
import { createWsClient, parseServerMessage } from './ws-client.js';

class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static instances: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onclose: ((ev?: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.drop();
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  drop(code = 1006) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code });
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

const snap = (rev: number, screen: KioskSnapshot['screen'] = 'start') =>
  ({
    rev,
    screen,
    locale: 'nl',
    largeText: false,
    busy: false,
    inactivity: { warning: false, secondsLeft: 0 },
    // The client only passes snapshots through: a partial one is enough here.
  }) as KioskSnapshot;

const last = () => FakeSocket.instances[FakeSocket.instances.length - 1]!;

describe('WebSocket bridge client', () => {
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const make = () =>
    createWsClient({ url: 'ws://host/bridge', WebSocketImpl: FakeSocket as unknown as typeof WebSocket, initialDelayMs: 100, maxDelayMs: 800, resultTimeoutMs: 1000 });

  it('connects to /bridge, delivers snapshots and drops stale revisions', () => {
    const client = make();
    const seen: number[] = [];
    client.onSnapshot((s) => seen.push(s.rev));
    expect(last().url).toBe('ws://host/bridge');
    last().open();
    last().receive({ type: 'snapshot', snapshot: snap(3) });
    last().receive({ type: 'snapshot', snapshot: snap(2) });
    last().receive({ type: 'snapshot', snapshot: snap(4) });
    expect(seen).toEqual([3, 4]);
  });

  it('sends events with an id and resolves with the matching result', async () => {
    const client = make();
    last().open();
    const p = client.send({ type: 'START' });
    const msg = JSON.parse(last().sent[0]!) as { type: string; id: number; event: unknown };
    expect(msg).toMatchObject({ type: 'event', event: { type: 'START' } });
    last().receive({ type: 'result', id: msg.id, result: { ok: false, error: 'not-allowed-now', detail: 'x' } });
    await expect(p).resolves.toEqual({ ok: false, error: 'not-allowed-now', detail: 'x' });
  });

  it('reconnects with growing, capped backoff and reports the connecting state, keeping the last snapshot', () => {
    const client = make();
    const states: string[] = [];
    client.onConnection((s) => states.push(s));
    last().open();
    last().receive({ type: 'snapshot', snapshot: snap(9, 'menu') });
    last().drop();
    expect(states).toEqual(['open', 'connecting']);
    // retries: 100, 200, 400, 800, 800 ms
    for (const delay of [100, 200, 400, 800, 800]) {
      const before = FakeSocket.instances.length;
      vi.advanceTimersByTime(delay - 1);
      expect(FakeSocket.instances.length).toBe(before);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.instances.length).toBe(before + 1);
      last().drop();
    }
    // a late subscriber still gets the last snapshot while disconnected
    const seen: string[] = [];
    client.onSnapshot((s) => seen.push(s.screen));
    expect(seen).toEqual(['menu']);
    client.close();
  });

  it('accepts the first snapshot after a reconnect even if the restarted host counts from 1 again', () => {
    const client = make();
    const seen: number[] = [];
    client.onSnapshot((s) => seen.push(s.rev));
    last().open();
    last().receive({ type: 'snapshot', snapshot: snap(50) });
    last().drop();
    vi.advanceTimersByTime(100);
    last().open();
    last().receive({ type: 'snapshot', snapshot: snap(1) });
    expect(seen).toEqual([50, 1]);
  });

  it('answers a send while disconnected, and one that gets no answer, with a typed error', async () => {
    const client = make();
    await expect(client.send({ type: 'START' })).resolves.toMatchObject({ ok: false, error: 'not-allowed-now' });
    last().open();
    const p = client.send({ type: 'START' });
    vi.advanceTimersByTime(1000);
    await expect(p).resolves.toMatchObject({ ok: false, detail: 'no answer from the kiosk' });
    const q = client.send({ type: 'BACK' });
    last().drop();
    await expect(q).resolves.toMatchObject({ ok: false, detail: 'disconnected' });
  });

  it('stops reconnecting when a newer screen took the session over (close code 4000)', () => {
    const c = make();
    FakeSocket.instances[0]!.open();
    FakeSocket.instances[0]!.drop(4000);
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(c.connection()).toBe('connecting');
  });

  it('ignores malformed server messages', () => {
    expect(parseServerMessage('not json')).toBeUndefined();
    expect(parseServerMessage(JSON.stringify({ type: 'snapshot', snapshot: { rev: 'x' } }))).toBeUndefined();
    expect(parseServerMessage(JSON.stringify({ type: 'weird' }))).toBeUndefined();
    expect(parseServerMessage(new ArrayBuffer(2))).toBeUndefined();
  });
});
