/**
 * The ZVT messages a kiosk exchanges (PA00P015), built and parsed on top of the APDU/BMP codec.
 * Builders are shared by the ECR driver and the terminal simulator so both speak one codec.
 */
import type { PaymentReceipt } from '../payment-terminal.js';
import { apdu, type Apdu } from './apdu.js';
import { ZvtCodecError, bcdNumber, concat, fromBcd, hex, toBcd } from './bytes.js';
import { bmpMap, decodeBmps, decodeLlvarLength, encodeBmp, type Bmp } from './bmp.js';
import type { Tlv } from './tlv.js';

export const EUR = 978;

/** Registration config byte bits. */
export const CONFIG = {
  ECR_PRINTS_PAYMENT: 0x02,
  ECR_PRINTS_ADMIN: 0x04,
  INTERMEDIATE_STATUS: 0x08,
  ECR_CONTROLS_PAYMENT: 0x10,
  ECR_CONTROLS_ADMIN: 0x20,
  PRINT_LINES: 0x80,
} as const;
/** What the kiosk registers with: it prints (nothing: receipts are records), controls payment and admin, wants intermediate status. */
export const KIOSK_CONFIG_BYTE =
  CONFIG.ECR_PRINTS_PAYMENT | CONFIG.ECR_PRINTS_ADMIN | CONFIG.INTERMEDIATE_STATUS | CONFIG.ECR_CONTROLS_PAYMENT | CONFIG.ECR_CONTROLS_ADMIN | CONFIG.PRINT_LINES;

export const CMD = {
  ACK: [0x80, 0x00],
  REGISTRATION: [0x06, 0x00],
  AUTHORIZATION: [0x06, 0x01],
  LOG_OFF: [0x06, 0x02],
  COMPLETION: [0x06, 0x0f],
  ABORT: [0x06, 0x1e],
  REPEAT_RECEIPT: [0x06, 0x20],
  /** Pre-authorisation / reservation (PA00P015 2.8): the amount is reserved, nothing booked. */
  PRE_AUTHORISATION: [0x06, 0x22],
  /** Book total (PA00P015 2.10): books a reservation, named by its receipt number. */
  BOOK_TOTAL: [0x06, 0x24],
  /** Pre-authorisation reversal (PA00P015 2.11): releases a reservation, named by its receipt number. */
  PRE_AUTH_REVERSAL: [0x06, 0x25],
  REVERSAL: [0x06, 0x30],
  END_OF_DAY: [0x06, 0x50],
  DIAGNOSIS: [0x06, 0x70],
  ECR_ABORT: [0x06, 0xb0],
  PRINT_LINE: [0x06, 0xd1],
  PRINT_TEXT_BLOCK: [0x06, 0xd3],
  STATUS_ENQUIRY: [0x05, 0x01],
  STATUS_INFORMATION: [0x04, 0x0f],
  INTERMEDIATE_STATUS: [0x04, 0xff],
} as const;

export function is(a: Pick<Apdu, 'cls' | 'ins'>, cmd: readonly [number, number]): boolean {
  return a.cls === cmd[0] && a.ins === cmd[1];
}

const pwd = (password: string) => toBcd(password, 3);

