import type { i18n as I18n } from 'i18next';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import type { KioskEvent, KioskSnapshot, SendResult } from './bridge/contract.js';
import type { RendererBridge } from './bridge/select.js';
import type { ConnectionState } from './bridge/ws-client.js';
import { InactivityDialog } from './components/InactivityDialog.js';
import { Progress } from './components/Progress.js';
import { LanguageBar, TopBar } from './components/TopBar.js';
import { KioskContext, type KioskContextValue } from './kiosk-context.js';
import { SCREEN_COMPONENTS } from './screens/index.js';

interface ViewProps {
  snapshot: KioskSnapshot;
  connection: ConnectionState;
  send(event: KioskEvent): Promise<SendResult>;
  notice?: string | undefined;
}

/** The whole screen for one snapshot: pure, so it can be rendered in tests without a bridge. */
export function KioskView({ snapshot, connection, send, notice }: ViewProps) {
  const { t } = useTranslation();
  const Current = SCREEN_COMPONENTS[snapshot.screen] ?? SCREEN_COMPONENTS.start;
  const ctx = useMemo<KioskContextValue>(() => ({ snapshot, locale: snapshot.locale, send }), [snapshot, send]);
  return (
    <KioskContext.Provider value={ctx}>
      <div className={`kiosk${snapshot.largeText ? ' large-text' : ''}`} lang={snapshot.locale} aria-busy={snapshot.busy}>
        <TopBar />
        {connection !== 'open' ? (
          <div className="connection-banner" role="status" data-testid="connecting">
            <Progress label={t('app.connecting')} />
          </div>
        ) : null}
        {snapshot.busy ? (
          <div className="busy-strip" data-testid="busy">
            <span className="visually-hidden">{t('app.busy')}</span>
          </div>
        ) : null}
        <Current />
        <LanguageBar />
        {notice ? (
          <div className="toast" role="alert" data-testid="notice">
            {notice}
          </div>
        ) : null}
        <InactivityDialog />
      </div>
    </KioskContext.Provider>
  );
}

const ACTIVITY_THROTTLE_MS = 3000;

export function App({ bridge, i18n }: { bridge: RendererBridge; i18n: I18n }) {
  const [snapshot, setSnapshot] = useState<KioskSnapshot | undefined>();
  const [connection, setConnection] = useState<ConnectionState>(bridge.connection());
  const [notice, setNotice] = useState<string | undefined>();
  const lastActivity = useRef(0);
  const noticeTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => bridge.api.onSnapshot(setSnapshot), [bridge]);
  useEffect(() => {
    const off = bridge.onConnection(setConnection);
    // The socket may have opened between the first render and this subscription.
    setConnection(bridge.connection());
    return off;
  }, [bridge]);

  // The snapshot owns the language (the core resets it to Dutch); the page follows.
  useEffect(() => {
    if (snapshot && i18n.language !== snapshot.locale) void i18n.changeLanguage(snapshot.locale);
    if (snapshot) {
      document.documentElement.lang = snapshot.locale;
      document.title = i18n.t('app.title');
    }
  }, [snapshot?.locale, i18n, snapshot]);

  const send = useCallback(
    async (event: KioskEvent): Promise<SendResult> => {
      lastActivity.current = Date.now();
      const result = await bridge.api.send(event);
      if (!result.ok) {
        setNotice(i18n.t('app.notNow'));
        clearTimeout(noticeTimer.current);
        noticeTimer.current = setTimeout(() => setNotice(undefined), 4000);
      }
      return result;
    },
    [bridge, i18n],
  );

  // Any touch counts as activity for the inactivity timer (throttled; buttons send their own events).
  useEffect(() => {
    const onTouch = (e: Event) => {
      // The inactivity warning's own buttons answer it (MORE_TIME, END_VISIT): an ACTIVITY sent on
      // their pointerdown would close the warning first, and "no, I have finished" would then find
      // no warning to answer.
      if (e.target instanceof Element && e.target.closest('[role="alertdialog"]')) return;
      const now = Date.now();
      if (now - lastActivity.current < ACTIVITY_THROTTLE_MS) return;
      lastActivity.current = now;
      void bridge.api.send({ type: 'ACTIVITY' });
    };
    window.addEventListener('pointerdown', onTouch, { passive: true });
    window.addEventListener('keydown', onTouch);
    return () => {
      window.removeEventListener('pointerdown', onTouch);
      window.removeEventListener('keydown', onTouch);
    };
  }, [bridge]);

  return (
    <I18nextProvider i18n={i18n}>
      {snapshot ? (
        <KioskView snapshot={snapshot} connection={connection} send={send} notice={notice} />
      ) : (
        <div className="kiosk" data-screen-loading="true">
          <FirstConnect />
        </div>
      )}
    </I18nextProvider>
  );
}

function FirstConnect() {
  const { t } = useTranslation();
  return (
    <main className="screen" data-testid="connecting">
      <h1>{t('app.title')}</h1>
      <Progress label={t('app.connecting')} />
    </main>
  );
}
