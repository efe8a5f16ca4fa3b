/**
 * Runs the simulator as a separate process (tsx) and mirrors its state, so the synchronous
 * TerminalEmulatorControl calls answer from the latest state the process reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedPaymentHardwareConfig } from '../../config.js';
import { TERMINAL_BEHAVIOURS } from '../../config.js';
import type { LedgerEntry, TerminalBehaviour, TerminalEmulatorControl } from '../../emulator-control.js';
import { PaymentTerminalError } from '../../errors.js';
import { simulatorOutputSchema, type SimulatorCommand, type SimulatorState } from './control-protocol.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

export interface SimulatorProcessControl extends TerminalEmulatorControl {
  readonly pid: number | undefined;
  readonly httpPort: number | undefined;
  /** Ask the process for its state now (the synchronous methods answer from the last report). */
  refresh(): Promise<SimulatorState>;
  reboot(): Promise<void>;
  /** One-shot: go silent right after acknowledging the ECR's next "please wait" (ZvtTerminalSimulator.silenceAfterPleaseWait). */
  silenceAfterPleaseWait(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(
  c: ResolvedPaymentHardwareConfig,
  terminalPath: string,
  opts: { log?: (msg: string, extra?: object) => void; httpPort?: number } = {},
): Promise<SimulatorProcessControl> {
  const args = [
    '--import',
    'tsx',
    MAIN,
    '--path', terminalPath,
    '--behaviour', c.behaviour,
    '--prompt-delay-ms', String(c.promptDelayMs),
    '--commit-window-ms', String(c.commitWindowMs),
    '--reask-ms', String(c.reaskMs),
    '--reservation-lifetime-ms', String(c.reservationLifetimeMs),
    '--baud', String(c.baudRate),
    '--password', c.password,
    '--t1', String(c.timers.t1Ms),
    '--t2', String(c.timers.t2Ms),
    '--t3', String(c.timers.t3Ms),
    ...(opts.httpPort !== undefined ? ['--http-port', String(opts.httpPort)] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => opts.log?.(`simulator: ${d.toString().trimEnd()}`));
  let state: SimulatorState | undefined;
  let httpPort: number | undefined;
  let nextId = 1;
  const waiting = new Map<number, (s: SimulatorState | undefined, err?: string) => void>();
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new PaymentTerminalError('config', `simulator process exited (${code}) before it was ready`)));
    child.once('error', (e) => reject(new PaymentTerminalError('config', `cannot start the simulator process: ${e.message}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let o;
      try {
        o = simulatorOutputSchema.parse(JSON.parse(line));
      } catch {
        opts.log?.('simulator: unreadable control line', { line });
        return;
      }
      if ('event' in o) {
        state = o.state;
        if (o.event === 'ready') {
          httpPort = o.httpPort;
          resolve();
        }
      } else {
        if (o.state) state = o.state;
        waiting.get(o.id)?.(o.state, o.error);
        waiting.delete(o.id);
      }
    });
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await ready;
  } finally {
    clearTimeout(timeout);
  }
  const request = (cmd: SimulatorCommand): Promise<SimulatorState | undefined> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (s, err) => (err ? reject(new PaymentTerminalError('invalid-request', err)) : resolve(s)));
      child.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    });
  return {
    pid: child.pid,
    get httpPort() {
      return httpPort;
    },
    behaviours: (): TerminalBehaviour[] => [...TERMINAL_BEHAVIOURS],
    behaviour: () => state!.behaviour,
    setBehaviour(b: TerminalBehaviour) {
      if (!(TERMINAL_BEHAVIOURS as readonly string[]).includes(b)) throw new PaymentTerminalError('invalid-request', `unknown terminal behaviour: ${String(b)}`);
      state = { ...state!, behaviour: b };
      void request({ cmd: 'setBehaviour', behaviour: b }).catch((e: Error) => opts.log?.('simulator: setBehaviour failed', { error: e.message }));
    },
    ledger: (): LedgerEntry[] => state!.ledger.map((e) => ({ ...e })),
    async refresh() {
      return (await request({ cmd: 'state' }))!;
    },
    async reboot() {
      await request({ cmd: 'reboot' });
    },
    async silenceAfterPleaseWait() {
      await request({ cmd: 'silenceAfterPleaseWait' });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end(JSON.stringify({ cmd: 'stop' }) + '\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(t);
    },
  };
}
