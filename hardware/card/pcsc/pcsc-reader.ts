/**
 * The real card reader driver: nfc-pcsc over pcscd, for any PC/SC contactless reader (and for
 * vpcd's virtual reader on the wire path). Routes around nfc-pcsc 0.8.1's known bugs:
 * - APDUs are sent one at a time with transmit() (its multi-block read/write runs in parallel,
 *   and its key cache compares Buffers by identity so it reloads the key on every authenticate;
 *   we keep our own cache of what is in the reader's key slot);
 * - a failed connect on card arrival is emitted under the wrong event name and lost: we watch the
 *   pcsclite reader's status ourselves and connect again when a present card got no 'card' event;
 * - after pcscd restarts the NFC object never sees readers again: a watchdog builds a fresh NFC
 *   when no reader has been seen for a while or PC/SC reported an error;
 * - @pokusew/pcsclite's constructor retries SCardEstablishContext in a loop for as long as pcscd is
 *   absent (pcsclite.cpp: `do … while (result == SCARD_E_NO_SERVICE …)`), on the main thread: a
 *   fresh NFC built while pcscd was down froze the whole process at 100 % CPU until pcscd came back
 *   (seen in CI: the wire test that restarts pcscd from the same process never got to restart it).
 *   So a fresh NFC is built only after pcscd has accepted a connection on its socket (asked
 *   without blocking); otherwise the watchdog tries again. (A file check is not enough: a killed
 *   pcscd leaves its socket file, and the loop then spins on a refused connect.)
 */
import { connect } from 'node:net';
import type { Clock } from '../../../contract/time.js';
import type { CardIdentity, CardModel, CardSection } from '../../../contract/card.js';
import { CardError, type CardErrorCode, type CardReader, type CardReaderEvent, type CardUpdate } from '../card-reader.js';
import type { CardIdentification } from '../technician-card.js';
import type { BlockSession } from '../card-io.js';
import type { KeyProvider, KeyType } from '../keys.js';
import { firstBlockOfSector } from '../layout.js';
import { CardReaderCore } from '../reader-core.js';
import { loadNfcPcsc, type Nfc, type NfcCardInfo, type NfcPcscError, type NfcReader } from './nfc-pcsc.js';

/** The socket libpcsclite connects to (and stats before each attempt): its default, or PCSCLITE_CSOCK_NAME. */
export const PCSCD_SOCKET_PATH = process.env['PCSCLITE_CSOCK_NAME'] ?? '/run/pcscd/pcscd.comm';

/** Whether pcscd accepts a connection on its socket now (the event loop is not held meanwhile). */
function pcscdReachable(timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path: PCSCD_SOCKET_PATH });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface PcscCardReaderOptions {
  keys: KeyProvider;
  clock: Clock;
  log?: (msg: string, extra?: object) => void;
  /** Use only readers whose name contains this (default: any reader). */
  readerName?: string;
  /** Watchdog period (ms): how soon a vanished pcscd or reader is noticed and PC/SC reopened. */
  watchdogIntervalMs?: number;
  /** For tests: build the NFC object another way. */
  nfcFactory?: () => Nfc;
}

// PC/SC return codes (pcsclite.h) that mean the card is no longer there.
const CARD_GONE_CODES = [0x80100069, 0x80100068, 0x8010000c, 0x80100066, 0x80100067, 0x80100016];
// ... and those that mean the reader or the daemon is gone.
const READER_GONE_CODES = [0x80100017, 0x8010001d, 0x8010001e, 0x80100013, 0x80100009, 0x8010002e];

function pcscCode(e: unknown): number | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const msg = cur instanceof Error ? cur.message : String(cur);
    const m = /\(0x([0-9a-f]{8})\)/i.exec(msg);
    if (m) return parseInt(m[1]!, 16);
    cur = (cur as NfcPcscError).previous;
  }
  return undefined;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

interface ActiveCard {
  reader: NfcReader;
  uid: string;
  /** What this driver last loaded into the reader's key slot 0 (hex), while this card is on. */
  loadedKey: string | undefined;
  gone: boolean;
}

class PcscSession implements BlockSession {
  constructor(
    private readonly driver: PcscCardReader,
    private readonly card: ActiveCard,
  ) {}
  get uid(): string {
    return this.card.uid;
  }

