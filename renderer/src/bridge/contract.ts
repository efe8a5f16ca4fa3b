// The renderer's view of the bridge contract: types and zod-free constants only, so no core code
// (zod, xstate) is bundled.
export type {
  CardProblem,
  CardView,
  KioskEvent,
  KioskSnapshot,
  KioskWindowApi,
  Locale,
  MenuOption,
  OrderView,
  ScreenId,
  SendResult,
  SnapshotFor,
  JourneyKind,
  LimitsView,
  WriteProblem,
} from '../../../contract/bridge.js';
export type { PaymentFailureReason, PaymentPrompt } from '../../../contract/payment.js';
export type { CardKind } from '../../../contract/card.js';

import { LOCALES, type Locale } from '../../../contract/bridge.js';

/** The locales the kiosk speaks (contract/bridge.ts holds no zod, so the value comes along cheaply). */
export const RENDERER_LOCALES: readonly Locale[] = LOCALES;