export const build = {
  positive: (): Apdu => apdu(0x80, 0x00),
  /** `84 xx 00`: negative answer with error code xx (9C = please wait, try again). */
  negative: (code: number): Apdu => apdu(0x84, code & 0xff),
  registration(password: string, configByte = KIOSK_CONFIG_BYTE, opts: { currency?: number; serviceByte?: number; tlv?: Tlv[] } = {}): Apdu {
    const parts: Uint8Array[] = [pwd(password), Uint8Array.of(configByte), toBcd(opts.currency ?? EUR, 2)];
    if (opts.serviceByte !== undefined) parts.push(encodeBmp(0x03, Uint8Array.of(opts.serviceByte)));
    // An (empty) TLV container tells the terminal the ECR understands TLV.
    parts.push(encodeBmp(0x06, opts.tlv ?? []));
    return apdu(0x06, 0x00, concat(parts));
  },
  authorization(amountCents: number, currency = EUR): Apdu {
    return apdu(0x06, 0x01, concat([encodeBmp(0x04, toBcd(amountCents, 6)), encodeBmp(0x49, toBcd(currency, 2))]));
  },
  /** 06 22: the same amount/currency BMPs as 06 01; the terminal reserves the amount. */
  preAuthorisation(amountCents: number, currency = EUR): Apdu {
    return apdu(0x06, 0x22, concat([encodeBmp(0x04, toBcd(amountCents, 6)), encodeBmp(0x49, toBcd(currency, 2))]));
  },
  /**
   * 06 24 Book total of a reservation: receipt number (87) of the pre-authorisation, the amount to
   * book (04), and the pre-authorisation's trace (0B) and AID (3B, 8 bytes) where the terminal gave
   * them. No password (unlike 06 30).
   */
  bookTotal(r: { receiptNumber: string; amountCents: number; trace?: string; aid?: string }): Apdu {
    const parts = [encodeBmp(0x87, toBcd(r.receiptNumber, 2)), encodeBmp(0x04, toBcd(r.amountCents, 6))];
    if (r.trace) parts.push(encodeBmp(0x0b, toBcd(r.trace, 3)));
    if (r.aid) parts.push(encodeBmp(0x3b, aidBytes(r.aid)));
    return apdu(0x06, 0x24, concat(parts));
  },
  /** 06 25 Reversal of a pre-authorisation: receipt number (87), amount (04), currency (49). No password. */
  preAuthReversal(r: { receiptNumber: string; amountCents: number; currency?: number }): Apdu {
    return apdu(0x06, 0x25, concat([encodeBmp(0x87, toBcd(r.receiptNumber, 2)), encodeBmp(0x04, toBcd(r.amountCents, 6)), encodeBmp(0x49, toBcd(r.currency ?? EUR, 2))]));
  },
  reversal(password: string, receiptNumber: string): Apdu {
    return apdu(0x06, 0x30, concat([pwd(password), encodeBmp(0x87, toBcd(receiptNumber, 2))]));
  },
  endOfDay: (password: string): Apdu => apdu(0x06, 0x50, pwd(password)),
  diagnosis: (): Apdu => apdu(0x06, 0x70),
  /** Service byte 02: leave the software version out of the answer (it makes the answer ambiguous). */
  statusEnquiry: (password: string, serviceByte = 0x02): Apdu =>
    apdu(0x05, 0x01, concat([pwd(password), encodeBmp(0x03, Uint8Array.of(serviceByte))])),
  /** Service byte 01: send the last Status-Information again (resynchronisation). */
  repeatReceipt: (password: string, serviceByte = 0x01): Apdu =>
    apdu(0x06, 0x20, concat([pwd(password), encodeBmp(0x03, Uint8Array.of(serviceByte))])),
  ecrAbort: (): Apdu => apdu(0x06, 0xb0),
  logOff: (): Apdu => apdu(0x06, 0x02),
  // --- terminal -> ECR (simulator)
  intermediateStatus: (code: number): Apdu => apdu(0x04, 0xff, [code]),
  statusInformation(s: StatusInformation): Apdu {
    const parts: Uint8Array[] = [encodeBmp(0x27, Uint8Array.of(s.resultCode))];
    if (s.amountCents !== undefined) parts.push(encodeBmp(0x04, toBcd(s.amountCents, 6)));
    parts.push(encodeBmp(0x49, toBcd(s.currency ?? EUR, 2)));
    if (s.trace) parts.push(encodeBmp(0x0b, toBcd(s.trace, 3)));
    if (s.time) parts.push(encodeBmp(0x0c, toBcd(s.time, 3)));
    if (s.date) parts.push(encodeBmp(0x0d, toBcd(s.date, 2)));
    if (s.maskedPan) parts.push(encodeBmp(0x22, encodePan(s.maskedPan)));
    if (s.terminalId) parts.push(encodeBmp(0x29, toBcd(s.terminalId, 4)));
    if (s.receiptNumber) parts.push(encodeBmp(0x87, toBcd(s.receiptNumber, 2)));
    if (s.aid) parts.push(encodeBmp(0x3b, aidBytes(s.aid)));
    if (s.turnover) parts.push(encodeBmp(0x88, toBcd(s.turnover, 3)));
    if (s.cardType !== undefined) parts.push(encodeBmp(0x8a, Uint8Array.of(s.cardType)));
    if (s.cardName) parts.push(encodeBmp(0x8b, new TextEncoder().encode(s.cardName)));
    return apdu(0x04, 0x0f, concat(parts));
  },
  abort: (resultCode: number): Apdu => apdu(0x06, 0x1e, [resultCode]),
  completion: (data: Uint8Array | readonly number[] = []): Apdu => apdu(0x06, 0x0f, data),
};

