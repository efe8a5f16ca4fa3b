/**
 * Which pending orders a card may load, decided the same way by the back office (which refuses to
 * collect what is not loadable) and by the kiosk (which checks again with the card it actually
 * read). The rules are pure and live with the machines that use them:
 * state-machines/collect-orders/order-rules.ts; this module re-exports them for the back office
 * and the client.
 */
export {
  conflictingProduct,
  dutchDate,
  loadableOrders,
  nsExtraLastDay,
  orderRefusal,
  orderRefusalFor,
  DEFAULT_EXCLUSIVE_PRODUCT_GROUPS,
  type CardKindForOrders,
  type OrderRefusal,
  type OrderRefusalDetail,
  type OrderRuleSettings,
} from '../../state-machines/collect-orders/order-rules.js';
