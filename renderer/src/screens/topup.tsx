// The top-up journey: amount, payment, present again, writing, and every ending.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PaymentFailureReason, PaymentPrompt, WriteProblem } from '../bridge/contract.js';
import { EventButton, FinishButton } from '../components/Button.js';
import { CardSummary } from '../components/CardSummary.js';
import { HoldCardHere } from '../components/Pictogram.js';
import { Progress } from '../components/Progress.js';
import { Screen } from '../components/Screen.js';
import { formatMoney } from '../format.js';
import { useKiosk, useScreen } from '../kiosk-context.js';

/** Choose an amount, then "Pay € 20,00": a mistaken tap on an amount never reaches the terminal. */
export function TopupAmountScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const s = useScreen('topup-amount');
  const topUp = s.topUp;
  const amounts = topUp.amounts;
  const max = topUp.maxCents;
  const selected = topUp.selectedCents;
  // The configured maximum balance, from the snapshot (never a rule guessed here).
  const maxBalance = formatMoney(s.limits.maxBalanceCents, locale);
  return (
    <Screen
      id="topup-amount"
      title={t('topup.title')}
      pictogram="topup"
      actions={
        <>
          <EventButton event={{ type: 'BACK' }} whileBusy testId="back">
            {t('common.back')}
          </EventButton>
          <EventButton event={{ type: 'CONFIRM' }} variant="primary" disabled={selected === undefined} testId="pay">
            {selected !== undefined ? t('topup.pay', { amount: formatMoney(selected, locale) }) : t('topup.chooseFirst')}
          </EventButton>
        </>
      }
    >
      <CardSummary />
      <p className="lead">{t('topup.max', { amount: formatMoney(max, locale), max: maxBalance })}</p>
      {topUp.refusal ? (
        <p className="notice notice-error" role="alert" data-testid="topup-refusal">
          <span aria-hidden="true" className="tone-mark">!</span>
          {t('topup.overLimit', {
            amount: formatMoney(topUp.refusal.roomCents, locale),
            max: maxBalance,
          })}
        </p>
      ) : null}
      <div className="amount-grid" role="group" aria-label={t('topup.title')}>
        {amounts.map((a) => {
          const tooMuch = a > max;
          return (
            <EventButton
              key={a}
              event={{ type: 'SELECT_AMOUNT', amountCents: a }}
              variant="option"
              disabled={tooMuch}
              pressed={selected === a}
              testId={`amount-${a}`}
            >
              <span className="amount">{formatMoney(a, locale)}</span>
              {tooMuch ? <span className="option-hint">{t('topup.tooMuch')}</span> : null}
              {selected === a ? <span className="check" aria-hidden="true">✓</span> : null}
            </EventButton>
          );
        })}
      </div>
      {selected !== undefined ? (
        <p className="lead" data-testid="topup-selected">
          {t('topup.selected', { amount: formatMoney(selected, locale) })}
        </p>
      ) : (
        <p>{t('topup.payHint')}</p>
      )}
    </Screen>
  );
}

const PROMPT_KEYS = {
  'confirm-amount': 'payment.prompt.confirm-amount',
  'insert-card': 'payment.prompt.insert-card',
  'remove-card': 'payment.prompt.remove-card',
  'enter-pin': 'payment.prompt.enter-pin',
  'wrong-pin': 'payment.prompt.wrong-pin',
  'please-wait': 'payment.prompt.please-wait',
  'waiting-for-host': 'payment.prompt.waiting-for-host',
  'card-not-readable': 'payment.prompt.card-not-readable',
  approved: 'payment.prompt.approved',
  declined: 'payment.prompt.declined',
} as const satisfies Record<PaymentPrompt, string>;

export const REASON_KEYS = {
  declined: 'payment.reason.declined',
  'wrong-pin': 'payment.reason.wrong-pin',
  'card-not-readable': 'payment.reason.card-not-readable',
  'card-expired': 'payment.reason.card-expired',
  'customer-abort': 'payment.reason.customer-abort',
  timeout: 'payment.reason.timeout',
  'terminal-not-ready': 'payment.reason.terminal-not-ready',
  communication: 'payment.reason.communication',
  unknown: 'payment.reason.unknown',
} as const satisfies Record<PaymentFailureReason, string>;

