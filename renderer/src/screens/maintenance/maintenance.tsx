// Issue 13: the technician's screens. Texts in Dutch and English; German and French show the
// English texts (the locale files carry English copies under `maintenance.*`): technicians are
// trained staff, travellers never see these screens.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SnapshotFor } from '../../bridge/contract.js';
import type { ActionResult, DashboardFacts, MaintenanceAction, SubsystemFacts } from '../../../../contract/maintenance.js';
import { EventButton } from '../../components/Button.js';
import { Progress } from '../../components/Progress.js';
import { Screen } from '../../components/Screen.js';
import { formatDateTime, formatMoney, formatTime } from '../../format.js';
import { useKiosk } from '../../kiosk-context.js';

/** "label: value": French puts a no-break space before the colon. */
const colon = (locale: string) => (locale === 'fr' ? '\u00a0: ' : ': ');

type MaintenanceSnapshot = SnapshotFor<'maintenance-dashboard'>;

function useMaintenance(): MaintenanceSnapshot['maintenance'] {
  const { snapshot } = useKiosk();
  return 'maintenance' in snapshot ? (snapshot as MaintenanceSnapshot).maintenance : { wrongPin: false, results: [] };
}

export function MaintenanceVerifyingScreen() {
  const { t } = useTranslation();
  return (
    <Screen id="maintenance-verifying" title={t('maintenance.verifying.title')} pictogram="card-reader" actions={null}>
      <Progress label={t('maintenance.verifying.progress')} />
    </Screen>
  );
}

function minutesLeft(iso: string): number {
  return Math.max(1, Math.ceil((Date.parse(iso) - Date.now()) / 60_000));
}

export function MaintenanceRefusedScreen() {
  const { t, i18n } = useTranslation();
  const m = useMaintenance();
  const reason = m.refusal ?? 'forged';
  return (
    <Screen
      id="maintenance-refused"
      title={t('maintenance.refused.title')}
      tone="error"
      actions={
        <EventButton event={{ type: 'CANCEL' }} variant="primary" whileBusy testId="maintenance-close">
          {t('maintenance.refused.close')}
        </EventButton>
      }
    >
      <p className="lead" data-testid="maintenance-refusal" data-reason={reason}>
        {t(`maintenance.refused.reason.${reason}`)}
      </p>
      {m.lockedUntil ? (
        <p className="notice notice-error" data-testid="maintenance-locked-until">
          {t('maintenance.refused.lockedUntil', { time: formatTime(m.lockedUntil, i18n.language as 'nl'), minutes: minutesLeft(m.lockedUntil) })}
        </p>
      ) : null}
    </Screen>
  );
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export function MaintenancePinScreen() {
  const { t } = useTranslation();
  const { snapshot, send } = useKiosk();
  const m = useMaintenance();
  // The PIN stays in this component only: never in a snapshot, never echoed (dots only).
  const [pin, setPin] = useState('');
  const busy = snapshot.busy;
  // A checked PIN (right or wrong) starts over empty.
  useEffect(() => {
    if (busy) setPin('');
  }, [busy]);
  const press = (d: string) => setPin((p) => (p.length < 12 ? p + d : p));
  const key = (label: string, onClick: () => void, testId: string, ariaLabel?: string) => (
    <button type="button" className="btn btn-secondary keypad-key" disabled={busy} onClick={onClick} data-testid={testId} aria-label={ariaLabel}>
      {label}
    </button>
  );
  return (
    <Screen
      id="maintenance-pin"
      title={t('maintenance.pin.title')}
      actions={
        <>
          <EventButton event={{ type: 'CANCEL' }} testId="maintenance-pin-cancel">
            {t('maintenance.pin.cancel')}
          </EventButton>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || pin.length < 4}
            data-testid="maintenance-pin-ok"
            onClick={() => {
              const entered = pin;
              setPin('');
              void send({ type: 'PIN', pin: entered });
            }}
          >
            {t('maintenance.pin.ok')}
          </button>
        </>
      }
    >
      {m.technicianId ? <p data-testid="maintenance-technician">{t('maintenance.pin.technician', { id: m.technicianId })}</p> : null}
      <p className="pin-dots" aria-live="polite">
        <span aria-hidden="true" data-testid="maintenance-pin-dots">
          {pin.length ? '●'.repeat(pin.length) : '—'}
        </span>
        <span className="visually-hidden">{t('maintenance.pin.entered', { count: pin.length })}</span>
      </p>
      {busy ? <Progress label={t('maintenance.pin.checking')} /> : null}
      {m.wrongPin && !busy ? (
        <p className="notice notice-error" data-testid="maintenance-pin-wrong">
          {t('maintenance.pin.wrong', { count: m.attemptsLeft ?? 0 })}
        </p>
      ) : m.attemptsLeft !== undefined ? (
        <p data-testid="maintenance-attempts">{t('maintenance.pin.attemptsLeft', { count: m.attemptsLeft })}</p>
      ) : null}
      <div className="keypad" data-testid="maintenance-keypad">
        {KEYS.map((d) => key(d, () => press(d), `pin-key-${d}`))}
        {key(t('maintenance.pin.clear'), () => setPin(''), 'pin-clear')}
        {key('0', () => press('0'), 'pin-key-0')}
        {key('⌫', () => setPin((p) => p.slice(0, -1)), 'pin-backspace', t('maintenance.pin.backspace'))}
      </div>
    </Screen>
  );
}

