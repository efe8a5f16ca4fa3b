/**
 * Issue 13: how the session opens the technicians' maintenance journey. A card held at the start
 * screen (or at the out-of-service screen) is first identified; only a technician card opens
 * maintenance, whose every ending returns to the start screen. A traveller's card goes on to the
 * read and the menu as before; without maintenance configured no card is even asked.
 */
import { describe, expect, it } from 'vitest';
import { FULL_SERVICE } from '../../contract/health.js';
import { card, MAINTENANCE_TEST_INPUT, okRead, startKiosk } from '../test-harness.js';

const technician = { format: 'technician' as const, uid: '04E7C1A0000001', credential: 'token.sig' };
const okCredential = { ok: true as const, technician: { technicianId: 'T-0001', roles: ['diagnostics'], expiresAt: '2031-12-31T23:00:00.000Z' }, attemptsLeft: 5 };

async function holdAtStart(h: ReturnType<typeof startKiosk>) {
  h.lastWait().resolve({ uid: 'X' });
  await h.flush();
}

describe('session: the maintenance journey opens only for a technician card', () => {
  it('a technician card at the start screen opens maintenance with its credential and UID; PIN, dashboard, lock, back to start', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    expect(h.screen()).toBe('reading-card');
    h.lastIdentify().resolve(technician);
    await h.flush();
    expect(h.screen()).toBe('maintenance-verifying');
    expect(h.lastVerify().input).toEqual({ credential: 'token.sig', uid: '04E7C1A0000001' });
    expect(h.reads).toHaveLength(0); // a technician card is never read as a traveller's card
    h.lastVerify().resolve(okCredential);
    await h.flush();
    expect(h.screen()).toBe('maintenance-pin');
    expect(h.idle()).toBe('disarmed'); // the traveller's inactivity count does not run here
    h.send({ type: 'PIN', pin: 'abc' }); // not digits: not taken
    expect(h.pinChecks).toHaveLength(0);
    h.send({ type: 'PIN', pin: '2580' });
    h.lastPinCheck().resolve({ ok: true });
    await h.flush();
    expect(h.screen()).toBe('maintenance-dashboard');
    h.send({ type: 'RUN', action: 'terminal-status' });
    expect(h.lastAction().input).toEqual({ technicianId: 'T-0001', action: 'terminal-status' });
    h.lastAction().resolve({ action: 'terminal-status', outcome: 'ok', detail: { state: 'ready' } });
    await h.flush();
    h.send({ type: 'LOCK' });
    await h.flush();
    expect(h.screen()).toBe('start');
    expect(h.ctx().technicianCard).toBeUndefined();
  });

  it("a traveller's card at the start screen is identified, then read and shown the menu as before", async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.lastIdentify().resolve({ format: 'traveller' });
    await h.flush();
    expect(h.verifies).toHaveLength(0);
    h.lastRead().resolve(okRead(card({ kind: 'personal' })));
    await h.flush();
    expect(h.screen()).toBe('menu');
    // Technician events do nothing for a traveller.
    h.send({ type: 'LOCK' });
    h.send({ type: 'PIN', pin: '2580' });
    expect(h.screen()).toBe('menu');
  });

  it('an identification that fails goes on to the traveller read (which reports the card as it always did)', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.lastIdentify().reject(new Error('io'));
    await h.flush();
    expect(h.screen()).toBe('reading-card');
    h.lastRead().resolve({ ok: false, problem: 'defective' });
    await h.flush();
    expect(h.screen()).toBe('card-problem');
  });

  it('without maintenance configured no card is identified (the read follows the wait at once)', async () => {
    const h = startKiosk();
    await holdAtStart(h);
    expect(h.identifies).toHaveLength(0);
    expect(h.reads).toHaveLength(1);
  });

  it('a refused credential (revoked) shows the refusal, then returns to the start screen by itself', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.lastIdentify().resolve(technician);
    await h.flush();
    h.lastVerify().resolve({ ok: false, reason: 'revoked', technicianId: 'T-0002' });
    await h.flush();
    expect(h.screen()).toBe('maintenance-refused');
    h.clock.increment(5_000);
    await h.flush();
    expect(h.screen()).toBe('start');
  });

  it('a maintenance journey that breaks ends at the start screen too', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.lastIdentify().resolve(technician);
    await h.flush();
    h.lastVerify().reject(new Error('list unreadable'));
    await h.flush();
    expect(h.screen()).toBe('start');
  });

  it('out of service: a traveller card is not taken, a technician card opens maintenance, and back in service returns to start', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    h.send({ type: 'HEALTH', availability: { ...FULL_SERVICE, outOfService: ['technician'] } });
    expect(h.screen()).toBe('out-of-service');
    h.lastWait().resolve({ uid: 'T' });
    await h.flush();
    h.lastIdentify().resolve({ format: 'traveller' });
    await h.flush();
    expect(h.screen()).toBe('out-of-service');
    expect(h.reads).toHaveLength(0);
    expect(h.lastWait().input).toEqual({ fresh: true });
    h.lastWait().resolve({ uid: 'T' });
    await h.flush();
    h.lastIdentify().resolve(technician);
    await h.flush();
    h.lastVerify().resolve(okCredential);
    await h.flush();
    h.send({ type: 'PIN', pin: '2580' });
    h.lastPinCheck().resolve({ ok: true });
    await h.flush();
    h.send({ type: 'RUN', action: 'back-in-service' });
    h.send({ type: 'HEALTH', availability: FULL_SERVICE });
    h.lastAction().resolve({ action: 'back-in-service', outcome: 'ok', detail: {} });
    await h.flush();
    h.send({ type: 'LOCK' });
    await h.flush();
    expect(h.screen()).toBe('start');
  });

  it('out of service with the reader gone: the card wait fails and the screen stays until the kiosk is whole', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    h.send({ type: 'HEALTH', availability: { ...FULL_SERVICE, outOfService: ['card-reader'] } });
    h.lastWait().reject(new Error('reader gone'));
    await h.flush();
    expect(h.screen()).toBe('out-of-service');
    h.send({ type: 'HEALTH', availability: FULL_SERVICE });
    expect(h.screen()).toBe('start');
  });

  it('the kiosk went out of service while a traveller card was being identified: back to the out-of-service screen', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.send({ type: 'HEALTH', availability: { ...FULL_SERVICE, outOfService: ['journal-chain'] } });
    h.lastIdentify().resolve({ format: 'traveller' });
    await h.flush();
    expect(h.screen()).toBe('out-of-service');
    const h2 = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h2);
    h2.send({ type: 'HEALTH', availability: { ...FULL_SERVICE, outOfService: ['journal-chain'] } });
    h2.lastIdentify().reject(new Error('io'));
    await h2.flush();
    expect(h2.screen()).toBe('out-of-service');
  });

  it('"cancel" on the PIN screen locks the session and the kiosk returns to start', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.lastIdentify().resolve(technician);
    await h.flush();
    h.lastVerify().resolve(okCredential);
    await h.flush();
    h.send({ type: 'CANCEL' });
    await h.flush();
    expect(h.screen()).toBe('start');
  });

  it('idle on the PIN screen: the session locks itself and the kiosk returns to start', async () => {
    const h = startKiosk(MAINTENANCE_TEST_INPUT);
    await holdAtStart(h);
    h.lastIdentify().resolve(technician);
    await h.flush();
    h.lastVerify().resolve(okCredential);
    await h.flush();
    h.clock.increment(179_000);
    h.send({ type: 'ACTIVITY' }); // a touch restarts the idle lock
    h.clock.increment(179_000);
    expect(h.screen()).toBe('maintenance-pin');
    h.clock.increment(2_000);
    await h.flush();
    expect(h.screen()).toBe('start');
  });
});
