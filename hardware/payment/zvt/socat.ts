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
    // socat runs under a small shell that holds a pipe from this process: when this process ends in
    // any way (even SIGKILL) the pipe closes, `read` returns and the shell stops socat. No orphans.
    const script = 'command -v socat >/dev/null 2>&1 || exit 127; socat "$@" & s=$!; read _; kill $s 2>/dev/null; wait $s';
    child = spawn('sh', ['-c', script, 'sh', '-d', '-d', `pty,raw,echo=0,link=${ecrPath}`, `pty,raw,echo=0,link=${terminalPath}`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
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
      resolve(new Error(code === 127 ? 'socat is not installed (Debian: apt-get install socat)' : `socat exited with ${code}: ${err}`));
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
    child.stdin!.end();
    child.kill('SIGKILL');
    if (ownDir) await rm(dir, { recursive: true, force: true });
    throw new PaymentTerminalError('config', ready.message);
  }
  child.stderr!.resume();
  child.stdin!.on('error', () => undefined);
  return {
    ecrPath,
    terminalPath,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin!.end(); // the shell stops socat and exits
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      if (ownDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