  async authenticate(sector: number, keyType: KeyType, key: Uint8Array): Promise<void> {
    const k = hex(key);
    if (this.card.loadedKey !== k) {
      this.card.loadedKey = undefined;
      const sw = await this.driver.apdu(this.card, Buffer.concat([Buffer.from([0xff, 0x82, 0x00, 0x00, 0x06]), Buffer.from(key)]), 2);
      if (!isOk(sw)) throw this.driver.failure(this.card, 'io', `the reader refused to load a key (SW ${swHex(sw)})`);
      this.card.loadedKey = k;
    }
    const block = firstBlockOfSector(sector);
    const sw = await this.driver.apdu(this.card, Buffer.from([0xff, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, block, keyType === 'A' ? 0x60 : 0x61, 0x00]), 2);
    if (!isOk(sw)) throw this.driver.failure(this.card, 'wrong-key', `authentication with key ${keyType} refused for sector ${sector} (SW ${swHex(sw)})`);
  }

  async readBlock(block: number): Promise<Uint8Array> {
    const r = await this.driver.apdu(this.card, Buffer.from([0xff, 0xb0, 0x00, block, 0x10]), 18);
    if (!isOk(r) || r.length !== 18) throw this.driver.failure(this.card, 'io', `read of block ${block} failed (SW ${swHex(r)}, ${r.length} bytes)`);
    return Uint8Array.from(r.subarray(0, 16));
  }

  async writeBlock(block: number, data: Uint8Array): Promise<void> {
    const r = await this.driver.apdu(this.card, Buffer.concat([Buffer.from([0xff, 0xd6, 0x00, block, 0x10]), Buffer.from(data)]), 2);
    if (!isOk(r)) throw this.driver.failure(this.card, 'io', `write of block ${block} failed (SW ${swHex(r)})`);
  }
}

const isOk = (r: Buffer) => r.length >= 2 && r[r.length - 2] === 0x90 && r[r.length - 1] === 0x00;
const swHex = (r: Buffer) => (r.length >= 2 ? r.subarray(-2).toString('hex').toUpperCase() : 'none');

export class PcscCardReader implements CardReader {
  private readonly core: CardReaderCore;
  private nfc: Nfc | undefined;
  private nfcGeneration = 0;
  private readonly readers = new Map<string, NfcReader>();
  /** Readers seen but not matching `readerName` (closed with the NFC object). */
  private readonly ignored = new Set<NfcReader>();
  private active: ActiveCard | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private nfcBornAt = 0;
  private pcscFailed = false;
  private reopening = false;
  private readonly lastStatusAt = new WeakMap<NfcReader, number>();
  private ready = false;
  private started = false;
  private readonly interval: number;
  /** How many times the watchdog built a fresh NFC object (diagnostics and tests). */
  restarts = 0;

  constructor(private readonly opts: PcscCardReaderOptions) {
    this.interval = opts.watchdogIntervalMs ?? 2000;
    this.core = new CardReaderCore(opts, () => this.session());
  }

