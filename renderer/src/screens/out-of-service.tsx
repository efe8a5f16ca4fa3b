// Issue 13: the machine is out of order (a part failed, or a technician took it out of service).
// No card is taken here; the traveller reads where to go instead, in their own language.
import { useTranslation } from 'react-i18next';
import { Screen } from '../components/Screen.js';
import { useKiosk } from '../kiosk-context.js';

export function OutOfServiceScreen() {
  const { t } = useTranslation();
  return (
    <Screen
      id="out-of-service"
      title={t('outOfService.title')}
      tone="error"
      // No card is taken and nothing can be chosen here: the way on is another language, in the
      // language bar every screen has at the bottom (App.tsx LanguageBar).
      actions={null}
    >
      <p className="lead" data-testid="out-of-service-body">
        {t('outOfService.body')}
      </p>
      <p data-testid="out-of-service-where">{t('outOfService.where')}</p>
    </Screen>
  );
}

/** Under the menu: what this card would get that the machine cannot offer now, and why. */
export function NotOfferedNote() {
  const { t } = useTranslation();
  const { snapshot } = useKiosk();
  if (snapshot.screen !== 'menu' || !snapshot.notOffered?.length) return null;
  return (
    <ul className="lead" data-testid="menu-not-offered">
      {snapshot.notOffered.map((n) => (
        <li key={n.option} data-testid={`not-offered-${n.option}`}>
          {t(`outOfService.notOffered.${n.reason}`)}
        </li>
      ))}
    </ul>
  );
}
