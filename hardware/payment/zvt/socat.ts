/**
 * A linked pair of pseudo-terminals made by socat: the wire-level stand-in for the RS-232 cable
 * between the kiosk and its payment terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentTerminalError } from '../errors.js';

export interface PtyPair {
  /** The kiosk's (ECR's) end. */
  ecrPath: string;
  /** The terminal's end. */
  terminalPath: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startPtyPair(opts: { dir?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const ownDir = !opts.dir;
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), 'zvt-pty-')));
  const ecrPath = path.join(dir, 'ecr');
  const terminalPath = path.join(dir, 'terminal');
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${ecrPath}`, `pty,raw,echo=0,link=${terminalPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new PaymentTerminalError('config', `cannot start socat: ${(e as Error).message}`, { cause: e });
  }
  const ready = await new Promise<true | Error>((resolve) => {
    let err = '';
    const timer = setTimeout(() => resolve(new Error(`socat did not start within ${opts.timeoutMs ?? 5_000} ms: ${err}`)), opts.timeoutMs ?? 5_000);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(new Error(e.code === 'ENOENT' ? 'socat is not installed (Debian: apt-get install socat)' : e.message));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(new Error(`socat exited with ${code}: ${err}`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  if (ready !== true) {
    child.kill('SIGKILL');
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw new PaymentTerminalError('config', ready.message);
  }
  child.stderr!.resume();
  // socat does not notice its parent dying: take it along when this process exits
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return {
    ecrPath,
    terminalPath,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
      }
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
