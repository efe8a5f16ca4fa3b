import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useKiosk } from '../kiosk-context.js';

/** "Do you need more time?" with the seconds left; MORE_TIME keeps the session, END_VISIT ("no, I
 * have finished") ends it at once with the goodbye instead of leaving the traveller to wait. */
export function InactivityDialog() {
  const { t } = useTranslation();
  const { snapshot, send } = useKiosk();
  const button = useRef<HTMLButtonElement>(null);
  const { warning, secondsLeft } = snapshot.inactivity;
  useEffect(() => {
    if (warning) button.current?.focus();
  }, [warning]);
  if (!warning) return null;
  return (
    <div className="overlay" data-testid="inactivity-warning">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="inactivity-title" aria-describedby="inactivity-left">
        <h2 id="inactivity-title">{t('inactivity.title')}</h2>
        <p id="inactivity-left" aria-live="polite">
          <span className="countdown" aria-hidden="true">
            {secondsLeft}
          </span>
          {t('inactivity.secondsLeft', { count: secondsLeft })}
        </p>
        <button ref={button} type="button" className="btn btn-primary" data-testid="more-time" onClick={() => void send({ type: 'MORE_TIME' })}>
          {t('inactivity.moreTime')}
        </button>
        <button type="button" className="btn btn-secondary" data-testid="end-visit" onClick={() => void send({ type: 'END_VISIT' })}>
          {t('inactivity.finish')}
        </button>
      </div>
    </div>
  );
}
