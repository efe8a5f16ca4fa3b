// Collecting pending orders: list, confirm ("Akkoord"), refused, done.
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Locale, OrderView } from '../bridge/contract.js';
import { EventButton, FinishButton } from '../components/Button.js';
import { CardSummary } from '../components/CardSummary.js';
import { Progress } from '../components/Progress.js';
import { Screen } from '../components/Screen.js';
import { formatDate, formatMoney, formatTime } from '../format.js';
import { useKiosk, useScreen } from '../kiosk-context.js';
import { stationName } from '../stations.js';

/**
 * An NS product's name. Names such as "Dal Voordeel" or "Altijd Vrij" are names, the same in every
 * language (the locales hold them once per code, identical); unknown codes show as themselves.
 */
export function productName(t: TFunction, code: string | undefined): string {
  if (!code) return '';
  return t(`product.${code}` as 'product.DAL-VOORDEEL', { defaultValue: code });
}

const KIND_KEYS = {
  kaartservicecode: 'orders.kind.kaartservicecode',
  'ns-extra': 'orders.kind.ns-extra',
  product: 'orders.kind.product',
} as const satisfies Record<OrderView['kind'], string>;

/** `maxBalanceCents`: the configured maximum balance (from the snapshot's limits). */
export function refusalText(t: TFunction, order: OrderView, locale: Locale, maxBalanceCents: number): string {
  const r = order.refusal;
  if (!r) return '';
  switch (r.reason) {
    case 'not-personal':
      return t('orders.refusal.not-personal');
    case 'ns-extra-expired':
      return t('orders.refusal.ns-extra-expired', { date: r.lastDay ? formatDate(r.lastDay, locale) : '' });
    case 'over-limit':
      return t('orders.refusal.over-limit', { amount: formatMoney(r.roomCents ?? 0, locale), max: formatMoney(maxBalanceCents, locale) });
    case 'card-expired':
      return t('orders.refusal.card-expired');
    case 'conflicting-product':
      return t('orders.refusal.conflicting-product', { product: productName(t, r.conflictingCode) });
  }
}

/** What an order is; a refused one says so in words (not by colour), and in the list also why. */
function OrderDetails({ order, maxBalanceCents }: { order: OrderView; maxBalanceCents?: number }) {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  return (
    <span className="order-details">
      <span className="option-label">
        {order.kind === 'product' && order.productCode
          ? t('common.labelled', { label: t(KIND_KEYS[order.kind]), value: productName(t, order.productCode) })
          : t(KIND_KEYS[order.kind])}
        {order.amountCents !== undefined ? ` — ${formatMoney(order.amountCents, locale)}` : ''}
      </span>
      {/* NS Extra is granted (and announced by e-mail), not ordered; its last loadable day shows
          before it passes (a passed one is in the refusal). */}
      <span className="option-hint">
        {t(order.kind === 'ns-extra' ? 'orders.granted' : 'orders.announced', { date: formatDate(order.announcedOn, locale) })}
      </span>
      {order.kind === 'ns-extra' && order.lastLoadableDay && order.refusal?.reason !== 'ns-extra-expired' ? (
        <span className="option-hint" data-testid="last-loadable-day">
          {t('orders.lastDay', { date: formatDate(order.lastLoadableDay, locale) })}
        </span>
      ) : null}
      {order.validFrom && order.validUntil ? (
        <span className="option-hint">
          {t('orders.validity', { from: formatDate(order.validFrom, locale), until: formatDate(order.validUntil, locale) })}
        </span>
      ) : null}
      {order.refusal ? (
        <span className="option-hint refusal">
          <span aria-hidden="true" className="tone-mark">
            !
          </span>
          {maxBalanceCents !== undefined
            ? t('common.labelled', { label: t('orders.cannotLoad'), value: refusalText(t, order, locale, maxBalanceCents) })
            : t('orders.cannotLoad')}
        </span>
      ) : null}
    </span>
  );
}

export function OrdersScreen() {
  const { t } = useTranslation();
  const s = useScreen('orders');
  const orders = s.orders ?? [];
  // Only orders that can be loaded now are "waiting"; the others are listed last with their reason.
  const loadable = orders.filter((o) => !o.refusal).length;
  const unloadable = orders.length - loadable;
  return (
    <Screen
      id="orders"
      title={t('orders.title')}
      pictogram="collect-orders"
      actions={
        <>
          <EventButton event={{ type: 'BACK' }} whileBusy testId="back">
            {t('common.back')}
          </EventButton>
          <FinishButton variant="secondary">
            {t('common.finish')}
          </FinishButton>
        </>
      }
    >
      <CardSummary showBalance={false} />
      {s.orders === undefined ? (
        // Still asking the back office.
        <Progress label={t('orders.loading')} />
      ) : (
        <>
          <p className="lead" data-testid="orders-count">
            {loadable ? t('orders.count', { count: loadable }) : t('orders.none')}
          </p>
          {unloadable ? (
            <p data-testid="orders-unloadable">{t('orders.unloadable', { count: unloadable })}</p>
          ) : null}
        </>
      )}
      <ul className="menu-options">
        {orders.map((o) => (
          <li key={o.orderId}>
            <EventButton event={{ type: 'SELECT_ORDER', orderId: o.orderId }} variant="option" testId={`order-${o.orderId}`}>
              <OrderDetails order={o} maxBalanceCents={s.limits.maxBalanceCents} />
            </EventButton>
          </li>
        ))}
      </ul>
    </Screen>
  );
}

