// The tester console: a separate page (tester.html) for people running the kiosk on emulated
// hardware. The kiosk's own screen is shown beside the controls (a same-origin frame, allowed only
// when the host runs the tester API); the controls drive the devices through the tester API and
// never talk to the traveller screen directly. Every action's result stays listed.
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../styles.css';
import './tester.css';
import { BEHAVIOURS } from './behaviours.js';
import { FAULTS, testerApi, type FaultName, type FixtureCardId, type LedgerEntry, type TerminalBehaviour, type TesterState } from './tester-api.js';

const api = testerApi();
const euro = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'EUR' });
const LEDGER_STATES: Record<LedgerEntry['state'], string> = {
  authorized: 'approved, not yet booked',
  committed: 'booked',
  reversed: 'undone',
};

interface Result {
  at: string;
  ok: boolean;
  text: string;
}

function TesterConsole() {
  const [state, setState] = useState<TesterState>();
  const [ledger, setLedger] = useState<LedgerEntry[]>([]);
  const [results, setResults] = useState<Result[]>([]);
  const [busy, setBusy] = useState(false);
  const [faults, setFaults] = useState<string[]>([]);

  const refresh = useCallback(async () => {
    try {
      setState(await api.state());
      const l = await api.ledger();
      setLedger(Array.isArray(l) ? l : l.ledger);
    } catch (e) {
      setResults((r) => [{ at: new Date().toLocaleTimeString('en-GB'), ok: false, text: `Could not read the tester state: ${String(e)}` }, ...r].slice(0, 12));
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), 1500);
    return () => clearInterval(timer);
  }, [refresh]);

  const run = async (label: string, action: () => Promise<unknown>) => {
    setBusy(true);
    const at = new Date().toLocaleTimeString('en-GB');
    try {
      await action();
      setResults((r) => [{ at, ok: true, text: `OK: ${label}` }, ...r].slice(0, 12));
    } catch (e) {
      setResults((r) => [{ at, ok: false, text: `Failed: ${label}: ${e instanceof Error ? e.message : String(e)}` }, ...r].slice(0, 12));
    } finally {
      setBusy(false);
      void refresh();
    }
  };

  const fixtures = state?.card?.fixtures ?? [];
  const presented = state?.card?.presented ?? null;
  const presentedLabel = fixtures.find((f) => f.id === presented)?.label;
  const behaviour = state?.terminal?.behaviour;
  const behaviours: TerminalBehaviour[] = state?.terminal?.behaviours ?? [];
  const reachable = state?.backOffice.reachable;

  return (
    <div className="tester-layout">
      <main className="tester" data-screen="tester">
        <h1>Kiosk tester console (emulated hardware)</h1>

        <section className="tester-now" aria-label="Now">
          <p data-testid="now-card">
            <strong>On the card reader:</strong> {presented ? `${presentedLabel ?? presented} (${presented})` : 'no card'}
          </p>
          <p data-testid="now-terminal">
            <strong>Payment terminal:</strong> {behaviour ? `${BEHAVIOURS[behaviour].label}: ${BEHAVIOURS[behaviour].does}` : 'not emulated here'}
          </p>
          <p data-testid="now-backoffice">
            <strong>Back office:</strong> {reachable === undefined ? '…' : reachable ? 'reachable' : 'switched off (orders cannot be fetched)'}
          </p>
          <p>
            <strong>Kiosk screen:</strong> <span data-testid="now-screen">{state?.snapshot?.screen ?? '…'}</span>
          </p>
        </section>

        <p role="status" className="tester-message" data-testid="tester-message">
          {results[0]?.text ?? ''}
        </p>

        <section aria-labelledby="cards">
          <h2 id="cards">Card reader</h2>
          <ul className="tester-list">
            {fixtures.map(({ id, label }: { id: FixtureCardId; label: string }) => (
              <li key={id}>
                <button
                  type="button"
                  className="btn"
                  aria-pressed={presented === id}
                  disabled={busy}
                  data-testid={`present-${id}`}
                  onClick={() => void run(`“${label}” held to the reader`, () => api.presentCard(id))}
                >
                  Hold to reader
                </button>
                <span>
                  {label} <code>{id}</code>
                </span>
              </li>
            ))}
          </ul>
          <button type="button" className="btn btn-primary" disabled={busy || !presented} data-testid="remove-card" onClick={() => void run('card taken off the reader', () => api.removeCard())}>
            Take the card off the reader
          </button>
        </section>

        <section aria-labelledby="terminal">
          <h2 id="terminal">Payment terminal: what it does with the next payment</h2>
          <ul className="tester-list">
            {behaviours.map((b) => (
              <li key={b}>
                <button
                  type="button"
                  className="btn"
                  aria-pressed={behaviour === b}
                  disabled={busy}
                  data-testid={`behaviour-${b}`}
                  onClick={() => void run(`terminal set to “${BEHAVIOURS[b].label}”`, () => api.setBehaviour(b))}
                >
                  {BEHAVIOURS[b].label}
                </button>
                <span>{BEHAVIOURS[b].does}</span>
              </li>
            ))}
          </ul>
        </section>

        <section aria-labelledby="backoffice">
          <h2 id="backoffice">Back office</h2>
          <button
            type="button"
            className="btn"
            role="switch"
            aria-checked={reachable === true}
            disabled={busy || reachable === undefined}
            data-testid="backoffice-switch"
            onClick={() => void run(reachable ? 'back office switched off' : 'back office switched on', () => api.setBackOffice(!reachable))}
          >
            {reachable ? 'Reachable: switch off' : 'Switched off: switch on'}
          </button>
        </section>

        <section aria-labelledby="faults">
          <h2 id="faults">Faults (the kiosk's health model reacts; reset ends them all)</h2>
          <ul className="tester-list">
            {(Object.keys(FAULTS) as FaultName[]).map((f) => {
              const on = faults.includes(f);
              return (
                <li key={f}>
                  <button
                    type="button"
                    className="btn"
                    role="switch"
                    aria-checked={on}
                    disabled={busy}
                    data-testid={`fault-${f}`}
                    onClick={() =>
                      void run(`${FAULTS[f].label}: ${on ? 'ended' : 'caused'}`, async () => {
                        const r = await api.setFault(f, !on);
                        setFaults(r?.health?.testerFaults ?? (on ? faults.filter((x) => x !== f) : [...faults, f]));
                      })
                    }
                  >
                    {on ? `${FAULTS[f].label}: end it` : FAULTS[f].label}
                  </button>
                  <span>{FAULTS[f].does}</span>
                </li>
              );
            })}
          </ul>
        </section>

        <section aria-labelledby="ledger">
          <h2 id="ledger">Terminal ledger (the terminal's own view of the money)</h2>
          {ledger.length ? (
            <table className="tester-table" data-testid="tester-ledger">
              <thead>
                <tr>
                  <th scope="col">Receipt</th>
                  <th scope="col">Payment</th>
                  <th scope="col" className="num">
                    Amount
                  </th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {ledger.map((e) => (
                  <tr key={e.receiptNumber}>
                    <td>{e.receiptNumber}</td>
                    <td>
                      <code>{e.paymentId ?? '—'}</code>
                    </td>
                    <td className="num">{euro.format(e.amountCents / 100)}</td>
                    <td>{LEDGER_STATES[e.state]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p data-testid="tester-ledger">No payments yet.</p>
          )}
        </section>

        <section aria-labelledby="reset">
          <h2 id="reset">Reset</h2>
          <button type="button" className="btn btn-primary" disabled={busy} data-testid="reset" onClick={() => void run('kiosk and emulators reset', async () => (await api.reset(), setFaults([])))}>
            Reset the emulators and the kiosk
          </button>
        </section>

        <section aria-labelledby="results">
          <h2 id="results">Results of your actions</h2>
          <ol className="tester-results" data-testid="tester-results">
            {results.map((r, i) => (
              <li key={`${r.at}-${i}`} className={r.ok ? 'ok' : 'failed'}>
                <span className="at">{r.at}</span> {r.text}
              </li>
            ))}
          </ol>
        </section>
      </main>
      <aside className="tester-kiosk" aria-label="The kiosk's own screen">
        <h2>The kiosk's screen</h2>
        <div className="tester-frame">
          <iframe src="./index.html" title="Kiosk screen" data-testid="kiosk-frame" />
        </div>
      </aside>
    </div>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('tester: #root missing');
createRoot(root).render(
  <StrictMode>
    <TesterConsole />
  </StrictMode>,
);
