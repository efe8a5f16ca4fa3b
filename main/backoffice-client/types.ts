/**
 * The back-office API as the kiosk sees it (server: backoffice/, client: ./http-client.ts).
 * Every response is validated with the zod schemas in contract/backoffice-api.ts before use.
 */
import type { PendingOrder } from '../../contract/backoffice-api.js';

export type { PendingOrder };
export type OrderKind = PendingOrder['kind'];
export type NsExtraOrder = Extract<PendingOrder, { kind: 'ns-extra' }>;
export type ProductOrder = Extract<PendingOrder, { kind: 'product' }>;

export class BackOfficeUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackOfficeUnavailableError';
  }
}

export interface BackOfficeClient {
  /** Pending orders for a card (by card number). Throws BackOfficeUnavailableError when offline. */
  pendingOrders(cardNumber: string): Promise<PendingOrder[]>;
  /** Mark an order collected; idempotent per (orderId, operationId). */
  markCollected(orderId: string, cardNumber: string, operationId: string): Promise<void>;
  /** Is this card blocked? Answers from the cached blocked-card list (works offline). */
  isBlocked(cardNumber: string): boolean;
}

/** The back office answered, and refused (4xx): retrying the same request will not help. */
export class BackOfficeRejectedError extends Error {
  readonly status: number;
  /** The back office's error code (contract/backoffice-api.ts ErrorCode), e.g. 'not-loadable'. */
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'BackOfficeRejectedError';
    this.status = status;
    this.code = code;
  }
}
