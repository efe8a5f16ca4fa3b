/**
 * The nfc-pcsc driver against a stand-in NFC object (same events and methods as nfc-pcsc 0.8.1)
 * whose transmit() runs the virtual card's reader firmware on a simulated chip: APDU formatting,
 * error mapping, the lost-connect workaround and the watchdog, without pcscd. The same driver runs
 * against a real pcscd in hardware/card/wire/card-stack.wire.test.ts.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../contract/time.js';
import { CardError, type CardReaderEvent, MIFARE_CLASSIC_4K_ATR_HEX } from '../card-reader.js';
import { imageBlock } from '../codec.js';
import { FIXTURE_CARD_MODELS, fixtureCardImage } from '../fixtures.js';
import { keyProviderFromJson, loadKeyFile } from '../keys.js';
import { AREA_LAYOUT } from '../layout.js';
import { MifareClassic4kChip } from '../mifare-classic.js';
import { MIFARE_CLASSIC_4K_ATR, VpcdVirtualCard } from '../wire/vpcd-card.js';
import type { Nfc, NfcReader } from './nfc-pcsc.js';
import { PcscCardReader } from './pcsc-reader.js';

const keys = loadKeyFile();
const clock = fixedClock('2026-11-23T09:00:00Z');
const firmware = new VpcdVirtualCard();

class FakePcscliteReader extends EventEmitter {
  SCARD_STATE_EMPTY = 0x10;
  SCARD_STATE_PRESENT = 0x20;
  state = 0x10;
  connected = false;
  constructor(public name: string) {
    super();
  }
  get_status() {}
}

class FakeReader extends EventEmitter {
  autoProcessing = true;
  card: { atr?: Buffer } | null = null;
  connection: { type: number; protocol: number } | null = null;
  reader: FakePcscliteReader;
  chip: MifareClassic4kChip | undefined;
  /** What the next transmit does instead of answering: 'empty' reply, or a rejection. */
  fault: 'empty' | Error | undefined;
  failConnects = 0;
  closed = false;
  constructor(public name: string) {
    super();
    this.reader = new FakePcscliteReader(name);
  }
  async connect() {
    if (this.failConnects > 0) {
      this.failConnects--;
      throw new Error('SCardConnect error: Card is unpowered.(0x80100067)');
    }
    this.connection = { type: 2, protocol: 2 };
    return this.connection;
  }
  async disconnect() {
    this.connection = null;
    return true;
  }
  transmit(data: Buffer): Promise<Buffer> {
    if (!this.card || !this.connection) throw Object.assign(new Error('No card or connection available.'), { code: 'card_not_connected' });
    const f = this.fault;
    this.fault = undefined;
    if (f === 'empty') return Promise.resolve(Buffer.alloc(0));
    if (f) return Promise.reject(f);
    return Promise.resolve(firmware.apdu(this.chip!, data));
  }
  close() {
    this.closed = true;
  }
  /** A card arrives the way nfc-pcsc reports it (connect, then 'card' with autoProcessing off). */
  async insert(chip: MifareClassic4kChip, opts: { loseConnectFailure?: boolean } = {}) {
    this.chip = chip;
    this.card = { atr: MIFARE_CLASSIC_4K_ATR };
    this.reader.emit('status', { state: 0x20, atr: MIFARE_CLASSIC_4K_ATR });
    if (opts.loseConnectFailure) {
      // nfc-pcsc 0.8.1: connect fails, the error is emitted under a wrong event name: no 'card'.
      return;
    }
    await this.connect();
    this.emit('card', { ...this.card });
  }
  removeCard() {
    this.card = null;
    this.connection = null;
    this.reader.emit('status', { state: 0x10 });
    this.emit('card.off', {});
  }
}

class FakeNfc extends EventEmitter {
  readers = {};
  closed = false;
  close() {
    this.closed = true;
  }
}

