/**
 * The money code's error mapping (errors.ts) and its ids and card refs (ids.ts), table by table.
 * The write-failure rule decides between a reversal and a kept payment, so every card error code is
 * pinned; the card refs are written onto cards and compared by every later kiosk, so their values
 * are pinned too (a changed derivation would make a kiosk load an order a second time).
 */
import { describe, expect, it } from 'vitest';
import { sequentialRandom, type Random } from '../../contract/random.js';
import { CardError, type CardErrorCode } from '../../hardware/card/card-reader.js';
import { errorCode, errorText, writeFailure, writeProblem } from './errors.js';
import { newOperationId, newPaymentId, noteId, orderRef, paymentRef, stationPassageRef } from './ids.js';

describe('errorCode and errorText: what the journal calls an error', () => {
  it('errorCode is the string code an error carries, nothing else', () => {
    expect(errorCode(new CardError('card-gone', 'x'))).toBe('card-gone');
    expect(errorCode(Object.assign(new Error('x'), { code: 'SQLITE_FULL' }))).toBe('SQLITE_FULL');
    expect(errorCode({ code: 5 })).toBeUndefined();
    expect(errorCode(new Error('x'))).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
    expect(errorCode('offline')).toBeUndefined();
  });

  it('errorText: the message (or the thrown value), every run of 13+ digits blanked, at most 200 characters', () => {
    expect(errorText(new Error('read failed'))).toBe('read failed');
    expect(errorText('a string')).toBe('a string');
    expect(errorText(42)).toBe('42');
    expect(errorText(new Error('pan 4111111111111111 and card 3528000000000001'))).toBe('pan [number] and card [number]');
    expect(errorText(new Error('receipt 123456789012 kept'))).toBe('receipt 123456789012 kept'); // 12 digits: not a card number
    expect(errorText(new Error('x'.repeat(250)))).toBe('x'.repeat(200));
  });
});

describe('writeProblem and writeFailure: may a failed write have landed?', () => {
  const codes: CardErrorCode[] = ['card-gone', 'wrong-key', 'corrupt', 'tampered', 'wrong-card', 'no-card', 'reader-unavailable', 'io'];

  it('what the traveller is told, for every card error code', () => {
    expect(Object.fromEntries(codes.map((c) => [c, writeProblem(c)]))).toEqual({
      'card-gone': 'card-removed',
      'no-card': 'card-removed',
      'wrong-card': 'wrong-card',
      'wrong-key': 'wrong-card',
      corrupt: 'write-failed',
      tampered: 'write-failed',
      'reader-unavailable': 'write-failed',
      io: 'write-failed',
    });
    expect(writeProblem(undefined)).toBe('write-failed');
  });

  it('certain only for a CardError that proves the card was never touched (no card, another card, wrong key); everything else may have landed', () => {
    const uncertain = Object.fromEntries(codes.map((c) => [c, writeFailure(new CardError(c, `card: ${c}`)).uncertain]));
    expect(uncertain).toEqual({
      'no-card': false,
      'wrong-card': false,
      'wrong-key': false,
      'card-gone': true,
      corrupt: true,
      tampered: true,
      'reader-unavailable': true,
      io: true,
    });
    expect(writeFailure(new CardError('card-gone', 'card left after block 4'))).toStrictEqual({
      reason: 'card-gone',
      uncertain: true,
      problem: 'card-removed',
      detail: 'card left after block 4',
    });
  });

  it('a plain Error, or one that only looks like a card error, is unexpected and uncertain', () => {
    expect(writeFailure(new Error('driver bug 4111111111111111'))).toStrictEqual({ reason: 'unexpected', uncertain: true, problem: 'write-failed', detail: 'driver bug [number]' });
    expect(writeFailure(Object.assign(new Error('no card'), { code: 'no-card' }))).toMatchObject({ reason: 'unexpected', uncertain: true });
  });
});

describe('ids and card refs', () => {
  it('an operation id is 16 random bytes as four dash-separated groups of 8 hex characters (no long digit run)', () => {
    const asked: (number | undefined)[] = [];
    const digits: Random = { id: (n) => (asked.push(n), '1234567890123456789012345678901a'), next: () => 0 };
    expect(newOperationId(digits)).toBe('12345678-90123456-78901234-5678901a');
    expect(asked).toEqual([16]);
    expect(newPaymentId(sequentialRandom())).toBe('00000001-afafafaf-afafafaf-afafafaf');
  });

  it("a payment's ref is the first 8 characters of its id, lower case", () => {
    expect(paymentRef('ABCDEF12-34567890-abcdefab-cdefabcd')).toBe('abcdef12');
  });

  it('order and station-passage refs are fixed (the same order always gets the same ref, on every kiosk and version)', () => {
    expect(orderRef('O-2026-000123')).toBe('f53f7573');
    expect(orderRef('O-2026-000124')).not.toBe('f53f7573');
    expect(stationPassageRef('a'.repeat(64), '2026-11-23')).toBe('af47e8c6');
    expect(stationPassageRef('a'.repeat(64), '2026-11-24')).not.toBe('af47e8c6');
  });

  it('a note about an operation has its own id', () => {
    expect(noteId('aaaa0001-bbbb')).toBe('aaaa0001-bbbb:note');
  });
});
