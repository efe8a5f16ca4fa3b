// The tester panel: a separate page (tester.html) for people running the kiosk on emulated
// hardware. It drives the devices through the browser host's tester API; it never talks to the
// traveller UI directly.
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { FIXTURE_CARD_IDS } from '../../../contract/fixture-cards.js';
import '../styles.css';
import './tester.css';
import { TERMINAL_BEHAVIOURS, testerApi, type FixtureCardId, type TerminalBehaviour } from './tester-api.js';

const api = testerApi();

function TesterPanel() {
  const [state, setState] = useState<unknown>();
  const [ledger, setLedger] = useState<unknown>();
  const [message, setMessage] = useState<string>('');
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    try {
      setState(await api.state());
      setLedger(await api.ledger());
    } catch (e) {
      setMessage(e instanceof Error ? e.message : String(e));
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), 1500);
    return () => clearInterval(timer);
  }, [refresh]);

  const run = async (label: string, action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      setMessage(`OK: ${label}`);
    } catch (e) {
      setMessage(`Failed: ${label}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
      void refresh();
    }
  };

  return (
    <main className="tester" data-screen="tester">
      <h1>Kiosk tester panel (emulated hardware)</h1>
      <p className="lead">
        The traveller screen is at <a href="./index.html">index.html</a>. Actions here go to the emulated card reader and payment
        terminal.
      </p>
      <section aria-labelledby="cards">
        <h2 id="cards">Card reader</h2>
        <div className="tester-grid">
          {FIXTURE_CARD_IDS.map((id: FixtureCardId) => (
            <button key={id} type="button" className="btn" disabled={busy} data-testid={`present-${id}`} onClick={() => void run(`present ${id}`, () => api.presentCard(id))}>
              Present “{id}”
            </button>
          ))}
          <button type="button" className="btn btn-primary" disabled={busy} data-testid="remove-card" onClick={() => void run('remove card', () => api.removeCard())}>
            Remove card
          </button>
        </div>
      </section>
      <section aria-labelledby="terminal">
        <h2 id="terminal">Payment terminal behaviour</h2>
        <div className="tester-grid">
          {TERMINAL_BEHAVIOURS.map((b: TerminalBehaviour) => (
            <button key={b} type="button" className="btn" disabled={busy} data-testid={`behaviour-${b}`} onClick={() => void run(`terminal ${b}`, () => api.setBehaviour(b))}>
              {b}
            </button>
          ))}
        </div>
      </section>
      <section aria-labelledby="reset">
        <h2 id="reset">Reset</h2>
        <button type="button" className="btn btn-primary" disabled={busy} data-testid="reset" onClick={() => void run('reset', () => api.reset())}>
          Reset emulators and kiosk
        </button>
      </section>
      <p role="status" className="tester-message" data-testid="tester-message">
        {message}
      </p>
      <section aria-labelledby="state">
        <h2 id="state">State</h2>
        <pre data-testid="tester-state">{JSON.stringify(state, null, 2)}</pre>
        <h2>Terminal ledger</h2>
        <pre data-testid="tester-ledger">{JSON.stringify(ledger, null, 2)}</pre>
      </section>
    </main>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('tester: #root missing');
createRoot(root).render(
  <StrictMode>
    <TesterPanel />
  </StrictMode>,
);