type Subsystem = Exclude<keyof DashboardFacts, 'outOfService'>;

const SECTIONS: { id: Subsystem; actions: MaintenanceAction[] }[] = [
  { id: 'cardReader', actions: ['reader-test-read'] },
  { id: 'paymentTerminal', actions: ['terminal-status', 'terminal-diagnosis', 'terminal-register', 'terminal-end-of-day'] },
  { id: 'journal', actions: ['journal-verify', 'upload-now'] },
  { id: 'backOffice', actions: ['backoffice-check', 'rotate-key'] },
  { id: 'software', actions: [] },
];

const OUT_OF_SERVICE_REASONS = ['repair', 'maintenance', 'inspection'] as const;

function useFactValue() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language as 'nl';
  return (key: string, v: string | number | boolean | null): string => {
    if (v === null) return t('maintenance.dashboard.unknown');
    if (typeof v === 'boolean') return v ? t('maintenance.dashboard.yes') : t('maintenance.dashboard.no');
    if (typeof v === 'number' && (key === 'totalCents' || key === 'balanceCents')) return formatMoney(v, locale);
    if (typeof v === 'number' && key === 'freeBytes') return `${(v / 1024 / 1024).toFixed(0)} MB`;
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return formatDateTime(v, locale);
    return String(v);
  };
}

