/**
 * Make sure a pcscd is running (wire mode and wire tests). pcscd's socket path is fixed, so there
 * is one per machine: if /run/pcscd/pcscd.comm answers, use that daemon; otherwise start
 * `pcscd -f -a` as a child (needs root) and wait for its socket and, when asked, for vpcd's port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const PCSCD_BINARY = '/usr/sbin/pcscd';
/** The ports vpcd listens on (its two slots: "Virtual PCD 00 00" and "00 01", CHANNELID 0x8C7B). */
export const VPCD_PORTS = [35963, 35964] as const;

export class PcscdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PcscdError';
  }
}

function canConnect(opts: net.NetConnectOpts, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(opts);
    const done = (ok: boolean) => {
      s.removeAllListeners();
      s.on('error', () => {});
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export function pcscdAnswers(): Promise<boolean> {
  return existsSync(PCSCD_SOCKET) ? canConnect({ path: PCSCD_SOCKET }) : Promise.resolve(false);
}

export function vpcdListening(host = '127.0.0.1', port: number = VPCD_PORTS[0]): Promise<boolean> {
  return canConnect({ host, port });
}

export interface PcscdHandle {
  /** True when this process started pcscd (and so stops it in stop()). */
  readonly owned: boolean;
  readonly pid: number | undefined;
  /** Last lines pcscd wrote (owned only), for diagnostics. */
  logTail(): string[];
  /** Stop pcscd if we started it (SIGTERM by default; SIGKILL to kill it the hard way). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface EnsurePcscdOptions {
  /** Also wait until vpcd listens on this port (default: 35963; false: don't wait). */
  vpcdPort?: number | false;
  vpcdHost?: string;
  timeoutMs?: number;
  log?: (msg: string, extra?: object) => void;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    if (child && child.exitCode !== null) throw new PcscdError(`pcscd exited (code ${child.exitCode}) before ${what}`);
    await sleep(50);
  }
  throw new PcscdError(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const RESERVED_PORTS = '/proc/sys/net/ipv4/ip_local_reserved_ports';

/**
 * Keep vpcd's ports out of the kernel's ephemeral range (32768-60999 by default): a busy machine
 * hands them out to outgoing connections and port-0 listeners, and a pcscd started while one holds
 * 35964 has a vpcd that cannot listen there, so the virtual card never connects (seen once the
 * money proofs ran beside the unit tests, most likely for this reason: a unit test's connection or port-0 listener held it). Root
 * only, like starting pcscd; returns whether the ports are reserved, never throws.
 */
export function reserveVpcdPorts(log?: (msg: string, extra?: object) => void): boolean {
  try {
    const now = readFileSync(RESERVED_PORTS, 'utf8').trim();
    const covered = (port: number) =>
      now.split(',').some((part) => {
        const [a, b] = part.split('-').map(Number);
        return a !== undefined && port >= a && port <= (b ?? a);
      });
    if (VPCD_PORTS.every(covered)) return true;
    writeFileSync(RESERVED_PORTS, [now, `${VPCD_PORTS[0]}-${VPCD_PORTS[VPCD_PORTS.length - 1]}`].filter(Boolean).join(','));
    log?.('vpcd ports reserved (no longer handed out as ephemeral ports)', { ports: VPCD_PORTS });
    return true;
  } catch (e) {
    log?.('could not reserve the vpcd ports (a busy machine may hand them out before vpcd listens)', { error: String(e) });
    return false;
  }
}

export async function ensurePcscd(opts: EnsurePcscdOptions = {}): Promise<PcscdHandle> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const vpcdPort = opts.vpcdPort === undefined ? VPCD_PORTS[0] : opts.vpcdPort;
  const vpcdHost = opts.vpcdHost ?? '127.0.0.1';
  if (await pcscdAnswers()) {
    if (vpcdPort !== false) await waitFor(`vpcd on ${vpcdHost}:${vpcdPort}`, () => vpcdListening(vpcdHost, vpcdPort), timeoutMs);
    return { owned: false, pid: undefined, logTail: () => [], stop: async () => {} };
  }
  if (!existsSync(PCSCD_BINARY)) throw new PcscdError(`${PCSCD_BINARY} not found: install the Debian package pcscd`);
  reserveVpcdPorts(opts.log);
  // A socket file nobody answers on is left over from a killed pcscd.
  if (existsSync(PCSCD_SOCKET)) {
    try {
      unlinkSync(PCSCD_SOCKET);
    } catch {
      /* pcscd will report it */
    }
  }
  const child = spawn(PCSCD_BINARY, ['-f', '-a'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
    if (tail.length > 200) tail.splice(0, tail.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new PcscdError(`cannot start pcscd: ${e.message}`, { cause: e }))));
  spawnError.catch(() => {});
  opts.log?.('started pcscd', { pid: child.pid });
  // Do not leave our pcscd behind when this process exits (normally or via process.exit()).
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  try {
    await Promise.race([waitFor('the pcscd socket', pcscdAnswers, timeoutMs, child), spawnError]);
    if (vpcdPort !== false) {
      await Promise.race([waitFor(`vpcd on ${vpcdHost}:${vpcdPort}`, () => vpcdListening(vpcdHost, vpcdPort), timeoutMs, child), spawnError]);
    }
  } catch (e) {
    child.kill('SIGTERM');
    throw new PcscdError(`${(e as Error).message}\n${tail.slice(-20).join('\n')}`, { cause: e });
  }
  return {
    owned: true,
    pid: child.pid,
    logTail: () => [...tail],
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
