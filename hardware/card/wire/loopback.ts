/**
 * Fast loopback for the virtual card. vpcd sends each message as two writes (2-byte length, then
 * payload) on a socket with Nagle's algorithm on; the receiving kernel delays its ACK of the first
 * write (Linux: ~40 ms), so every APDU would take ~44 ms. A `quickack` route makes the kernel ACK
 * at once. To change nothing else on the machine, the virtual card talks to vpcd over its own
 * loopback address (127.0.0.2; vpcd listens on all addresses) and only that route gets quickack:
 *   ip route replace local 127.0.0.2 dev lo table local quickack 1
 * Needs root (CAP_NET_ADMIN); without it everything still works, just at ~44 ms per APDU.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const VIRTUAL_CARD_HOST = '127.0.0.2';

const run = promisify(execFile);

/** Add the quickack route for `host` (a 127.x.y.z address other than 127.0.0.1). Returns whether
 * the route is in place; never throws. */
export async function ensureQuickAckLoopback(host: string, log?: (msg: string, extra?: object) => void): Promise<boolean> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) || host === '127.0.0.1') return false;
  try {
    const { stdout } = await run('ip', ['route', 'show', 'table', 'local', host]);
    if (/quickack 1/.test(stdout)) return true;
    await run('ip', ['route', 'replace', 'local', host, 'dev', 'lo', 'table', 'local', 'quickack', '1']);
    log?.('quickack loopback route added for the virtual card', { host });
    return true;
  } catch (e) {
    log?.('could not add the quickack loopback route (virtual card APDUs will take ~44 ms)', { host, error: String(e) });
    return false;
  }
}