export function PaymentScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const p = useScreen('payment').payment;
  return (
    <Screen
      id="payment"
      title={t('payment.title')}
      pictogram="payment-terminal"
      actions={
        <EventButton event={{ type: 'CANCEL' }} whileBusy testId="cancel">
          {t('common.cancel')}
        </EventButton>
      }
    >
      <p className="big-amount" data-testid="payment-amount">
        {t('payment.amount', { amount: formatMoney(p.amountCents, locale) })}
      </p>
      <p className="lead" aria-live="polite" data-testid="payment-prompt">
        {p.prompt ? t(PROMPT_KEYS[p.prompt]) : t('payment.prompt.insert-card')}
      </p>
      <Progress label={t('payment.progress')} />
    </Screen>
  );
}

export function PaymentFailedScreen() {
  const { t } = useTranslation();
  const p = useScreen('payment-failed').payment;
  return (
    <Screen
      id="payment-failed"
      title={t('payment.failedTitle')}
      tone="error"
      pictogram="payment-terminal"
      actions={
        <>
          <EventButton event={{ type: 'CANCEL' }} whileBusy testId="cancel">
            {t('common.stop')}
          </EventButton>
          <EventButton event={{ type: 'BACK' }} testId="back">
            {t('payment.otherAmount')}
          </EventButton>
          <EventButton event={{ type: 'RETRY' }} variant="primary" testId="retry">
            {t('common.retry')}
          </EventButton>
        </>
      }
    >
      <p className="lead" data-testid="payment-reason">
        {t(REASON_KEYS[p.failure ?? 'unknown'])}
      </p>
      <p>{t('payment.nothingCharged')}</p>
      <PaymentReference reference={p.reference} />
    </Screen>
  );
}

/** Seconds left before the kiosk undoes the payment, counted down on the screen from what the
 * snapshot says when the screen appears (the machine's own timer decides; this only shows it). */
