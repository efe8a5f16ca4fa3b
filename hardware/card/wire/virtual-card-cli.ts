/**
 * The wire-level virtual card as a program, for testers driving any PC/SC application (or the
 * kiosk started separately in wire mode with its own emulator disabled) through pcscd + vpcd:
 *
 *   tsx hardware/card/wire/virtual-card-cli.ts [--host 127.0.0.2] [--port 35963] [--keys FILE]
 *
 * Then type commands on stdin: `list`, `present <fixture-id>`, `remove`, `reset`, `status`, `quit`.
 * pcscd (with vsmartcard-vpcd) must be running, or pass --start-pcscd to start it (root).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { FIXTURE_CARD_IDS, type FixtureCardId } from '../../../contract/fixture-cards.js';
import { DEFAULT_EMULATION_KEY_FILE, loadKeyFile } from '../keys.js';
import { ensureQuickAckLoopback, VIRTUAL_CARD_HOST } from './loopback.js';
import { ensurePcscd, type PcscdHandle } from './pcscd.js';
import { WireCardEmulator } from './wire-emulator.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: VIRTUAL_CARD_HOST },
    port: { type: 'string', default: '35963' },
    keys: { type: 'string', default: DEFAULT_EMULATION_KEY_FILE },
    'start-pcscd': { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`bad --port ${values.port}`);
  process.exit(2);
}
const log = (msg: string, extra?: object) => console.error(`[virtual-card] ${msg}${extra ? ` ${JSON.stringify(extra)}` : ''}`);

let pcscd: PcscdHandle | undefined;
try {
  await ensureQuickAckLoopback(values.host, log);
  if (values['start-pcscd']) pcscd = await ensurePcscd({ vpcdHost: values.host, vpcdPort: port, log });
} catch (e) {
  console.error(String(e));
  process.exit(1);
}
const emu = new WireCardEmulator(loadKeyFile(values.keys), { host: values.host, port, log });

async function command(line: string): Promise<boolean> {
  const [cmd, arg] = line.trim().split(/\s+/);
  switch (cmd) {
    case undefined:
    case '':
      return true;
    case 'list':
      for (const f of emu.fixtures()) console.log(`${f.id.padEnd(28)} ${f.label}`);
      return true;
    case 'present':
      if (!arg || !FIXTURE_CARD_IDS.includes(arg as FixtureCardId)) {
        console.log(`unknown fixture; one of: ${FIXTURE_CARD_IDS.join(', ')}`);
        return true;
      }
      await emu.present(arg as FixtureCardId);
      console.log(`presented ${arg}`);
      return true;
    case 'remove':
      await emu.remove();
      console.log('removed');
      return true;
    case 'reset':
      await emu.resetFixtures();
      console.log('fixtures reset');
      return true;
    case 'status':
      console.log(`presented: ${emu.presented() ?? 'none'}; connected to vpcd: ${emu.card.isConnected()}; APDUs: ${emu.card.apduCount()}`);
      return true;
    case 'quit':
    case 'exit':
      return false;
    default:
      console.log('commands: list, present <fixture-id>, remove, reset, status, quit');
      return true;
  }
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  try {
    if (!(await command(line))) break;
  } catch (e) {
    console.log(`error: ${(e as Error).message}`);
  }
}
rl.close();
await emu.close();
await pcscd?.stop();
