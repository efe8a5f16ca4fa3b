import { useTranslation } from 'react-i18next';
import { formatDate, formatMoney } from '../format.js';
import { useKiosk } from '../kiosk-context.js';

/**
 * The card as the traveller may see it: masked number only, kind, balance, expiry. An NS-Business
 * Card travels on the organisation's account: it shows that instead of a meaningless "Saldo € 0,00".
 */
export function CardSummary({ showBalance = true }: { showBalance?: boolean }) {
  const { t } = useTranslation();
  const { snapshot, locale } = useKiosk();
  const card = snapshot.card;
  if (!card) return null;
  const business = card.kind === 'business';
  return (
    <dl className="card-summary" data-testid="card-summary">
      <div>
        <dt>{t('card.number')}</dt>
        <dd data-testid="masked-number">{card.maskedNumber}</dd>
      </div>
      <div>
        <dd>{t(`card.kind.${card.kind}`)}</dd>
      </div>
      {showBalance && !business ? (
        <div className="balance-line">
          <dt>{t('card.balance')}</dt>
          <dd className="amount" data-testid="balance">
            {formatMoney(card.balanceCents, locale)}
          </dd>
        </div>
      ) : null}
      {showBalance && business ? (
        <div>
          <dd data-testid="on-account">{t('card.onAccount')}</dd>
        </div>
      ) : null}
      <div>
        <dd>{card.expired ? t('card.expired') : t('card.expiry', { date: formatDate(card.expiryDate, locale) })}</dd>
      </div>
    </dl>
  );
}