  // --- CardReader ---------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.openNfcWhenPcscdAnswers();
    this.watchdog = setInterval(() => this.checkHealth(), Math.max(100, Math.floor(this.interval / 2)));
    this.watchdog.unref?.();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    while (this.reopening) await new Promise((res) => setTimeout(res, 25));
    await this.closeNfc();
    this.setReady(false, 'stopped');
  }

  subscribe(listener: (event: CardReaderEvent) => void): () => void {
    return this.core.subscribe(listener);
  }

  currentCard(): string | undefined {
    return this.active && !this.active.gone ? this.active.uid : undefined;
  }

  private atr: string | undefined;
  lastAtr(): string | undefined {
    return this.atr;
  }

  /** Names of the readers in use now. */
  readerNames(): string[] {
    return [...this.readers.keys()];
  }

  read(sections?: readonly CardSection[]): Promise<CardModel> {
    return this.core.read(sections);
  }

  identify(): Promise<CardIdentification> {
    return this.core.identify();
  }

  write(expected: CardIdentity, update: CardUpdate): Promise<CardModel> {
    return this.core.write(expected, update);
  }

  // --- APDU transport (used by the session) -------------------------------------------------

  async apdu(card: ActiveCard, cmd: Buffer, maxLen: number): Promise<Buffer> {
    if (card.gone) throw new CardError('card-gone', 'the card left the field');
    let res: Buffer;
    try {
      res = await card.reader.transmit(cmd, maxLen);
    } catch (e) {
      throw this.transmitError(card, e);
    }
    // A command cut off by the card leaving the field comes back empty.
    if (!res || res.length < 2) throw new CardError('card-gone', 'the card left the field during a command');
    return res;
  }

  failure(card: ActiveCard, code: CardErrorCode, message: string): CardError {
    // A refusal from a card that has just left is a removal, not a key or data problem.
    if (card.gone || !this.readers.has(card.reader.name)) return new CardError('card-gone', `the card left the field (${message})`);
    return new CardError(code, message);
  }

  private transmitError(card: ActiveCard, e: unknown): CardError {
    const code = pcscCode(e);
    const msg = e instanceof Error ? e.message : String(e);
    if (card.gone || (code !== undefined && CARD_GONE_CODES.includes(code)) || (e as NfcPcscError)?.code === 'card_not_connected') {
      return new CardError('card-gone', `the card left the field: ${msg}`, { cause: e });
    }
    if (code !== undefined && READER_GONE_CODES.includes(code)) {
      this.pcscFailed = true;
      return new CardError('reader-unavailable', `card reader or PC/SC unavailable: ${msg}`, { cause: e });
    }
    return new CardError('io', `card transmission failed: ${msg}`, { cause: e });
  }

  // --- NFC object lifecycle and watchdog ----------------------------------------------------

  /** openNfc, for the real nfc-pcsc only once pcscd answers (see the header: its constructor spins while pcscd is away). */
  private async openNfcWhenPcscdAnswers(): Promise<void> {
    if (!this.opts.nfcFactory && !(await pcscdReachable())) {
      this.pcscFailed = true;
      this.setReady(false, `PC/SC unavailable: pcscd does not answer on ${PCSCD_SOCKET_PATH}`);
      return;
    }
    if (this.started) this.openNfc();
  }

  private openNfc(): void {
    const gen = ++this.nfcGeneration;
    let nfc: Nfc;
    try {
      nfc = this.opts.nfcFactory ? this.opts.nfcFactory() : new (loadNfcPcsc())();
    } catch (e) {
      this.pcscFailed = true;
      this.opts.log?.('cannot open PC/SC', { error: String(e) });
      this.setReady(false, `PC/SC unavailable: ${String(e)}`);
      return;
    }
    this.nfc = nfc;
    this.nfcBornAt = Date.now();
    this.pcscFailed = false;
    nfc.on('error', (err) => {
      if (gen !== this.nfcGeneration) return;
      this.opts.log?.('PC/SC error', { error: err.message });
      this.pcscFailed = true;
      this.setReady(false, err.message);
    });
    nfc.on('reader', (reader) => {
      if (gen !== this.nfcGeneration) return;
      this.attachReader(reader, gen);
    });
  }

  /**
   * Close the NFC object. pcsclite's CardReader.close() cancels the reader's status thread and
   * joins it; called while nfc-pcsc's disconnect after a card removal is still in flight (or right
   * after a status change) it can block the whole process for good. So first let each reader go
   * quiet: disconnect a connected card ourselves, wait for in-flight disconnects and for 150 ms
   * without status events (at most ~1.5 s), then close.
   */
  private async closeNfc(): Promise<void> {
    const nfc = this.nfc;
    this.nfc = undefined;
    this.nfcGeneration++;
    const readers = [...this.readers.values(), ...this.ignored];
    this.readers.clear();
    this.ignored.clear();
    if (this.active) this.cardGone(this.active);
    for (const r of readers) {
      if (r.connection && r.card) {
        try {
          await Promise.race([r.disconnect(), new Promise((res) => setTimeout(res, 500))]);
        } catch {
          /* already gone */
        }
      }
      const until = Date.now() + 1500;
      while (Date.now() < until && (r.connection !== null || Date.now() - (this.lastStatusAt.get(r) ?? 0) < 150)) {
        await new Promise((res) => setTimeout(res, 25));
      }
      try {
        r.close();
      } catch {
        /* the reader may already be gone */
      }
    }
    if (nfc) {
      try {
        nfc.close();
      } catch {
        /* a dead pcscd context cannot be closed cleanly */
      }
    }
  }

  private checkHealth(): void {
    if (!this.started || this.reopening) return;
    const age = Date.now() - this.nfcBornAt;
    // No reader seen for a whole interval (pcscd restarted, reader unplugged), or PC/SC failed:
    // build a fresh NFC object. Never while a card operation is running on a live reader.
    if ((this.readers.size === 0 && age >= this.interval) || (this.pcscFailed && age >= Math.min(500, this.interval))) {
      this.restarts++;
      this.opts.log?.('card reader watchdog: reopening PC/SC', { readers: this.readers.size, pcscFailed: this.pcscFailed });
      this.reopening = true;
      void this.closeNfc()
        .then(() => (this.started ? this.openNfcWhenPcscdAnswers() : undefined))
        .finally(() => {
          this.reopening = false;
        });
    }
  }

  private attachReader(reader: NfcReader, gen: number): void {
    const name = reader.name;
    if (this.opts.readerName && !name.includes(this.opts.readerName)) {
      this.opts.log?.('ignoring reader', { reader: name });
      reader.on('error', () => {});
      reader.reader.on('status', () => this.lastStatusAt.set(reader, Date.now()));
      this.ignored.add(reader);
      reader.on('end', () => this.ignored.delete(reader));
      return;
    }
    reader.autoProcessing = false;
    this.readers.set(name, reader);
    this.opts.log?.('reader attached', { reader: name });
    this.setReady(true, undefined, name);
    let cardSeen = false;

    reader.on('card', (info?: NfcCardInfo) => {
      if (gen !== this.nfcGeneration) return;
      cardSeen = true;
      if (info?.atr && info.atr.length > 0) this.atr = info.atr.toString('hex').toUpperCase();
      void this.cardArrived(reader);
    });
    reader.on('card.off', () => {
      if (gen !== this.nfcGeneration) return;
      cardSeen = false;
      if (this.active?.reader === reader) this.cardGone(this.active);
    });
    reader.on('error', (err) => {
      if (gen !== this.nfcGeneration) return;
      this.opts.log?.('reader error', { reader: name, error: err.message });
      const code = pcscCode(err);
      if (code !== undefined && READER_GONE_CODES.includes(code)) this.pcscFailed = true;
    });
    reader.on('end', () => {
      if (gen !== this.nfcGeneration) return;
      this.opts.log?.('reader removed', { reader: name });
      this.readers.delete(name);
      if (this.active?.reader === reader) this.cardGone(this.active);
      if (this.readers.size === 0) this.setReady(false, 'no card reader');
    });
    // nfc-pcsc loses a failed connect on card arrival: if a card is present and no 'card' event
    // followed, connect ourselves.
    reader.reader.on('status', (status: { state: number }) => {
      this.lastStatusAt.set(reader, Date.now());
      if (gen !== this.nfcGeneration) return;
      const present = (status.state & reader.reader.SCARD_STATE_PRESENT) !== 0;
      if (!present) return;
      setTimeout(() => {
        if (gen !== this.nfcGeneration || cardSeen || !this.readers.has(name)) return;
        if (reader.connection) return;
        void this.reconnectLostCard(reader, gen, () => cardSeen, () => (cardSeen = true));
      }, 300).unref?.();
    });
  }

  private async reconnectLostCard(reader: NfcReader, gen: number, seen: () => boolean, markSeen: () => void): Promise<void> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (gen !== this.nfcGeneration || seen()) return;
      try {
        if (!reader.card) reader.card = {};
        await reader.connect('CONNECT_MODE_CARD');
        this.opts.log?.('connected to a card nfc-pcsc failed to connect', { reader: reader.name, attempt });
        markSeen();
        await this.cardArrived(reader);
        return;
      } catch (e) {
        this.opts.log?.('card connect failed', { reader: reader.name, attempt, error: String(e) });
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private async cardArrived(reader: NfcReader): Promise<void> {
    if (this.active && !this.active.gone) this.cardGone(this.active);
    const probe: ActiveCard = { reader, uid: '', loadedKey: undefined, gone: false };
    try {
      const r = await this.apdu(probe, Buffer.from([0xff, 0xca, 0x00, 0x00, 0x00]), 12);
      if (!isOk(r) || r.length < 6) {
        this.opts.log?.('card without a readable UID ignored', { reader: reader.name, sw: swHex(r) });
        return;
      }
      probe.uid = r.subarray(0, -2).toString('hex').toUpperCase();
    } catch (e) {
      this.opts.log?.('reading the card UID failed', { reader: reader.name, error: String(e) });
      return;
    }
    if (!reader.card) return; // left while we asked
    this.active = probe;
    this.emit({ type: 'card-presented', uid: probe.uid });
  }

  private cardGone(card: ActiveCard): void {
    if (card.gone) return;
    card.gone = true;
    if (this.active === card) this.active = undefined;
    if (card.uid) this.emit({ type: 'card-removed', uid: card.uid });
  }

  private setReady(ready: boolean, detail?: string, readerName?: string): void {
    if (this.ready === ready && ready) return;
    if (!ready && !this.ready) return;
    this.ready = ready;
    const e: CardReaderEvent = { type: 'reader-status', ready };
    if (readerName) e.readerName = readerName;
    if (detail) e.detail = detail;
    this.emit(e);
  }

  private session(): BlockSession {
    if (!this.started || this.readers.size === 0) throw new CardError('reader-unavailable', 'no card reader available');
    if (!this.active || this.active.gone) throw new CardError('no-card', 'no card on the reader');
    return new PcscSession(this, this.active);
  }

  private emit(e: CardReaderEvent): void {
    this.core.emit(e);
  }
}
