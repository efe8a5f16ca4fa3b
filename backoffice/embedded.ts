/**
 * The kiosk's embedded reference back office on PGlite, as a child process of the kiosk
 * (main/composition.ts forks it through tsx; emulated and wire hardware only, see refineSafety).
 *
 * Why a child process and not in the kiosk's own process: PGlite runs PostgreSQL compiled to
 * WebAssembly on the thread that opens it, and its first open (initdb) held the event loop for
 * 4.6 s, a reopen for 0.76 s (measured on this 2-core machine; the process was then at 457-601 MB
 * resident). In process that would freeze the kiosk's screens and card reader right after start.
 *
 * Protocol (Node IPC): the parent sends `{ type: 'start', options }` once; the child answers
 * `{ type: 'open', url, ms }` or `{ type: 'failed', error }`. `{ type: 'restore-fixture-orders', id }`
 * is answered `{ type: 'restored', id, count }` (the tester's reset). `{ type: 'close' }`, SIGTERM or
 * the IPC channel closing (the kiosk exited, even by SIGKILL) closes the database and exits, so a
 * dead kiosk never leaves a back office holding its PGlite directory.
 */
import { z } from 'zod';
import { systemClock } from '../contract/time.js';
import { startPgBackOffice, type PgBackOfficeServer } from './server.js';

export const embeddedStartSchema = z.object({
  port: z.number().int().min(1).max(65535),
  /** pglite:PATH */
  database: z.string().startsWith('pglite:'),
  timeZone: z.string().min(1),
  kiosks: z.record(z.string().min(1), z.string().min(16)),
});
export type EmbeddedStart = z.infer<typeof embeddedStartSchema>;

const message = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), options: embeddedStartSchema }),
  z.object({ type: z.literal('restore-fixture-orders'), id: z.number().int() }),
  z.object({ type: z.literal('close') }),
]);

function send(m: unknown): void {
  if (process.connected) process.send?.(m);
}

if (!process.send) {
  console.error('backoffice/embedded.ts is started by the kiosk (main/composition.ts), not on its own: use backoffice/main.ts');
  process.exit(2);
}

let server: Promise<PgBackOfficeServer | undefined> | undefined;
let closing = false;
async function close(code: number): Promise<never> {
  if (!closing) {
    closing = true;
    const s = await server?.catch(() => undefined);
    await s?.close(5_000).catch(() => undefined);
  }
  process.exit(code);
}

process.on('disconnect', () => void close(0));
process.on('SIGTERM', () => void close(0));
process.on('SIGINT', () => void close(0));
process.on('message', (raw) => {
  const parsed = message.safeParse(raw);
  if (!parsed.success) return send({ type: 'failed', error: `bad message: ${parsed.error.message.slice(0, 200)}` });
  const m = parsed.data;
  if (m.type === 'close') return void close(0);
  if (m.type === 'start') {
    if (server) return;
    const t0 = performance.now();
    server = startPgBackOffice({
      port: m.options.port,
      host: '127.0.0.1',
      database: m.options.database,
      clock: systemClock,
      timeZone: m.options.timeZone,
      kiosks: m.options.kiosks,
      // Issue 13: the fixture technicians (T-0002 revoked); this back office serves only
      // emulated/wire kiosks (refineSafety: a real device needs a remote one).
      seedTechnicians: true,
    }).then(
      (s) => (send({ type: 'open', url: s.url, ms: Math.round(performance.now() - t0) }), s),
      (e: unknown) => (send({ type: 'failed', error: String((e as Error)?.message ?? e).slice(0, 500) }), undefined),
    );
    return;
  }
  void (async () => {
    const s = await server;
    const count = s ? await s.store.restoreFixtureOrders() : 0;
    send({ type: 'restored', id: m.id, count });
  })().catch((e: unknown) => send({ type: 'restored', id: m.id, error: String((e as Error)?.message ?? e).slice(0, 500) }));
});
