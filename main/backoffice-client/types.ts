/**
 * The back-office API as the kiosk sees it (server: backoffice/, client: ./http-client.ts).
 * Every response is validated with the zod schemas in backoffice/api-schema.ts before use.
 */
export type OrderKind = 'kaartservicecode' | 'ns-extra' | 'product';

export interface PendingOrderBase {
  orderId: string;
  kind: OrderKind;
  /** When the order was announced to the traveller (YYYY-MM-DD). */
  announcedOn: string;
}
export interface KaartservicecodeOrder extends PendingOrderBase {
  kind: 'kaartservicecode';
}
export interface NsExtraOrder extends PendingOrderBase {
  kind: 'ns-extra';
  amountCents: number;
}
export interface ProductOrder extends PendingOrderBase {
  kind: 'product';
  product: {
    code: string;
    validFrom: string;
    validUntil: string;
    travelClass?: 1 | 2;
  };
}
export type PendingOrder = KaartservicecodeOrder | NsExtraOrder | ProductOrder;

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
  /** The back office's error code (backoffice/api-schema.ts ErrorCode), e.g. 'not-loadable'. */
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'BackOfficeRejectedError';
    this.status = status;
    this.code = code;
  }
}
