// Start, card presentation and reading, card problems, the menu, service-unavailable, goodbye.
import { useTranslation } from 'react-i18next';
import { RENDERER_LOCALES, type CardProblem, type MenuOption } from '../bridge/contract.js';
import { EventButton } from '../components/Button.js';
import { CardSummary } from '../components/CardSummary.js';
import { Flag } from '../components/Flag.js';
import { Progress } from '../components/Progress.js';
import { Screen } from '../components/Screen.js';
import { useKiosk, useScreen } from '../kiosk-context.js';
import { NotOfferedNote } from './out-of-service.js';

export function StartScreen() {
  const { t } = useTranslation();
  const { snapshot } = useKiosk();
  return (
    <Screen
      id="start"
      title={t('start.title')}
      actions={
        <EventButton event={{ type: 'START' }} variant="primary" testId="start">
          {t('start.button')}
        </EventButton>
      }
    >
      <p className="lead">{t('start.subtitle')}</p>
      <h2>{t('start.chooseLanguage')}</h2>
      <div className="lang-grid" role="group" aria-label={t('lang.label')}>
        {RENDERER_LOCALES.map((l) => (
          <EventButton key={l} event={{ type: 'SET_LOCALE', locale: l }} variant="option" whileBusy testId={`start-lang-${l}`}>
            <Flag locale={l} />
            <span lang={l}>{t(`lang.${l}`)}</span>
            {snapshot.locale === l ? <span className="check">✓</span> : null}
          </EventButton>
        ))}
      </div>
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
    <Screen id="present-card" title={t('presentCard.title')} actions={<CancelButton />}>
      <div className="reader-illustration" aria-hidden="true">
        <span className="card-shape" />
        <span className="waves" />
      </div>
      <p className="lead">{t('presentCard.body')}</p>
      <Progress label={t('presentCard.waiting')} />
    </Screen>
  );
}

export function ReadingCardScreen() {
  const { t } = useTranslation();
  return (
    <Screen id="reading-card" title={t('readingCard.title')} actions={<CancelButton />}>
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
  const keys = PROBLEM_KEYS[s.problem];
  return (
    <Screen
      id="card-problem"
      title={t(keys.title)}
      tone="error"
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
          <EventButton event={{ type: 'FINISH' }} variant="primary" whileBusy testId="finish">
            {t('common.finish')}
          </EventButton>
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
              <span className="option-label">{t(MENU_KEYS[o].label)}</span>
              <span className="option-hint">{t(MENU_KEYS[o].hint)}</span>
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
      actions={
        <>
          <EventButton event={{ type: 'BACK' }} whileBusy testId="back">
            {t('common.back')}
          </EventButton>
          <EventButton event={{ type: 'RETRY' }} testId="retry">
            {t('common.retry')}
          </EventButton>
          <EventButton event={{ type: 'FINISH' }} variant="primary" whileBusy testId="finish">
            {t('common.finish')}
          </EventButton>
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
