/**
 * Every id and card ref the money code makes, in one place.
 *
 * - operation / payment id: 128 random bits as four dash-separated groups of 8 hex characters.
 *   The groups keep any run of digits short, so an id can never look like a card number to the
 *   journal's privacy check (which refuses 13+ digits in a row; a plain 32-hex id would hit that
 *   about once in 25 payments).
 * - card refs (8 hex characters, carried by the top-up record or product a write puts on a card,
 *   and how a retry or recovery tells that an earlier write landed):
 *   top-up: the payment id's first 8 characters; order: SHA-256 of the order id (the same for
 *   every attempt); station passage: SHA-256 of card hash + day (one a card a day).
 */
import { createHash } from 'node:crypto';
import type { Random } from '../../contract/random.js';

export function newOperationId(random: Random): string {
  return (random.id(16).match(/.{1,8}/g) ?? []).join('-');
}

/** A payment id is an operation id. */
export const newPaymentId = newOperationId;

/** The short reference a traveller can quote, and the card top-up record's ref. */
export function paymentRef(paymentId: string): string {
  return paymentId.slice(0, 8).toLowerCase();
}

/** The card ref of an order: the same for every attempt to load it. */
export function orderRef(orderId: string): string {
  return createHash('sha256').update(`order:${orderId}`).digest('hex').slice(0, 8);
}

/** The card ref of a station passage: one per card per day (it is a one-off a day). */
export function stationPassageRef(cardHash: string, day: string): string {
  return createHash('sha256').update(`station-passage:${cardHash}:${day}`).digest('hex').slice(0, 8);
}

/** The operation id of a kiosk.note about another operation (its own operation: a note closes itself). */
export function noteId(operationId: string): string {
  return `${operationId}:note`;
}