function useCountdown(seconds: number | undefined): number | undefined {
  const [left, setLeft] = useState(seconds);
  useEffect(() => {
    setLeft(seconds);
    if (seconds === undefined) return;
    const started = Date.now();
    const timer = setInterval(() => setLeft(Math.max(0, seconds - Math.floor((Date.now() - started) / 1000))), 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  return left;
}

export function PresentAgainScreen() {
  const { t } = useTranslation();
  const s = useScreen('present-again');
  const topUp = s.journey === 'top-up';
  const left = useCountdown(topUp ? s.payment.undoAfterSeconds : undefined);
  const kaartservicecode = s.journey === 'collect-orders' && s.selectedOrder.kind === 'kaartservicecode';
  return (
    <Screen
      id="present-again"
      title={t('presentAgain.title')}
      pictogram={<HoldCardHere label={t('presentCard.readerHere')} />}
      actions={
        <EventButton event={{ type: 'CANCEL' }} whileBusy testId="cancel">
          {/* After payment, stopping here undoes the payment: the button says so. */}
          {topUp ? t('presentAgain.cancel') : t('common.cancel')}
        </EventButton>
      }
    >
      {/* Top-up (paid, now load it) or an order / station passage (nothing paid here). */}
      <p className="lead">
        {t(topUp ? 'presentAgain.body' : kaartservicecode ? 'presentAgain.activate' : 'presentAgain.order', { last4: s.card.last4 })}
      </p>
      {left !== undefined ? (
        <p className="countdown-line" role="timer" data-testid="undo-countdown">
          {t('presentAgain.countdown', { count: left })}
        </p>
      ) : null}
      <Progress label={t('presentAgain.waiting')} />
    </Screen>
  );
}

export function WritingCardScreen() {
  const { t } = useTranslation();
  const s = useScreen('writing-card');
  // A kaartservicecode is activated, not loaded: nothing is written for it but the collection.
  const activating = s.journey === 'collect-orders' && s.selectedOrder.kind === 'kaartservicecode';
  return (
    // No cancel while writing: stopping mid-write could tear the card. The machine bounds this
    // wait and moves on by itself (write problem, or the payment is undone).
    <Screen id="writing-card" title={t(activating ? 'writingCard.activateTitle' : 'writingCard.title')} pictogram="card-reader" actions={null}>
      <p className="lead">
        <span className="tone-mark" aria-hidden="true">
          !
        </span>
        {t('writingCard.body')}
      </p>
      <Progress label={t('writingCard.progress')} />
    </Screen>
  );
}

const ORDER_WRITE_PROBLEM_BODY = {
  'card-removed': 'writeProblem.card-removed.body',
  'wrong-card': 'writeProblem.wrong-card.orderBody',
  'write-failed': 'writeProblem.write-failed.orderBody',
} as const satisfies Record<WriteProblem, string>;

const WRITE_PROBLEM_KEYS = {
  'card-removed': { title: 'writeProblem.card-removed.title', body: 'writeProblem.card-removed.body' },
  'wrong-card': { title: 'writeProblem.wrong-card.title', body: 'writeProblem.wrong-card.body' },
  'write-failed': { title: 'writeProblem.write-failed.title', body: 'writeProblem.write-failed.body' },
} as const satisfies Record<WriteProblem, { title: string; body: string }>;

export function WriteProblemScreen() {
  const { t } = useTranslation();
  const s = useScreen('write-problem');
  const keys = WRITE_PROBLEM_KEYS[s.writeProblem];
  return (
    <Screen
      id="write-problem"
      title={t(keys.title)}
      tone="warn"
      pictogram="card-again"
      actions={
        <>
          <EventButton event={{ type: 'CANCEL' }} whileBusy testId="cancel">
            {t('common.stop')}
          </EventButton>
          <EventButton event={{ type: 'RETRY' }} variant="primary" testId="retry">
            {t('common.retry')}
          </EventButton>
        </>
      }
    >
      <p className="lead" data-testid="write-problem-body">
        {/* An order or a station passage: nothing was paid in this journey. */}
        {t(s.journey === 'top-up' ? keys.body : ORDER_WRITE_PROBLEM_BODY[s.writeProblem], { last4: s.card.last4 })}
      </p>
      {s.busy ? <Progress label={t('presentAgain.waiting')} /> : null}
    </Screen>
  );
}

export function TopupDoneScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const s = useScreen('topup-done');
  const added = s.topUp.selectedCents ?? s.payment.amountCents;
  const newBalance = s.topUp.newBalanceCents ?? s.card.balanceCents;
  return (
    <Screen
      id="topup-done"
      title={t('topupDone.title')}
      tone="ok"
      pictogram="done"
      actions={
        <FinishButton>
          {t('common.finish')}
        </FinishButton>
      }
    >
      <p className="lead">{t('topupDone.added', { amount: formatMoney(added, locale) })}</p>
      <p className="big-amount" data-testid="new-balance">
        {t('topupDone.newBalance', { amount: formatMoney(newBalance, locale) })}
      </p>
      <p>{t('topupDone.takeCard')}</p>
    </Screen>
  );
}

export function PaymentUndoneScreen() {
  const { t } = useTranslation();
  const p = useScreen('payment-undone').payment;
  return (
    <Screen
      id="payment-undone"
      title={t('paymentUndone.title')}
      tone="warn"
      pictogram="payment-terminal"
      actions={
        <FinishButton>
          {t('common.finish')}
        </FinishButton>
      }
    >
      <p className="lead">{t('paymentUndone.body')}</p>
      <PaymentReference reference={p.reference} />
    </Screen>
  );
}

/** Issue 12: the card write's result is unknown; the payment is kept and the credit waits for the next tap. */
export function CreditPendingScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const p = useScreen('credit-pending').payment;
  return (
    <Screen
      id="credit-pending"
      title={t('creditPending.title')}
      tone="info"
      pictogram="card"
      actions={
        <FinishButton>
          {t('common.finish')}
        </FinishButton>
      }
    >
      <p className="lead">{t('creditPending.body', { amount: formatMoney(p.amountCents, locale) })}</p>
      <p>{t('creditPending.once')}</p>
      <PaymentReference reference={p.reference} prominent />
    </Screen>
  );
}

export function RefundOwedScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const p = useScreen('refund-owed').payment;
  return (
    <Screen
      id="refund-owed"
      title={t('refundOwed.title')}
      tone="error"
      pictogram="problem"
      actions={
        <FinishButton>
          {t('common.finish')}
        </FinishButton>
      }
    >
      <p className="lead">{t('refundOwed.body')}</p>
      <PaymentReference reference={p.reference} prominent />
      <p>{t('refundOwed.amount', { amount: formatMoney(p.amountCents, locale) })}</p>
    </Screen>
  );
}

/** The payment's reference, for the traveller to quote; prominent where money is still owed to them. */
function PaymentReference({ reference, prominent }: { reference: string | undefined; prominent?: boolean }) {
  const { t } = useTranslation();
  if (!reference) return null;
  return prominent ? (
    <p className="reference big-amount" data-testid="reference">
      {t('payment.reference', { reference })}
    </p>
  ) : (
    <p className="reference">{t('payment.reference', { reference })}</p>
  );
}
