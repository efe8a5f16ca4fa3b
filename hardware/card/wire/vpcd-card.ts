/**
 * The wire-level virtual card: connects to vpcd (the virtual smart-card reader driver inside a
 * real pcscd) and plays a contactless reader with a MIFARE Classic 4K card on it. It answers
 * vpcd's socket protocol (2-byte big-endian length + payload; 1-byte control messages 00 off,
 * 01 on, 02 reset, 04 get ATR) and the PC/SC part 3 pseudo-APDUs a reader's firmware implements
 * for storage cards (FF CA get UID, FF 82 load key, FF 86/FF 88 authenticate, FF B0 read binary,
 * FF D6 update binary), checking keys and access bits on a simulated chip, `63 00` on failure.
 * Present a card = connect the socket; remove it = close the socket.
 *
 * Hand-written (no library speaks vpcd's protocol from Node; vsmartcard's own vicc is Python).
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyType } from '../keys.js';
import type { MifareClassic4kChip } from '../mifare-classic.js';

/** PC/SC part 3 ATR of a contactless MIFARE Classic 4K storage card ("Dutch ov-chipkaart"). */
export const MIFARE_CLASSIC_4K_ATR = Buffer.from('3B8F8001804F0CA0000003060300020000000069', 'hex');
export const VPCD_DEFAULT_PORT = 35963;

const SW_OK = Buffer.from([0x90, 0x00]);
const SW_FAIL = Buffer.from([0x63, 0x00]);
const SW_WRONG_LENGTH = Buffer.from([0x67, 0x00]);
const SW_WRONG_P1P2 = Buffer.from([0x6b, 0x00]);
const SW_FUNC_NOT_SUPPORTED = Buffer.from([0x6a, 0x81]);
const SW_INS_NOT_SUPPORTED = Buffer.from([0x6d, 0x00]);
const SW_CLA_NOT_SUPPORTED = Buffer.from([0x6e, 0x00]);

export interface VpcdVirtualCardOptions {
  host?: string;
  port?: number;
  /** Retry delay while vpcd is not there (pcscd down or restarting). */
  reconnectMs?: number;
  /** A card must stay away at least this long before the next one goes on (ms). pcscd polls
   * vpcd for presence every 400 ms; a removal shorter than that is never seen, and the kiosk would
   * take the next card for the one before. Default 600. */
  minAbsentMs?: number;
  log?: (msg: string, extra?: object) => void;
}

/**
 * Reader firmware + card. Key slots belong to the reader (they survive card changes, like an
 * ACR122U's volatile key memory survives until the reader is unplugged).
 */
export class VpcdVirtualCard {
  private chip: MifareClassic4kChip | undefined;
  private socket: net.Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly keySlots: (Uint8Array | undefined)[] = [undefined, undefined];
  private apdus = 0;
  private tearAt: number | undefined;
  private tearAtWrite: number | undefined;
  private writes = 0;
  private generation = 0;
  private closed = false;
  private readonly host: string;
  private readonly port: number;
  private readonly reconnectMs: number;
  private connectedWaiters: (() => void)[] = [];
  private lastEjectAt = 0;
  private readonly minAbsentMs: number;

  constructor(private readonly opts: VpcdVirtualCardOptions = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? VPCD_DEFAULT_PORT;
    this.reconnectMs = opts.reconnectMs ?? 100;
    this.minAbsentMs = opts.minAbsentMs ?? 600;
  }

  /** The chip now on the reader, if any. */
  inserted(): MifareClassic4kChip | undefined {
    return this.chip;
  }

