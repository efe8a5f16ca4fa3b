/**
 * Run the reference back office on its own: `tsx backoffice/main.ts`.
 * Environment:
 *   BACKOFFICE_PORT  (default 8787; 0 = any free port)
 *   BACKOFFICE_HOST  (default 127.0.0.1)
 *   BACKOFFICE_DB    (default ./var/backoffice.sqlite; ':memory:' allowed)
 *   BACKOFFICE_KIOSKS  kiosk secrets as `id=secret,id2=secret2` (secrets >= 16 characters).
 *                      Without it, the development kiosk `kiosk-dev` with secret
 *                      `dev-kiosk-secret-change-me` is accepted (and a warning printed).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../contract/time.js';
import { startBackOffice } from './server.js';

export const DEV_KIOSK_ID = 'kiosk-dev';
export const DEV_KIOSK_SECRET = 'dev-kiosk-secret-change-me';

export function parseKiosks(spec: string | undefined): Record<string, string> {
  if (spec === undefined || spec.trim() === '') return { [DEV_KIOSK_ID]: DEV_KIOSK_SECRET };
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const i = part.indexOf('=');
    const id = part.slice(0, i).trim();
    const secret = part.slice(i + 1).trim();
    if (i < 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(id) || secret.length < 16) {
      throw new Error(`BACKOFFICE_KIOSKS: expected id=secret (secret >= 16 characters), got '${part.slice(0, Math.max(i, 0))}=…'`);
    }
    out[id] = secret;
  }
  return out;
}

async function main(): Promise<void> {
  const port = Number(process.env.BACKOFFICE_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`BACKOFFICE_PORT: not a port: ${process.env.BACKOFFICE_PORT}`);
  const dbPath = process.env.BACKOFFICE_DB ?? 'var/backoffice.sqlite';
  if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
  if (!process.env.BACKOFFICE_KIOSKS) console.warn(`BACKOFFICE_KIOSKS not set: accepting development kiosk '${DEV_KIOSK_ID}' only`);
  const server = await startBackOffice({
    port,
    host: process.env.BACKOFFICE_HOST ?? '127.0.0.1',
    dbPath,
    clock: systemClock,
    kiosks: parseKiosks(process.env.BACKOFFICE_KIOSKS),
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
  });
  console.log(`back office listening on ${server.url} (db ${dbPath})`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
