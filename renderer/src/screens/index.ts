import type { ComponentType } from 'react';
import type { ScreenId } from '../bridge/contract.js';
import { BalanceScreen } from './balance.js';
import {
  CardProblemScreen,
  GoodbyeScreen,
  MenuScreen,
  PresentCardScreen,
  ReadingCardScreen,
  ServiceUnavailableScreen,
  StartScreen,
} from './entry.js';
import { OutOfServiceScreen } from './out-of-service.js';
import { MaintenanceDashboardScreen, MaintenancePinScreen, MaintenanceRefusedScreen, MaintenanceVerifyingScreen } from './maintenance/maintenance.js';
import { OrderConfirmScreen, OrderDoneScreen, OrderRefusedScreen, OrdersScreen } from './orders.js';
import {
  PaymentFailedScreen,
  PaymentScreen,
  PaymentUndoneScreen,
  PresentAgainScreen,
  RefundOwedScreen,
  CreditPendingScreen,
  TopupAmountScreen,
  TopupDoneScreen,
  WriteProblemScreen,
  WritingCardScreen,
} from './topup.js';

/** One component per ScreenId: the Record type makes a missing screen a compile error. */
export const SCREEN_COMPONENTS: Record<ScreenId, ComponentType> = {
  start: StartScreen,
  'present-card': PresentCardScreen,
  'reading-card': ReadingCardScreen,
  'card-problem': CardProblemScreen,
  menu: MenuScreen,
  'topup-amount': TopupAmountScreen,
  payment: PaymentScreen,
  'payment-failed': PaymentFailedScreen,
  'present-again': PresentAgainScreen,
  'writing-card': WritingCardScreen,
  'write-problem': WriteProblemScreen,
  'topup-done': TopupDoneScreen,
  'payment-undone': PaymentUndoneScreen,
  'refund-owed': RefundOwedScreen,
  'credit-pending': CreditPendingScreen,
  orders: OrdersScreen,
  'order-confirm': OrderConfirmScreen,
  'order-refused': OrderRefusedScreen,
  'order-done': OrderDoneScreen,
  balance: BalanceScreen,
  'service-unavailable': ServiceUnavailableScreen,
  goodbye: GoodbyeScreen,
  'out-of-service': OutOfServiceScreen,
  'maintenance-verifying': MaintenanceVerifyingScreen,
  'maintenance-refused': MaintenanceRefusedScreen,
  'maintenance-pin': MaintenancePinScreen,
  'maintenance-dashboard': MaintenanceDashboardScreen,
};
