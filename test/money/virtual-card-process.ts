/**
 * The traveller's card for the money proofs, in its own process so that killing the kiosk leaves
 * it (and its contents) alone: the wire-level virtual MIFARE card (hardware/card/wire) connected to
 * vpcd inside a real pcscd. Card contents live here for the life of this process.
 *
 * Control: JSON lines on stdin, one JSON answer line per command on stdout ({id, ok, ...}).
 *   {"id":1,"cmd":"present","fixture":"anonymous"}   put the card on the reader
 *   {"id":2,"cmd":"remove"}                           take it away
 *   {"id":3,"cmd":"killAfterWrite","pid":123,"n":2}   SIGKILL process `pid` right after the card carried
 *                                                    out its n-th block write (UPDATE BINARY), before
 *                                                    the answer goes back: a kiosk dying mid-write
 *   {"id":4,"cmd":"tearAfterWrite","n":2}             the card leaves the field right after carrying
 *                                                    out its n-th block write, before answering
 *   {"id":5,"cmd":"disarm"} / {"id":6,"cmd":"writes"} (block writes counted since the last arm)
 *   "n":"index" instead of a count: right after the write of an index half (block 4 or 5), the
 *   commit point and the last block write of any card update, whatever the update's size (the
 *   card's credit-ref log grows with its first credits, so a count taken once goes stale)
 * argv: --host H --port P (vpcd; the reader is "Virtual PCD 00 0x" for port 35963+x)
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { FIXTURE_CARD_IDS, type FixtureCardId } from '../../contract/fixture-cards.js';
import { DEFAULT_EMULATION_KEY_FILE, loadKeyFile } from '../../hardware/card/keys.js';
import { WireCardEmulator } from '../../hardware/card/wire/wire-emulator.js';

const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '35964' } } });

const commandSchema = z.discriminatedUnion('cmd', [
  z.object({ id: z.number().int(), cmd: z.literal('present'), fixture: z.enum(FIXTURE_CARD_IDS as [FixtureCardId, ...FixtureCardId[]]) }),
  z.object({ id: z.number().int(), cmd: z.literal('remove') }),
  z.object({ id: z.number().int(), cmd: z.literal('killAfterWrite'), pid: z.number().int().positive(), n: z.union([z.number().int().min(1), z.literal('index')]) }),
  z.object({ id: z.number().int(), cmd: z.literal('tearAfterWrite'), n: z.union([z.number().int().min(1), z.literal('index')]) }),
  z.object({ id: z.number().int(), cmd: z.literal('disarm') }),
  z.object({ id: z.number().int(), cmd: z.literal('writes') }),
]);

// Synchronous writes: an answer must be out before anything else happens in this process.
const out = (o: object) => writeSync(1, JSON.stringify(o) + '\n');
const log = process.env.MONEY_LOG ? (msg: string, extra?: object) => process.stderr.write(`[card] ${msg} ${JSON.stringify(extra ?? {})}\n`) : undefined;

const emu = new WireCardEmulator(loadKeyFile(DEFAULT_EMULATION_KEY_FILE), { host: values.host, port: Number(values.port), ...(log ? { log } : {}) });

let writes = 0;
let armed: { kind: 'kill'; pid: number; n: number | 'index' } | { kind: 'tear'; n: number | 'index' } | undefined;

// The reader firmware's APDU handler is where a block write is carried out; watch it there.
const card = emu.card;
const firmware = card.apdu.bind(card);
card.apdu = (chip, apdu) => {
  const reply = firmware(chip, apdu);
  const isWrite = apdu[0] === 0xff && apdu[1] === 0xd6 && reply.length === 2 && reply[0] === 0x90 && reply[1] === 0x00;
  if (isWrite) {
    writes++;
    // UPDATE BINARY: FF D6 00 <block> 10 <data>; the index halves are blocks 4 and 5.
    if (armed && (armed.n === 'index' ? apdu[3] === 4 || apdu[3] === 5 : writes === armed.n)) {
      const a = armed;
      armed = undefined;
      if (a.kind === 'kill') {
        try {
          process.kill(a.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        out({ event: 'killed', pid: a.pid, afterWrite: writes });
      } else {
        // eject synchronously closes the socket: the answer below goes nowhere (a real tear)
        void emu.remove();
        out({ event: 'torn', afterWrite: writes });
      }
    }
  }
  return reply;
};

out({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  let c: z.infer<typeof commandSchema>;
  try {
    c = commandSchema.parse(JSON.parse(line));
  } catch (e) {
    out({ id: -1, ok: false, error: `bad command: ${(e as Error).message.slice(0, 200)}` });
    continue;
  }
  try {
    switch (c.cmd) {
      case 'present':
        await emu.present(c.fixture);
        break;
      case 'remove':
        await emu.remove();
        break;
      case 'killAfterWrite':
        writes = 0;
        armed = { kind: 'kill', pid: c.pid, n: c.n };
        break;
      case 'tearAfterWrite':
        writes = 0;
        armed = { kind: 'tear', n: c.n };
        break;
      case 'disarm':
        armed = undefined;
        writes = 0;
        break;
      case 'writes':
        break;
    }
    out({ id: c.id, ok: true, writes, presented: emu.presented() ?? null });
  } catch (e) {
    out({ id: c.id, ok: false, error: (e as Error).message });
  }
}
await emu.close();