function setup(opts: { watchdogIntervalMs?: number; keys?: typeof keys } = {}) {
  const nfcs: FakeNfc[] = [];
  const reader = new PcscCardReader({
    keys: opts.keys ?? keys,
    clock,
    watchdogIntervalMs: opts.watchdogIntervalMs ?? 60_000,
    nfcFactory: () => {
      const n = new FakeNfc();
      nfcs.push(n);
      return n as unknown as Nfc;
    },
  });
  const events: CardReaderEvent[] = [];
  reader.subscribe((e) => events.push(e));
  const attach = (name = 'ACS ACR122U PICC Interface 00 00') => {
    const r = new FakeReader(name);
    nfcs.at(-1)!.emit('reader', r as unknown as NfcReader);
    return r;
  };
  return { reader, nfcs, events, attach };
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

async function codeOf(p: Promise<unknown>) {
  try {
    await p;
    return 'no error';
  } catch (e) {
    if (e instanceof CardError) return e.code;
    throw e;
  }
}

let active: PcscCardReader | undefined;
afterEach(async () => {
  await active?.stop();
  active = undefined;
});

describe('nfc-pcsc card reader driver', () => {
  it('reads a card through the PC/SC pseudo-APDUs and reports its UID (and ATR) on arrival', async () => {
    const { reader, events, attach } = setup();
    active = reader;
    await reader.start();
    const r = attach();
    await r.insert(new MifareClassic4kChip(fixtureCardImage('personal-products', keys)));
    await until(() => reader.currentCard() !== undefined);
    expect(events.map((e) => e.type)).toEqual(['reader-status', 'card-presented']);
    expect(reader.currentCard()).toBe(FIXTURE_CARD_MODELS['personal-products'].uid);
    expect(await reader.read()).toEqual(FIXTURE_CARD_MODELS['personal-products']);
    // The technician's dashboard shows the ATR nfc-pcsc reported with the card.
    expect(reader.lastAtr()).toBe(MIFARE_CLASSIC_4K_ATR.toString('hex').toUpperCase());
    expect(reader.lastAtr()).toBe(MIFARE_CLASSIC_4K_ATR_HEX);
    r.removeCard();
    expect(events.at(-1)).toEqual({ type: 'card-removed', uid: FIXTURE_CARD_MODELS['personal-products'].uid });
    expect(await codeOf(reader.read())).toBe('no-card');
  });

  it('maps failures to typed errors: empty answer and "card removed" are card-gone, 63 00 on authenticate is wrong-key', async () => {
    const { reader, attach } = setup();
    active = reader;
    await reader.start();
    const r = attach();
    await r.insert(new MifareClassic4kChip(fixtureCardImage('anonymous', keys)));
    await until(() => reader.currentCard() !== undefined);
    r.fault = 'empty';
    expect(await codeOf(reader.read())).toBe('card-gone');
    r.fault = new Error('SCardTransmit error: Card was removed.(0x80100069)');
    expect(await codeOf(reader.read())).toBe('card-gone');
    r.fault = new Error('SCardTransmit error: Transaction failed.(0x80100016)');
    expect(await codeOf(reader.read())).toBe('card-gone');
    r.fault = new Error('SCardTransmit error: Something odd.(0x80100001)');
    expect(await codeOf(reader.read())).toBe('io');
    r.chip = new MifareClassic4kChip(fixtureCardImage('anonymous', keyProviderFromJson({ format: 'ns-kiosk-card-keys/1', default: { a: '000000000000', b: '000000000000' } })));
    expect(await codeOf(reader.read())).toBe('wrong-key');
    // The same chip (UID) with a flipped bit in its current purse record. (A chip swapped under
    // the reader without a new arrival keeps the old UID, and keys are diversified per UID.)
    const damaged = fixtureCardImage('anonymous', keys);
    imageBlock(damaged, AREA_LAYOUT.purse.blocks[0][0]!)[5]! ^= 0x01;
    r.chip = new MifareClassic4kChip(damaged);
    expect(await codeOf(reader.read())).toBe('corrupt');
  });

  it('routes around nfc-pcsc losing a failed connect on card arrival: connects itself and reports the card', async () => {
    const { reader, events, attach } = setup();
    active = reader;
    await reader.start();
    const r = attach();
    r.failConnects = 1; // our first retry fails too; the second succeeds
    await r.insert(new MifareClassic4kChip(fixtureCardImage('business', keys)), { loseConnectFailure: true });
    await until(() => events.some((e) => e.type === 'card-presented'));
    expect((await reader.read()).kind).toBe('business');
  });

  it('watchdog: after PC/SC fails and the readers vanish it builds a fresh NFC object and finds the reader again', async () => {
    const { reader, nfcs, events, attach } = setup({ watchdogIntervalMs: 200 });
    active = reader;
    await reader.start();
    const r1 = attach();
    await r1.insert(new MifareClassic4kChip(fixtureCardImage('anonymous', keys)));
    await until(() => reader.currentCard() !== undefined);
    // pcscd goes away: the NFC object reports an error, the reader ends.
    nfcs[0]!.emit('error', new Error('SCardGetStatusChange error: Command cancelled.(0x80100002)'));
    r1.emit('end');
    expect(events.slice(-2)).toMatchObject([{ type: 'reader-status', ready: false }, { type: 'card-removed' }]);
    await until(() => nfcs.length === 2);
    expect(nfcs[0]!.closed).toBe(true);
    expect(reader.restarts).toBe(1);
    // The fresh NFC object sees the reader (pcscd is back) and a card on it.
    const r2 = attach();
    await r2.insert(new MifareClassic4kChip(fixtureCardImage('anonymous', keys)));
    await until(() => reader.currentCard() !== undefined);
    expect(events.filter((e) => e.type === 'reader-status').at(-1)).toMatchObject({ ready: true });
    expect((await reader.read()).cardNumber).toBe(FIXTURE_CARD_MODELS.anonymous.cardNumber);
  });

  it('watchdog: a reader unplugged and plugged in again is found without restarting the driver', async () => {
    const { reader, nfcs, attach } = setup({ watchdogIntervalMs: 200 });
    active = reader;
    await reader.start();
    const r1 = attach();
    r1.emit('end'); // unplugged
    await until(() => nfcs.length === 2);
    attach(); // plugged in again, seen by the fresh NFC object
    expect(reader.readerNames()).toEqual(['ACS ACR122U PICC Interface 00 00']);
  });

  it('uses only readers whose name matches readerName', async () => {
    const nfcs: FakeNfc[] = [];
    const reader = new PcscCardReader({ keys, clock, readerName: 'Virtual PCD 00 00', nfcFactory: () => (nfcs.push(new FakeNfc()), nfcs.at(-1) as unknown as Nfc) });
    active = reader;
    await reader.start();
    nfcs[0]!.emit('reader', new FakeReader('Virtual PCD 00 01') as unknown as NfcReader);
    nfcs[0]!.emit('reader', new FakeReader('Virtual PCD 00 00') as unknown as NfcReader);
    expect(reader.readerNames()).toEqual(['Virtual PCD 00 00']);
  });
});
