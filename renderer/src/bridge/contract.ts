// The renderer's view of the bridge contract: types only, so no core code (zod, xstate) is bundled.
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
  WriteProblem,
} from '../../../main/core/contract.js';
export type { PaymentFailureReason, PaymentPrompt } from '../../../hardware/payment/payment-terminal.js';
export type { CardKind } from '../../../hardware/card/card-model.js';

import type { Locale } from '../../../main/core/contract.js';

/** Mirrors LOCALES in main/core/contract.ts (a value import would pull zod into the bundle);
 * renderer/src/bridge/contract.test.ts checks the two stay equal. */
export const RENDERER_LOCALES: readonly Locale[] = ['nl', 'en', 'de', 'fr'];