export interface StatusInformation {
  resultCode: number;
  amountCents?: number;
  currency?: number;
  trace?: string;
  /** HHMMSS */
  time?: string;
  /** MMDD */
  date?: string;
  /** Digits with '*' for masked ones. */
  maskedPan?: string;
  terminalId?: string;
  receiptNumber?: string;
  turnover?: string;
  cardType?: number;
  cardName?: string;
  /** BMP 3B: the authorisation attribute (AID), 8 characters; a pre-authorisation's is needed to book it. */
  aid?: string;
  tlv?: Tlv[];
  /** Bytes left unparsed after a BMP this codec does not know. */
  unparsedBytes?: number;
}

/** BMP 3B is 8 bytes: the AID as 8 ASCII characters. */
function aidBytes(aid: string): Uint8Array {
  if (!/^[\x20-\x7e]{8}$/.test(aid)) throw new ZvtCodecError(`AID must be 8 printable characters: ${aid}`);
  return new TextEncoder().encode(aid);
}

/** PAN '*' -> BCD nibble E (masked), odd length padded with F. */
export function encodePan(pan: string): Uint8Array {
  let s = pan.replace(/\*/g, 'E');
  if (!/^[0-9E]+$/.test(s)) throw new ZvtCodecError(`bad PAN: ${pan}`);
  if (s.length % 2) s += 'F';
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function decodePan(b: Uint8Array): string {
  return fromBcd(b).replace(/F+$/, '').replace(/[A-E]/g, '*');
}

function field(m: Map<number, Bmp>, tag: number): Uint8Array | undefined {
  return m.get(tag)?.value;
}

/**
 * Parse 04 0F. Throws ZvtCodecError on malformed data. A BMP this codec does not know (vendor
 * extensions) ends the parse; what came before is kept as long as the result code is among it —
 * the result code is what decides the payment.
 */
export function parseStatusInformation(data: Uint8Array): StatusInformation {
  const bmps = decodeBmps(data, { stopAtUnknown: true });
  const m = bmpMap(bmps);
  const rc = field(m, 0x27);
  if (bmps.unparsed && !rc) throw new ZvtCodecError(`Status-Information with an unknown BMP before the result code: ${hex(data.subarray(0, 16))}`);
  const s: StatusInformation = { resultCode: rc ? rc[0]! : 0 };
  if (bmps.unparsed) s.unparsedBytes = bmps.unparsed;
  const v = (tag: number, f: (x: Uint8Array) => void) => {
    const x = field(m, tag);
    if (x) f(x);
  };
  v(0x04, (x) => (s.amountCents = bcdNumber(x)));
  v(0x49, (x) => (s.currency = bcdNumber(x)));
  v(0x0b, (x) => (s.trace = fromBcd(x)));
  v(0x0c, (x) => (s.time = fromBcd(x)));
  v(0x0d, (x) => (s.date = fromBcd(x)));
  v(0x22, (x) => (s.maskedPan = decodePan(x)));
  v(0x29, (x) => (s.terminalId = fromBcd(x)));
  v(0x87, (x) => (s.receiptNumber = fromBcd(x)));
  v(0x88, (x) => (s.turnover = fromBcd(x)));
  v(0x3b, (x) => (s.aid = new TextDecoder('latin1').decode(x)));
  v(0x8a, (x) => (s.cardType = x[0]!));
  v(0x8b, (x) => (s.cardName = new TextDecoder('latin1').decode(x)));
  const tlv = m.get(0x06)?.tlv;
  if (tlv) s.tlv = tlv;
  return s;
}

/** The kiosk's receipt record from a Status-Information; `year` completes the terminal's MMDD. */
export function toReceipt(s: StatusInformation, fallbackAmountCents: number, now: Date): PaymentReceipt {
  const r: PaymentReceipt = { resultCode: s.resultCode, amountCents: s.amountCents ?? fallbackAmountCents };
  if (s.trace) r.trace = s.trace;
  if (s.receiptNumber) r.receiptNumber = s.receiptNumber;
  if (s.maskedPan) r.maskedPan = s.maskedPan;
  if (s.cardName) r.cardName = s.cardName;
  if (s.aid) r.aid = s.aid;
  if (s.terminalId) r.terminalId = s.terminalId;
  if (s.date && /^\d{4}$/.test(s.date)) {
    const mm = Number(s.date.slice(0, 2));
    // MMDD has no year: take the kiosk's, or last year's around new year.
    const year = mm > now.getUTCMonth() + 2 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
    const t = s.time && /^\d{6}$/.test(s.time) ? `${s.time.slice(0, 2)}:${s.time.slice(2, 4)}:${s.time.slice(4, 6)}` : '00:00:00';
    r.at = `${year}-${s.date.slice(0, 2)}-${s.date.slice(2, 4)}T${t}`;
  }
  return r;
}

/** 04 FF: the status code is the first byte (a timeout byte and TLV may follow). */
export function parseIntermediateStatus(data: Uint8Array): number {
  if (data.length < 1) throw new ZvtCodecError('intermediate status without status byte');
  return data[0]!;
}

/** 06 1E: the result code is the first byte. */
export function parseAbort(data: Uint8Array): number {
  return data.length > 0 ? data[0]! : 0xff;
}

/**
 * 06 0F after a status enquiry: [software version LLLVAR] terminal-status [BMPs]. With service
 * byte 02 the version is left out and the first byte is the terminal status.
 */
export function parseStatusCompletion(data: Uint8Array): { terminalStatus: number; softwareVersion?: string; terminalId?: string } {
  if (data.length === 0) throw new ZvtCodecError('status completion without terminal status');
  let off = 0;
  let softwareVersion: string | undefined;
  if ((data[0]! & 0xf0) === 0xf0 && data.length >= 4) {
    const [n, used] = decodeLlvarLength(data, 0, 3);
    softwareVersion = new TextDecoder('latin1').decode(data.subarray(used, used + n));
    off = used + n;
  }
  const terminalStatus = data[off];
  if (terminalStatus === undefined) throw new ZvtCodecError(`status completion truncated: ${hex(data)}`);
  const rest = decodeBmps(data.subarray(off + 1));
  const tid = bmpMap(rest).get(0x29);
  return { terminalStatus, ...(softwareVersion !== undefined ? { softwareVersion } : {}), ...(tid ? { terminalId: fromBcd(tid.value) } : {}) };
}

/** Parse the commands the simulator receives. */
export function parseRegistration(data: Uint8Array): { password: string; configByte: number; currency?: number } {
  if (data.length < 4) throw new ZvtCodecError('registration too short');
  const password = fromBcd(data.subarray(0, 3));
  const configByte = data[3]!;
  const currency = data.length >= 6 && data[4] !== 0x03 && data[4] !== 0x06 ? bcdNumber(data.subarray(4, 6)) : undefined;
  return { password, configByte, ...(currency !== undefined ? { currency } : {}) };
}

export function parsePasswordAndBmps(data: Uint8Array): { password: string; bmps: Map<number, Bmp> } {
  if (data.length < 3) throw new ZvtCodecError('password missing');
  return { password: fromBcd(data.subarray(0, 3)), bmps: bmpMap(decodeBmps(data.subarray(3))) };
}

export function parseAuthorization(data: Uint8Array): { amountCents: number; currency: number } {
  const m = bmpMap(decodeBmps(data));
  const a = m.get(0x04);
  if (!a) throw new ZvtCodecError('authorization without amount');
  const c = m.get(0x49);
  return { amountCents: bcdNumber(a.value), currency: c ? bcdNumber(c.value) : EUR };
}

/** What 06 24 / 06 25 name: the reservation's receipt number, the amount, and (06 24) trace and AID. */
export function parseReservationCommand(data: Uint8Array): { receiptNumber: string; amountCents?: number; trace?: string; aid?: string } {
  const m = bmpMap(decodeBmps(data));
  const r = m.get(0x87);
  if (!r) throw new ZvtCodecError('reservation command without receipt number (BMP 87)');
  const a = m.get(0x04);
  const t = m.get(0x0b);
  const aid = m.get(0x3b);
  return {
    receiptNumber: fromBcd(r.value),
    ...(a ? { amountCents: bcdNumber(a.value) } : {}),
    ...(t ? { trace: fromBcd(t.value) } : {}),
    ...(aid ? { aid: new TextDecoder('latin1').decode(aid.value) } : {}),
  };
}
