/**
 * An HTTP proxy in front of the back office that misbehaves on demand, for uploader tests and the
 * benchmark: answer 500, hang (the client times out), drop the connection, lose the answer after
 * the back office stored the batch, forward a request twice, or be down (nothing listens).
 * It also notes, per journal batch that reached the back office, which seqs it accepted.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'pass' | 'error-500' | 'hang' | 'drop' | 'ack-lost' | 'double';

export interface FaultProxy {
  url: string;
  mode: FaultMode;
  /** Stop listening (connections refused) or listen again on the same port. */
  setDown(down: boolean): Promise<void>;
  /** Seqs the back office answered 'accepted', in the order it accepted them. */
  accepted: number[];
  /** Journal requests seen (including failed ones). */
  requests: number;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const hanging = new Set<Socket>();
  let server: Server;
  let port = 0;

  const proxy: FaultProxy = {
    url: '',
    mode: 'pass',
    accepted: [],
    requests: 0,
    async setDown(down) {
      if (down) {
        await new Promise<void>((r) => {
          server.close(() => r());
          for (const s of sockets) s.destroy();
        });
      } else {
        await listen();
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  async function forward(req: IncomingMessage, payload: Buffer) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && !['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(k)) headers[k] = v;
    }
    const res = await fetch(upstream + req.url, {
      method: req.method!,
      headers,
      ...(payload.length > 0 ? { body: payload } : {}),
    });
    const text = await res.text();
    if (req.url?.startsWith('/v1/journal') && req.method === 'POST' && res.ok) {
      const j = JSON.parse(text) as { results: { seq: number; status: string }[] };
      for (const r of j.results) if (r.status === 'accepted') proxy.accepted.push(r.seq);
    }
    // The back office's answer signature travels with the answer (the kiosk accepts no unsigned one).
    return { status: res.status, text, signature: res.headers.get('x-backoffice-signature') };
  }

  function make(): Server {
    const s = createServer((req, res) => {
      void (async () => {
        const payload = await body(req);
        if (req.url?.startsWith('/v1/journal')) proxy.requests++;
        switch (proxy.mode) {
          case 'error-500':
            res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal","message":"injected"}');
            return;
          case 'hang':
            hanging.add(req.socket);
            return;
          case 'drop':
            req.socket.destroy();
            return;
          case 'ack-lost':
            await forward(req, payload);
            req.socket.destroy();
            return;
          case 'double':
            await forward(req, payload);
            break;
        }
        const r = await forward(req, payload);
        res.writeHead(r.status, { 'content-type': 'application/json', ...(r.signature ? { 'x-backoffice-signature': r.signature } : {}) }).end(r.text);
      })().catch(() => req.socket.destroy());
    });
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => {
        sockets.delete(sock);
        hanging.delete(sock);
      });
    });
    return s;
  }

  async function listen() {
    server = make();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    proxy.url = `http://127.0.0.1:${port}`;
  }
  await listen();
  return proxy;
}
