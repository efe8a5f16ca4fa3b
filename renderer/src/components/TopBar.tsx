import { useTranslation } from 'react-i18next';
import { RENDERER_LOCALES } from '../bridge/contract.js';
import { useKiosk } from '../kiosk-context.js';
import { Flag } from './Flag.js';

/** The NS mark and the larger-text toggle: on every screen. Allowed while busy (view only). */
export function TopBar() {
  const { t } = useTranslation();
  const { snapshot, send } = useKiosk();
  return (
    <header className="topbar">
      <div className="brand" aria-hidden="true">
        NS
      </div>
      <button
        type="button"
        className="btn btn-tool"
        aria-pressed={snapshot.largeText}
        data-testid="large-text"
        onClick={() => void send({ type: 'TOGGLE_LARGE_TEXT' })}
      >
        <span aria-hidden="true" className="aa">
          A<span className="aa-big">A</span>
        </span>
        <span>{snapshot.largeText ? t('largeText.turnOff') : t('largeText.turnOn')}</span>
      </button>
    </header>
  );
}

/**
 * The language choice, at the bottom of every screen: within reach of a traveller standing at the
 * portrait kiosk (the top edge of a 1920 px screen is out of reach), one tap from any screen.
 */
export function LanguageBar() {
  const { t } = useTranslation();
  const { snapshot, send } = useKiosk();
  return (
    <nav className="langbar" aria-label={t('lang.label')}>
      {RENDERER_LOCALES.map((l) => (
        <button
          key={l}
          type="button"
          lang={l}
          className="btn btn-lang"
          aria-pressed={snapshot.locale === l}
          data-testid={`lang-${l}`}
          onClick={() => void send({ type: 'SET_LOCALE', locale: l })}
        >
          <Flag locale={l} />
          <span>{t(`lang.${l}`)}</span>
        </button>
      ))}
    </nav>
  );
}
