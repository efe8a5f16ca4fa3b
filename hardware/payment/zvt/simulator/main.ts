/**
 * The ZVT terminal simulator as its own process: plays the payment terminal on a serial device
 * (one end of a socat pseudo-terminal pair, or a real USB-serial adapter looped to a kiosk).
 *
 *   tsx hardware/payment/zvt/simulator/main.ts --path /tmp/zvt/terminal [--http-port 8765]
 *       [--behaviour approve] [--prompt-delay-ms 400] [--commit-window-ms 120000] [--baud 9600]
 *       [--password 000000] [--t1 200 --t2 5000 --t3 5000]
 *
 * Control at run time: JSON lines on stdin ({"cmd":"setBehaviour","behaviour":"decline"},
 * {"cmd":"state"}, {"cmd":"reboot"}, {"cmd":"stop"}); replies and state changes as JSON lines on
 * stdout; with --http-port also GET /state, POST /behaviour {"behaviour":...}, POST /reboot.
 * Logs go to stderr.
 */
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { systemClock } from '../../../../contract/time.js';
import { paymentHardwareConfigSchema } from '../../config.js';
import { realScheduler } from '../../scheduler.js';
import { startZvtSimulator } from '../hardware.js';
import { simulatorCommandSchema, type SimulatorOutput, type SimulatorState } from './control-protocol.js';
import { terminalBehaviourSchema } from '../../config.js';

const { values } = parseArgs({
  options: {
    path: { type: 'string' },
    'http-port': { type: 'string' },
    behaviour: { type: 'string' },
    'prompt-delay-ms': { type: 'string' },
    'commit-window-ms': { type: 'string' },
    'reask-ms': { type: 'string' },
    'reservation-lifetime-ms': { type: 'string' },
    baud: { type: 'string' },
    password: { type: 'string' },
    t1: { type: 'string' },
    t2: { type: 'string' },
    t3: { type: 'string' },
    verbose: { type: 'boolean' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`zvt-simulator: ${msg}\n`);
  process.exit(2);
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const parsed = paymentHardwareConfigSchema.safeParse({
  mode: 'wire',
  ...(values.behaviour ? { behaviour: values.behaviour } : {}),
  ...(values['prompt-delay-ms'] ? { promptDelayMs: num(values['prompt-delay-ms']) } : {}),
  ...(values['commit-window-ms'] ? { commitWindowMs: num(values['commit-window-ms']) } : {}),
  ...(values['reask-ms'] ? { reaskMs: num(values['reask-ms']) } : {}),
  ...(values['reservation-lifetime-ms'] ? { reservationLifetimeMs: num(values['reservation-lifetime-ms']) } : {}),
  ...(values.baud ? { baudRate: num(values.baud) } : {}),
  ...(values.password ? { password: values.password } : {}),
  timers: { ...(values.t1 ? { t1Ms: num(values.t1) } : {}), ...(values.t2 ? { t2Ms: num(values.t2) } : {}), ...(values.t3 ? { t3Ms: num(values.t3) } : {}) },
});
if (!values.path) fail('--path <serial device> is required');
if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));

const log = (msg: string, extra?: object) => {
  if (values.verbose) process.stderr.write(`${new Date().toISOString()} ${msg}${extra ? ' ' + JSON.stringify(extra) : ''}\n`);
};
const sim = await startZvtSimulator(parsed.data, values.path, { scheduler: realScheduler(), clock: systemClock, log }).catch((e: Error) => fail(e.message));
const state = (): SimulatorState => ({ behaviour: sim.behaviour(), registered: sim.isRegistered(), ledger: sim.ledger() });
const out = (o: SimulatorOutput) => process.stdout.write(JSON.stringify(o) + '\n');
sim.onChange(() => out({ event: 'state', state: state() }));

async function stop(): Promise<never> {
  await sim.stop().catch(() => undefined);
  process.exit(0);
}

let httpPort: number | undefined;
if (values['http-port'] !== undefined) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
      if (body.length > 10_000) req.destroy();
    });
    req.on('end', () => {
      const send = (status: number, o: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      try {
        if (req.method === 'GET' && req.url === '/state') return send(200, state());
        if (req.method === 'POST' && req.url === '/behaviour') {
          const b = terminalBehaviourSchema.safeParse((JSON.parse(body || '{}') as { behaviour?: unknown }).behaviour);
          if (!b.success) return send(400, { error: `behaviour must be one of ${sim.behaviours().join(', ')}` });
          sim.setBehaviour(b.data);
          return send(200, state());
        }
        if (req.method === 'POST' && req.url === '/reboot') {
          sim.reboot();
          return send(200, state());
        }
        send(404, { error: 'GET /state, POST /behaviour {"behaviour":...}, POST /reboot' });
      } catch (e) {
        send(400, { error: (e as Error).message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(Number(values['http-port']), '127.0.0.1', () => r()));
  const addr = server.address();
  httpPort = typeof addr === 'object' && addr ? addr.port : undefined;
  server.unref();
}

out({ event: 'ready', ...(httpPort !== undefined ? { httpPort } : {}), state: state() });

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return out({ id: -1, ok: false, error: 'not JSON' });
  }
  const c = simulatorCommandSchema.safeParse(json);
  const id = typeof (json as { id?: unknown }).id === 'number' ? (json as { id: number }).id : -1;
  if (!c.success) return out({ id, ok: false, error: c.error.issues.map((i) => i.message).join('; ') });
  switch (c.data.cmd) {
    case 'setBehaviour':
      sim.setBehaviour(c.data.behaviour);
      return out({ id, ok: true, state: state() });
    case 'silenceAfterPleaseWait':
      sim.silenceAfterPleaseWait();
      return out({ id, ok: true, state: state() });
    case 'state':
      return out({ id, ok: true, state: state() });
    case 'reboot':
      sim.reboot();
      return out({ id, ok: true, state: state() });
    case 'stop':
      out({ id, ok: true });
      void stop();
  }
});
rl.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
