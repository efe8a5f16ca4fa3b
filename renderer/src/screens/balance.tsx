// Balance, products with validity, the last ten journeys and the last two top-ups.
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { EventButton, FinishButton } from '../components/Button.js';
import { CardSummary } from '../components/CardSummary.js';
import { Screen } from '../components/Screen.js';
import { formatDate, formatDateTime, formatSignedMoney } from '../format.js';
import { useKiosk } from '../kiosk-context.js';
import { stationName } from '../stations.js';
import { productName } from './orders.js';

const TX_KEYS = {
  'check-in': 'balance.tx.check-in',
  'check-out': 'balance.tx.check-out',
  transfer: 'balance.tx.transfer',
  cancel: 'balance.tx.cancel',
} as const;

function txLabel(kind: string): keyof typeof TX_KEYS | undefined {
  return kind in TX_KEYS ? (kind as keyof typeof TX_KEYS) : undefined;
}

/** Where a top-up happened, in words: online, NS Extra, or a ticket machine by its id. */
export function topUpWhere(t: TFunction, location: string): string {
  if (location === 'online') return t('balance.location.online');
  if (location === 'ns-extra') return t('balance.location.ns-extra');
  const kiosk = /^KIOSK-(.+)$/i.exec(location);
  if (kiosk) return t('balance.location.kiosk', { id: kiosk[1] });
  return location;
}

export function BalanceScreen() {
  const { t } = useTranslation();
  const { snapshot, locale } = useKiosk();
  const card = snapshot.card;
  const tz = 'Europe/Amsterdam';
  return (
    <Screen
      id="balance"
      title={t('balance.title')}
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
      <CardSummary />
      {card ? (
        <div className="balance-sections">
          {card.rights?.length ? (
            <section aria-labelledby="bal-rights">
              <h2 id="bal-rights">{t('card.rights')}</h2>
              <ul className="rights" data-testid="card-rights">
                {card.rights.map((r) => (
                  <li key={r}>{t('card.autoTopUp')}</li>
                ))}
              </ul>
            </section>
          ) : null}
          <section aria-labelledby="bal-products">
            <h2 id="bal-products">{t('balance.products')}</h2>
            {card.products.length ? (
              <ul className="plain-list">
                {card.products.map((p, i) => (
                  <li key={`${p.code}-${i}`}>
                    <strong>{productName(t, p.code)}</strong>{' '}
                    {t('orders.validity', { from: formatDate(p.validFrom, locale), until: formatDate(p.validUntil, locale) })}
                  </li>
                ))}
              </ul>
            ) : (
              <p>{t('balance.noProducts')}</p>
            )}
          </section>
          <section aria-labelledby="bal-tx">
            <h2 id="bal-tx">{t('balance.transactions')}</h2>
            {card.transactions.length ? (
              <table className="tx-table">
                <thead>
                  <tr>
                    <th scope="col">{t('balance.date')}</th>
                    <th scope="col">{t('balance.what')}</th>
                    <th scope="col">{t('balance.station')}</th>
                    <th scope="col" className="num">
                      {t('balance.amount')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {card.transactions.slice(0, 10).map((tx, i) => {
                    const k = txLabel(tx.kind);
                    return (
                      <tr key={`${tx.at}-${i}`}>
                        <td>{formatDateTime(tx.at, locale, tz)}</td>
                        <td>{k ? t(TX_KEYS[k]) : tx.kind}</td>
                        <td>{stationName(tx.station)}</td>
                        {/* A fare is taken off the card (charged positive on the chip): shown with a minus; a refund with a plus. */}
                        <td className="num">{formatSignedMoney(-tx.amountCents, locale)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : (
              <p>{t('balance.noTransactions')}</p>
            )}
            {card.transactions.length ? <p className="option-hint">{t('balance.fareSign')}</p> : null}
          </section>
          <section aria-labelledby="bal-topups">
            <h2 id="bal-topups">{t('balance.topUps')}</h2>
            {card.topUps.length ? (
              <table className="tx-table">
                <thead>
                  <tr>
                    <th scope="col">{t('balance.date')}</th>
                    <th scope="col">{t('balance.where')}</th>
                    <th scope="col" className="num">
                      {t('balance.amount')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {card.topUps.slice(0, 2).map((u, i) => (
                    <tr key={`${u.at}-${i}`}>
                      <td>{formatDateTime(u.at, locale, tz)}</td>
                      <td>{topUpWhere(t, u.location)}</td>
                      <td className="num">{formatSignedMoney(u.amountCents, locale)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p>{t('balance.noTopUps')}</p>
            )}
          </section>
        </div>
      ) : null}
    </Screen>
  );
}
