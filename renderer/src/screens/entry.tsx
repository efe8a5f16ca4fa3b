// Start, card presentation and reading, card problems, the menu, service-unavailable, goodbye.
import { useTranslation } from 'react-i18next';
import type { CardProblem, MenuOption } from '../bridge/contract.js';
import { EventButton, FinishButton } from '../components/Button.js';
import { CardSummary } from '../components/CardSummary.js';
import { HoldCardHere, Pictogram, type PictogramName } from '../components/Pictogram.js';
import { Progress } from '../components/Progress.js';
import { Screen } from '../components/Screen.js';
import { useKiosk, useScreen } from '../kiosk-context.js';
import { NotOfferedNote } from './out-of-service.js';

/**
 * The start screen invites a tap (a large button in reach) and shows where to hold the card: a
 * card held now starts the visit at once (the session machine waits for one on this screen).
 */
export function StartScreen() {
  const { t } = useTranslation();
  return (
    <Screen
      id="start"
      title={t('start.title')}
      pictogram={<HoldCardHere label={t('presentCard.readerHere')} />}
      actions={
        <EventButton event={{ type: 'START' }} variant="primary" testId="start" className="btn-start">
          {t('start.invite')}
        </EventButton>
      }
    >
      <p className="lead">{t('start.subtitle')}</p>
      <p className="lead start-hold" data-testid="start-hold-card">
        {t('start.holdCard')}
      </p>
    </Screen>
  );
}

function CancelButton() {
  const { t } = useTranslation();
  return (
    <EventButton event={{ type: 'CANCEL' }} whileBusy testId="cancel">
      {t('common.cancel')}
    </EventButton>
  );
}

export function PresentCardScreen() {
  const { t } = useTranslation();
  return (
    <Screen id="present-card" title={t('presentCard.title')} pictogram={<HoldCardHere label={t('presentCard.readerHere')} />} actions={<CancelButton />}>
      <p className="lead">{t('presentCard.body')}</p>
      <Progress label={t('presentCard.waiting')} />
    </Screen>
  );
}

export function ReadingCardScreen() {
  const { t } = useTranslation();
  return (
    <Screen id="reading-card" title={t('readingCard.title')} pictogram="card-reader" actions={<CancelButton />}>
      <p className="lead">{t('readingCard.body')}</p>
      <Progress label={t('readingCard.progress')} />
    </Screen>
  );
}

const PROBLEM_KEYS = {
  defective: { title: 'problem.defective.title', body: 'problem.defective.body' },
  blocked: { title: 'problem.blocked.title', body: 'problem.blocked.body' },
  expired: { title: 'problem.expired.title', body: 'problem.expired.body' },
  'not-allowed': { title: 'problem.not-allowed.title', body: 'problem.not-allowed.body' },
  'reader-unavailable': { title: 'problem.reader-unavailable.title', body: 'problem.reader-unavailable.body' },
} as const satisfies Record<CardProblem, { title: string; body: string }>;

export function CardProblemScreen() {
  const { t } = useTranslation();
  const s = useScreen('card-problem');
  // A blocked NS-Business Card is the organisation's: its contact person and NS Zakelijk, not the
  // private customer line (seed 000); either way a replacement takes up to ten working days (003).
  const business = s.problem === 'blocked' && s.card?.kind === 'business';
  const keys = business ? { title: 'problem.blocked.businessTitle', body: 'problem.blocked.businessBody' } as const : PROBLEM_KEYS[s.problem];
  return (
    <Screen
      id="card-problem"
      title={t(keys.title)}
      tone="error"
      pictogram="problem"
      actions={
        <>
          <EventButton event={{ type: 'RETRY' }} testId="retry">
            {t('problem.otherCard')}
          </EventButton>
          {/* What this card may still do (an expired card may see its balance). */}
          {(s.problem === 'expired' ? s.menu : []).map((o) => (
            <EventButton key={o} event={{ type: 'CHOOSE', option: o }} testId={`menu-${o}`}>
              {t(MENU_KEYS[o].label)}
            </EventButton>
          ))}
          <FinishButton>
            {t('common.finish')}
          </FinishButton>
        </>
      }
    >
      <p className="lead" data-testid="problem-body">
        {t(keys.body)}
      </p>
      {s.problem === 'expired' ? <CardSummary showBalance={false} /> : null}
    </Screen>
  );
}

const MENU_PICTOGRAMS = {
  topup: 'topup',
  'collect-orders': 'collect-orders',
  balance: 'balance',
  'station-passage': 'station-passage',
} as const satisfies Record<MenuOption, PictogramName>;

const MENU_KEYS = {
  topup: { label: 'menu.option.topup', hint: 'menu.hint.topup' },
  'collect-orders': { label: 'menu.option.collect-orders', hint: 'menu.hint.collect-orders' },
  balance: { label: 'menu.option.balance', hint: 'menu.hint.balance' },
  'station-passage': { label: 'menu.option.station-passage', hint: 'menu.hint.station-passage' },
} as const satisfies Record<MenuOption, { label: string; hint: string }>;

export function MenuScreen() {
  const { t } = useTranslation();
  const options = useScreen('menu').menu;
  return (
    <Screen
      id="menu"
      title={t('menu.title')}
      actions={
        <EventButton event={{ type: 'CANCEL' }} whileBusy testId="cancel">
          {t('common.stop')}
        </EventButton>
      }
    >
      <CardSummary />
      <ul className="menu-options">
        {options.map((o) => (
          <li key={o}>
            <EventButton event={{ type: 'CHOOSE', option: o }} variant="option" testId={`menu-${o}`}>
              <Pictogram name={MENU_PICTOGRAMS[o]} />
              <span className="option-text">
                <span className="option-label">{t(MENU_KEYS[o].label)}</span>
                <span className="option-hint">{t(MENU_KEYS[o].hint)}</span>
              </span>
            </EventButton>
          </li>
        ))}
      </ul>
      <NotOfferedNote />
    </Screen>
  );
}

const UNAVAILABLE_KEYS = {
  backoffice: 'unavailable.backoffice',
  'card-reader': 'unavailable.card-reader',
  'payment-terminal': 'unavailable.payment-terminal',
} as const;

export function ServiceUnavailableScreen() {
  const { t } = useTranslation();
  const s = useScreen('service-unavailable');
  return (
    <Screen
      id="service-unavailable"
      title={t('unavailable.title')}
      tone="warn"
      pictogram={s.unavailable === 'payment-terminal' ? 'payment-terminal' : s.unavailable === 'card-reader' ? 'card-reader' : 'problem'}
      actions={
        <>
          <EventButton event={{ type: 'BACK' }} whileBusy testId="back">
            {t('common.back')}
          </EventButton>
          <EventButton event={{ type: 'RETRY' }} testId="retry">
            {t('common.retry')}
          </EventButton>
          <FinishButton>
            {t('common.finish')}
          </FinishButton>
        </>
      }
    >
      <p className="lead">{t(UNAVAILABLE_KEYS[s.unavailable])}</p>
    </Screen>
  );
}

export function GoodbyeScreen() {
  const { t } = useTranslation();
  return (
    <Screen
      id="goodbye"
      title={t('goodbye.title')}
      tone="ok"
      pictogram="done"
      actions={
        <EventButton event={{ type: 'START' }} variant="primary" whileBusy testId="to-start">
          {t('common.toStart')}
        </EventButton>
      }
    >
      <p className="lead">{t('goodbye.body')}</p>
    </Screen>
  );
}
