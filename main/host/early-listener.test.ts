// The browser host's first moment (issue 15 start-up): before fastify and the core are loaded it
// serves the start page's files only, to this host's own names only, with the full host's headers
// and boot cookie; everything else waits and is handed to the full host in order.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { BOOT_COOKIE, listenEarly, type EarlyHost } from './early-listener.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(mayHaveTester = true): Promise<EarlyHost> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-early-listener-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>kiosk</title>');
  writeFileSync(path.join(dir, 'assets', 'kiosk-abc.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'secret.json'), '{"not":"served early"}');
  const early = await listenEarly({ port: 0, rendererDir: dir, mayHaveTester, bootToken: 'token-1' });
  cleanups.push(() => early.close());
  return early;
}

/** A raw GET with the Host header as given (fetch would not send a foreign Host). */
function get(early: EarlyHost, pathName: string, host = `127.0.0.1:${early.port}`): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: early.port, path: pathName, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

it('serves index.html and assets/ at once with the security headers and the boot cookie on the page', async () => {
  const early = await setUp();
  const page = await get(early, '/');
  expect(page.status).toBe(200);
  expect(page.body).toContain('<title>kiosk</title>');
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['set-cookie']?.[0]).toBe(`${BOOT_COOKIE}=token-1; HttpOnly; SameSite=Strict; Path=/`);
  expect(page.headers['content-security-policy']).toContain("frame-ancestors 'self'");
  expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
  const script = await get(early, '/assets/kiosk-abc.js?v=1');
  expect(script.status).toBe(200);
  expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect(script.headers['set-cookie']).toBeUndefined();
  expect(script.headers['cache-control']).toBe('no-store');
});

it('serves nothing to another Host, nothing outside the start page, no tester: those wait for the full host, which gets them in order', async () => {
  const early = await setUp(false);
  const seen: string[] = [];
  // Without a tester nothing may frame the kiosk.
  const page = await get(early, '/');
  expect(page.headers['x-frame-options']).toBe('DENY');
  expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  const foreign = get(early, '/', `evil.example:${early.port}`);
  const other = get(early, '/secret.json');
  const traversal = get(early, '/assets/../secret.json');
  await new Promise((r) => setTimeout(r, 200));
  early.handOver(
    (req, res) => {
      seen.push(`${req.headers.host} ${req.url}`);
      res.writeHead(404).end('full host');
    },
    () => {},
  );
  expect((await foreign).body).toBe('full host');
  expect((await other).body).toBe('full host');
  expect((await traversal).body).toBe('full host');
  expect(seen).toEqual([`evil.example:${early.port} /`, `127.0.0.1:${early.port} /secret.json`, `127.0.0.1:${early.port} /assets/../secret.json`]);
});

it('refuses a non-loopback bind when the tester API may exist', async () => {
  await expect(listenEarly({ host: '0.0.0.0', port: 0, rendererDir: tmpdir(), mayHaveTester: true })).rejects.toThrow(/loopback only/);
});