export function OrderConfirmScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const s = useScreen('order-confirm');
  const o = s.journey === 'collect-orders' ? s.selectedOrder : undefined;
  const passage = s.journey === 'station-passage' ? s.stationPassage : undefined;
  let what = '';
  if (passage) what = t('stationPassage.confirm', { station: stationName(passage.station), minutes: passage.minutes });
  else if (o?.kind === 'kaartservicecode') what = t('orderConfirm.kaartservicecode');
  else if (o?.kind === 'ns-extra') what = t('orderConfirm.ns-extra', { amount: formatMoney(o.amountCents ?? 0, locale) });
  else if (o?.kind === 'product') what = t('orderConfirm.product', { product: productName(t, o.productCode) });
  return (
    <Screen
      id="order-confirm"
      title={passage ? t('menu.option.station-passage') : o?.kind === 'kaartservicecode' ? t('orderConfirm.activateTitle') : t('orderConfirm.title')}
      pictogram={passage ? 'station-passage' : 'collect-orders'}
      actions={
        <>
          <EventButton event={{ type: 'BACK' }} whileBusy testId="back">
            {t('common.back')}
          </EventButton>
          <EventButton event={{ type: 'CONFIRM' }} variant="primary" testId="confirm">
            {t('orderConfirm.agree')}
          </EventButton>
        </>
      }
    >
      {o && !passage ? (
        <div className="panel">
          <OrderDetails order={o} />
        </div>
      ) : null}
      <p className="lead" data-testid="what-happens">
        {what}
      </p>
    </Screen>
  );
}

export function OrderRefusedScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const s = useScreen('order-refused');
  const o = s.selectedOrder;
  return (
    <Screen
      id="order-refused"
      title={t('orderRefused.title')}
      tone="warn"
      pictogram="problem"
      actions={
        <>
          <EventButton event={{ type: 'BACK' }} whileBusy testId="back">
            {t('common.back')}
          </EventButton>
          <FinishButton>
            {t('common.finish')}
          </FinishButton>
        </>
      }
    >
      <div className="panel">
        <OrderDetails order={o} />
      </div>
      <p className="lead" data-testid="refusal">
        {refusalText(t, o, locale, s.limits.maxBalanceCents)}
      </p>
    </Screen>
  );
}

export function OrderDoneScreen() {
  const { t } = useTranslation();
  const { locale } = useKiosk();
  const s = useScreen('order-done');
  const o = s.journey === 'collect-orders' ? s.collected : undefined;
  const passage = s.journey === 'station-passage' ? s.stationPassage : undefined;
  let next = '';
  if (passage)
    next = t('stationPassage.done', { station: stationName(passage.station), time: passage.validUntil ? formatTime(passage.validUntil, locale) : '' });
  else if (o?.kind === 'kaartservicecode') next = t('orderDone.kaartservicecode');
  else if (o?.kind === 'ns-extra') next = t('orderDone.ns-extra', { amount: formatMoney(o.amountCents ?? 0, locale) });
  else if (o?.kind === 'product') next = t('orderDone.product', { product: productName(t, o.productCode) });
  // Back to the (updated) list only while another order can be loaded now: when only orders that
  // cannot be loaded remain there is nothing more to collect (issue 14).
  const more = s.journey === 'collect-orders' && s.orders.some((x) => x.orderId !== s.collected.orderId && !x.refusal);
  return (
    <Screen
      id="order-done"
      title={passage ? t('stationPassage.doneTitle') : o?.kind === 'kaartservicecode' ? t('orderDone.activatedTitle') : t('orderDone.title')}
      tone="ok"
      pictogram="done"
      actions={
        <>
          {more ? (
            <EventButton event={{ type: 'BACK' }} testId="back">
              {t('orderDone.another')}
            </EventButton>
          ) : null}
          <FinishButton>
            {t('common.finish')}
          </FinishButton>
        </>
      }
    >
      <p className="lead" data-testid="next-step">
        {next}
      </p>
      {o?.kind === 'kaartservicecode' ? (
        <p data-testid="card-number-hint">{t('orderDone.cardNumber', { last4: s.card.last4 })}</p>
      ) : null}
      {o?.kind === 'product' && o.validFrom && o.validUntil ? (
        <p>{t('orders.validity', { from: formatDate(o.validFrom, locale), until: formatDate(o.validUntil, locale) })}</p>
      ) : null}
      <CardSummary />
    </Screen>
  );
}