  isConnected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && !this.socket.connecting;
  }

  /** APDUs answered (or torn) since this object was made. */
  apduCount(): number {
    return this.apdus;
  }

  /** Tear at a boundary: the next `n` APDUs (n >= 1) reach the card; the n-th is carried out,
   * then the card leaves the field (socket closed) before its answer is sent. */
  tearAfterApdus(n: number | undefined): void {
    if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new RangeError('tear after at least one APDU');
    this.tearAt = n === undefined ? undefined : this.apdus + n;
  }

  /** Tear after the n-th block write (FF D6) from now is carried out, before its answer. */
  tearAfterWriteApdus(n: number | undefined): void {
    if (n !== undefined && !(Number.isInteger(n) && n >= 1)) throw new RangeError('tear after at least one write');
    this.tearAtWrite = n === undefined ? undefined : this.writes + n;
  }

  /** Put a card on the reader: connect to vpcd (resolves once connected; keeps retrying while
   * vpcd is away, e.g. during a pcscd restart). */
  async insert(chip: MifareClassic4kChip, timeoutMs = 10_000): Promise<void> {
    if (this.closed) throw new Error('virtual card closed');
    if (this.chip) await this.eject();
    const away = Date.now() - this.lastEjectAt;
    if (away < this.minAbsentMs) await sleep(this.minAbsentMs - away);
    if (this.closed) throw new Error('virtual card closed');
    this.chip = chip;
    chip.reset();
    const gen = ++this.generation;
    void this.connectLoop(gen);
    await this.waitConnected(gen, timeoutMs);
  }

  /** Swap the chip without a removal (used when fixtures are reset while one is presented). */
  replaceChip(chip: MifareClassic4kChip): void {
    if (this.chip) this.chip = chip;
  }

  /** Take the card away: close the socket. */
  async eject(): Promise<void> {
    this.generation++;
    if (this.chip) this.lastEjectAt = Date.now();
    this.chip?.reset();
    this.chip = undefined;
    await this.dropSocket();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.eject();
  }

  private waitConnected(gen: number, timeoutMs: number): Promise<void> {
    if (this.isConnected()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== done);
        reject(new Error(`vpcd at ${this.host}:${this.port} did not accept the virtual card within ${timeoutMs} ms (is pcscd with vsmartcard-vpcd running?)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        if (gen !== this.generation) reject(new Error('card removed before vpcd accepted it'));
        else resolve();
      };
      this.connectedWaiters.push(done);
    });
  }

  private async connectLoop(gen: number): Promise<void> {
    while (gen === this.generation && !this.closed) {
      if (!this.socket) {
        const ok = await this.connectOnce(gen);
        if (ok) {
          const waiters = this.connectedWaiters;
          this.connectedWaiters = [];
          for (const w of waiters) w();
        }
      }
      // Stay here while connected; a socket closed by vpcd (pcscd stopped) makes us reconnect.
      while (this.socket && gen === this.generation) await sleep(this.reconnectMs);
      if (gen === this.generation) await sleep(this.reconnectMs);
    }
  }

  private connectOnce(gen: number): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect({ host: this.host, port: this.port });
      s.setNoDelay(true);
      const fail = () => {
        s.removeAllListeners();
        s.on('error', () => {});
        s.destroy();
        resolve(false);
      };
      s.once('error', fail);
      s.once('connect', () => {
        s.removeListener('error', fail);
        if (gen !== this.generation) {
          s.destroy();
          resolve(false);
          return;
        }
        this.socket = s;
        this.buffer = Buffer.alloc(0);
        s.on('data', (d) => this.onData(s, d));
        s.on('error', (e) => this.opts.log?.('vpcd socket error', { error: e.message }));
        s.on('close', () => {
          if (this.socket === s) this.socket = undefined;
          this.chip?.reset();
        });
        this.opts.log?.('virtual card connected to vpcd', { uid: this.chip?.uid });
        resolve(true);
      });
    });
  }

  private dropSocket(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s || s.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      s.once('close', () => resolve());
      s.destroy();
    });
  }

  private onData(s: net.Socket, data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    while (this.buffer.length >= 2 && this.socket === s) {
      const len = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + len) return;
      const msg = this.buffer.subarray(2, 2 + len);
      this.buffer = this.buffer.subarray(2 + len);
      this.onMessage(s, Buffer.from(msg));
    }
  }

  private send(s: net.Socket, payload: Buffer): void {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(payload.length);
    s.write(Buffer.concat([head, payload]));
  }

  private onMessage(s: net.Socket, msg: Buffer): void {
    const chip = this.chip;
    if (msg.length === 1) {
      switch (msg[0]) {
        case 0x00: // power off
        case 0x01: // power on
        case 0x02: // reset
          chip?.reset();
          return;
        case 0x04: // get ATR
          this.send(s, MIFARE_CLASSIC_4K_ATR);
          return;
        default:
          this.opts.log?.('vpcd: unknown control message', { byte: msg[0] });
          return;
      }
    }
    if (!chip) {
      void this.dropSocket();
      return;
    }
    this.apdus++;
    const reply = this.apdu(chip, msg);
    if (msg[0] === 0xff && msg[1] === 0xd6) this.writes++;
    const tearNow =
      (this.tearAt !== undefined && this.apdus >= this.tearAt) || (this.tearAtWrite !== undefined && this.writes >= this.tearAtWrite);
    if (tearNow) {
      // The card leaves the field after carrying out this APDU, before the answer goes back.
      this.tearAt = undefined;
      this.tearAtWrite = undefined;
      void this.eject();
      return;
    }
    this.send(s, reply);
  }

  /** The reader firmware: PC/SC part 3 storage-card pseudo-APDUs. */
  apdu(chip: MifareClassic4kChip, a: Buffer): Buffer {
    if (a.length < 4) return SW_WRONG_LENGTH;
    const [cla, ins, p1, p2] = [a[0]!, a[1]!, a[2]!, a[3]!];
    if (cla !== 0xff) return SW_CLA_NOT_SUPPORTED;
    switch (ins) {
      case 0xca: {
        // GET DATA: P1 00 = UID, 01 = ATS (none for a Classic card).
        if (p1 !== 0x00) return SW_FUNC_NOT_SUPPORTED;
        const uid = Buffer.from(chip.uid, 'hex');
        const le = a.length >= 5 ? a[4]! : 0;
        if (le !== 0 && le < uid.length) return Buffer.from([0x6c, uid.length]);
        return Buffer.concat([uid, SW_OK]);
      }
      case 0x82: {
        // LOAD KEYS: P1 00 (volatile), P2 slot, Lc 06, key.
        if (a.length !== 11 || a[4] !== 6) return SW_WRONG_LENGTH;
        if (p1 !== 0x00 || p2 > 1) return SW_FAIL;
        this.keySlots[p2] = Uint8Array.from(a.subarray(5, 11));
        return SW_OK;
      }
      case 0x86: {
        // GENERAL AUTHENTICATE: Lc 05, 01 00 block keyType slot.
        if (a.length !== 10 || a[4] !== 5 || a[5] !== 0x01) return SW_WRONG_LENGTH;
        return this.auth(chip, (a[6]! << 8) | a[7]!, a[8]!, a[9]!);
      }
      case 0x88: {
        // AUTHENTICATE (obsolete form): P2 block, P3 key type, data key slot.
        if (a.length !== 6) return SW_WRONG_LENGTH;
        return this.auth(chip, p2, a[4]!, a[5]!);
      }
      case 0xb0: {
        // READ BINARY: P1P2 block, Le bytes (1..16; 00 = 16... as 256 is not a block).
        if (a.length !== 5) return SW_WRONG_LENGTH;
        const block = (p1 << 8) | p2;
        const le = a[4] === 0 ? 16 : a[4]!;
        if (le > 16) return Buffer.from([0x6c, 0x10]);
        const data = chip.readBlock(block);
        if (!data) return SW_FAIL;
        return Buffer.concat([Buffer.from(data.subarray(0, le)), SW_OK]);
      }
      case 0xd6: {
        // UPDATE BINARY: P1P2 block, Lc 10, 16 bytes.
        if (a.length !== 21 || a[4] !== 16) return SW_WRONG_LENGTH;
        const block = (p1 << 8) | p2;
        if (block > 255) return SW_WRONG_P1P2;
        return chip.writeBlock(block, Uint8Array.from(a.subarray(5, 21))) ? SW_OK : SW_FAIL;
      }
      case 0xd7: // value block operations: not supported by this format (no value blocks)
        return SW_FUNC_NOT_SUPPORTED;
      default:
        return SW_INS_NOT_SUPPORTED;
    }
  }

  private auth(chip: MifareClassic4kChip, block: number, keyType: number, slot: number): Buffer {
    const key = this.keySlots[slot];
    const type: KeyType | undefined = keyType === 0x60 ? 'A' : keyType === 0x61 ? 'B' : undefined;
    if (!key || !type || block > 255) {
      chip.reset();
      return SW_FAIL;
    }
    return chip.authenticate(block, type, key) ? SW_OK : SW_FAIL;
  }
}