function Facts({ facts, testId }: { facts: Record<string, string | number | boolean | null>; testId: string }) {
  const { t } = useTranslation();
  const value = useFactValue();
  return (
    <dl className="facts" data-testid={testId}>
      {Object.entries(facts).map(([k, v]) => (
        <div key={k} className="fact" data-fact={k}>
          <dt>{t(`maintenance.dashboard.fact.${k}` as 'maintenance.dashboard.fact.state', { defaultValue: k })}</dt>
          <dd data-testid={`${testId}-${k}`}>{value(k, v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function Result({ result }: { result: ActionResult }) {
  const { t, i18n } = useTranslation();
  return (
    <div className={`action-result ${result.outcome === 'ok' ? 'result-ok' : 'notice notice-error'}`} data-testid={`result-${result.action}`} data-outcome={result.outcome}>
      <strong>
        {t(`maintenance.dashboard.action.${result.action}`)}
        {colon(i18n.language)}
        {result.outcome === 'ok' ? t('maintenance.dashboard.resultOk') : t('maintenance.dashboard.resultFailed')}
      </strong>
      {Object.keys(result.detail).length ? <Facts facts={result.detail} testId={`result-${result.action}-detail`} /> : null}
    </div>
  );
}

function SubsystemPanel({ id, sub, actions, m }: { id: Subsystem; sub: SubsystemFacts | undefined; actions: MaintenanceAction[]; m: MaintenanceSnapshot['maintenance'] }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language as 'nl';
  return (
    <section className="panel subsystem" data-testid={`subsystem-${id}`} aria-labelledby={`subsystem-${id}-title`}>
      <h2 id={`subsystem-${id}-title`}>
        {t(`maintenance.dashboard.subsystem.${id}`)}{' '}
        <span className={sub?.ok === false ? 'state-fault' : 'state-ok'} data-testid={`subsystem-${id}-ok`}>
          {sub ? (sub.ok ? t('maintenance.dashboard.ok') : t('maintenance.dashboard.fault')) : t('maintenance.dashboard.unknown')}
        </span>
      </h2>
      {sub ? (
        <>
          <p>
            {t('maintenance.dashboard.state')}
            {colon(locale)}
            <span data-testid={`subsystem-${id}-state`}>{sub.state}</span>
            {sub.since ? ` · ${t('maintenance.dashboard.since')} ${formatDateTime(sub.since, locale)}` : ''}
          </p>
          <p data-testid={`subsystem-${id}-last-error`}>
            {t('maintenance.dashboard.lastError')}
            {colon(locale)}
            {sub.lastError ?? t('maintenance.dashboard.none')}
          </p>
          <Facts facts={sub.facts} testId={`facts-${id}`} />
        </>
      ) : null}
      {actions.length ? (
        <div className="action-row">
          {actions.map((a) => (
            <EventButton key={a} event={{ type: 'RUN', action: a }} testId={`run-${a}`}>
              {t(`maintenance.dashboard.action.${a}`)}
            </EventButton>
          ))}
        </div>
      ) : null}
      {m.running && actions.includes(m.running) ? (
        <>
          <Progress label={t('maintenance.dashboard.running', { action: t(`maintenance.dashboard.action.${m.running}`) })} />
          {m.running === 'reader-test-read' ? <p className="lead">{t('maintenance.dashboard.testReadHint')}</p> : null}
        </>
      ) : null}
      {actions.map((a) => {
        const r = m.results.find((x) => x.action === a);
        return r && m.running !== a ? <Result key={a} result={r} /> : null;
      })}
    </section>
  );
}

export function MaintenanceDashboardScreen() {
  const { t } = useTranslation();
  const m = useMaintenance();
  const f = m.facts;
  const out = f?.outOfService ?? [];
  const serviceResult = m.results.find((r) => r.action === 'out-of-service' || r.action === 'back-in-service');
  return (
    <Screen
      id="maintenance-dashboard"
      title={t('maintenance.dashboard.title')}
      actions={
        <EventButton event={{ type: 'LOCK' }} variant="primary" testId="maintenance-lock">
          {t('maintenance.dashboard.lock')}
        </EventButton>
      }
    >
      {m.technicianId ? <p data-testid="maintenance-signed-in">{t('maintenance.dashboard.technician', { id: m.technicianId })}</p> : null}
      <section className="panel subsystem" data-testid="service-state" aria-labelledby="service-state-title">
        <h2 id="service-state-title" className={out.length ? 'state-fault' : 'state-ok'} data-testid="service-state-text" data-out-of-service={out.length ? 'yes' : 'no'}>
          {out.length ? t('maintenance.dashboard.outOfServiceNow', { reasons: out.join(', ') }) : t('maintenance.dashboard.inServiceNow')}
        </h2>
        {out.includes('technician') ? (
          <div className="action-row">
            <EventButton event={{ type: 'RUN', action: 'back-in-service' }} testId="run-back-in-service">
              {t('maintenance.dashboard.action.back-in-service')}
            </EventButton>
          </div>
        ) : (
          <>
            <p>{t('maintenance.dashboard.outOfServiceReason')}</p>
            <div className="action-row">
              {OUT_OF_SERVICE_REASONS.map((r) => (
                <EventButton key={r} event={{ type: 'RUN', action: 'out-of-service', reason: r }} testId={`run-out-of-service-${r}`}>
                  {t(`maintenance.dashboard.reason.${r}`)}
                </EventButton>
              ))}
            </div>
          </>
        )}
        {m.running === 'out-of-service' || m.running === 'back-in-service' ? (
          <Progress label={t('maintenance.dashboard.running', { action: t(`maintenance.dashboard.action.${m.running}`) })} />
        ) : serviceResult ? (
          <Result result={serviceResult} />
        ) : null}
      </section>
      {SECTIONS.map((s) => (
        <SubsystemPanel key={s.id} id={s.id} sub={f?.[s.id]} actions={s.actions} m={m} />
      ))}
    </Screen>
  );
}
