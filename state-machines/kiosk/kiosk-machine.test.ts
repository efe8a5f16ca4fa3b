import { describe, expect, it } from 'vitest';
import { card, okRead, recordTransitions, startKiosk, TEST_INPUT, TEST_TIMING, toApproved, toMenu, TODAY } from '../test-harness.js';
import { USER_EVENT_TYPES, type KioskUserEvent } from './kiosk-machine.js';
import { menuFor } from '../../domain/card-kinds.js';

describe('session machine: a card held on the start screen (issue 14)', () => {
  it('starts the visit at once: start -> reading the card -> menu, no tap on "start"', async () => {
    const h = startKiosk();
    expect(h.screen()).toBe('start');
    // The start screen waits for a card held anew (the last traveller's card may still lie there).
    expect(h.waits).toHaveLength(1);
    expect(h.lastWait().input).toEqual({ fresh: true });
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    expect(h.screen()).toBe('reading-card');
    h.lastRead().resolve(okRead());
    await h.flush();
    expect(h.screen()).toBe('menu');
  });

  it('a tap on "start" still asks for the card, and stops the start screen\'s own wait', async () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    expect(h.screen()).toBe('present-card');
    expect(h.waits).toHaveLength(2);
    // The start screen's wait was stopped with it: its late answer moves nothing.
    h.waits[0]!.resolve({ uid: 'X' });
    await h.flush();
    expect(h.screen()).toBe('present-card');
  });

  it('a reader that fails while the start screen waits shows service-unavailable (card reader)', async () => {
    const h = startKiosk();
    h.lastWait().reject(new Error('reader gone'));
    await h.flush();
    expect(h.screen()).toBe('service-unavailable');
    expect(h.ctx().unavailable).toBe('card-reader');
  });
});

describe('session machine: "no, I have finished" on the inactivity warning (issue 14)', () => {
  it('ends the visit with the goodbye while the warning shows', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.clock.increment(TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('warning');
    h.send({ type: 'END_VISIT' });
    expect(h.screen()).toBe('goodbye');
    expect(h.idle()).toBe('disarmed');
  });

  it('does nothing while no warning shows (a stray END_VISIT ends no visit)', async () => {
    const h = startKiosk();
    await toMenu(h);
    expect(h.actor.getSnapshot().can({ type: 'END_VISIT' })).toBe(false);
    h.send({ type: 'END_VISIT' });
    expect(h.screen()).toBe('menu');
  });
});

describe('session machine: start screen and language', () => {
  it('opens on the start screen in Dutch with no card', () => {
    const h = startKiosk();
    expect(h.screen()).toBe('start');
    expect(h.ctx().locale).toBe('nl');
    expect(h.ctx().card).toBeUndefined();
  });

  it('switches language on the start screen and keeps it when the session starts', () => {
    const h = startKiosk();
    h.send({ type: 'SET_LOCALE', locale: 'en' });
    expect(h.ctx().locale).toBe('en');
    h.send({ type: 'START' });
    expect(h.screen()).toBe('present-card');
    expect(h.ctx().locale).toBe('en');
  });

  it('toggles large text on any screen', () => {
    const h = startKiosk();
    h.send({ type: 'TOGGLE_LARGE_TEXT' });
    expect(h.ctx().largeText).toBe(true);
    h.send({ type: 'START' });
    h.send({ type: 'TOGGLE_LARGE_TEXT' });
    expect(h.ctx().largeText).toBe(false);
  });

  it('asks for the card with a wait that accepts a card already lying on the reader', () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    expect(h.lastWait().input).toEqual({ fresh: false });
  });

  it('goes back to start from the present-card screen on BACK', () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('start');
  });
});

describe('session machine: reading and checking the card', () => {
  it('shows the reading screen as busy while the card is read, then the menu', async () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    expect(h.screen()).toBe('reading-card');
    expect(h.actor.getSnapshot().hasTag('busy')).toBe(true);
    h.lastRead().resolve(okRead());
    await h.flush();
    expect(h.screen()).toBe('menu');
    expect(h.ctx().menu).toEqual(['topup', 'balance']);
    expect(h.ctx().card?.cardNumber).toBe('3528020000000014');
  });

  it('offers a personal card top up and balance', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ kind: 'personal' })));
    expect(h.ctx().menu).toEqual(['topup', 'balance']);
  });

  it('does not offer top up to a business card (config: topUp.cardKinds)', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ kind: 'business' })));
    expect(h.screen()).toBe('menu');
    expect(h.ctx().menu).toEqual(['balance']);
    h.send({ type: 'CHOOSE', option: 'topup' });
    expect(h.screen()).toBe('menu');
  });

  it('offers business cards top up when the configuration allows them', async () => {
    const h = startKiosk({ ...TEST_INPUT, topUp: { ...TEST_INPUT.topUp, cardKinds: ['personal', 'anonymous', 'business'] } });
    await toMenu(h, okRead(card({ kind: 'business' })));
    expect(h.ctx().menu).toEqual(['topup', 'balance']);
  });

  it('sends a card with nothing it may do to card-problem not-allowed (never an empty menu)', async () => {
    const h = startKiosk({ ...TEST_INPUT, menuOptions: [] });
    await toMenu(h, okRead(card({ kind: 'business' })));
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('not-allowed');
  });

  it('refuses a card blocked on the chip', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ blocked: true })));
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('blocked');
  });

  it("refuses a card on the back office's blocked list", async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card(), true));
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('blocked');
  });

  it('refuses an expired card (expiry before today)', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ expiryDate: '2026-11-22' })));
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('expired');
  });

  it('accepts a card on its last valid day', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ expiryDate: TODAY })));
    expect(h.screen()).toBe('menu');
  });

  it('calls an unreadable card defective', async () => {
    const h = startKiosk();
    await toMenu(h, { ok: false, problem: 'defective' });
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('defective');
  });

  it('calls the card defective when the read actor fails unexpectedly', async () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    h.lastRead().reject(new Error('boom'));
    await h.flush();
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('defective');
  });

  it('asks for the card again when it was taken away during the read', async () => {
    const h = startKiosk();
    await toMenu(h, { ok: false, problem: 'card-gone' });
    expect(h.screen()).toBe('present-card');
    expect(h.waits).toHaveLength(3);
    // A card still lying there after a broken-off read is not re-read in a loop: it must be held anew.
    expect(h.lastWait().input).toEqual({ fresh: true });
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    h.lastRead().resolve(okRead());
    await h.flush();
    expect(h.screen()).toBe('menu');
    expect(h.ctx().needFreshCard).toBe(false);
  });

  it('shows service-unavailable (card reader) when the reader is down during a read', async () => {
    const h = startKiosk();
    await toMenu(h, { ok: false, problem: 'reader-unavailable' });
    expect(h.screen()).toBe('service-unavailable');
    expect(h.ctx().unavailable).toBe('card-reader');
  });

  it('shows service-unavailable when waiting for a card fails', async () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    h.lastWait().reject(new Error('no reader'));
    await h.flush();
    expect(h.screen()).toBe('service-unavailable');
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('present-card');
  });

  it('lets the traveller try another card from card-problem, or leave via goodbye', async () => {
    const h = startKiosk();
    await toMenu(h, { ok: false, problem: 'defective' });
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('present-card');
    expect(h.ctx().problem).toBeUndefined();
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    h.lastRead().resolve(okRead(card({ blocked: true })));
    await h.flush();
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
    h.clock.increment(TEST_TIMING.goodbyeMs);
    expect(h.screen()).toBe('start');
  });
});

describe('session machine: menu', () => {
  it('shows the balance screen and comes back to the menu', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.send({ type: 'CHOOSE', option: 'balance' });
    expect(h.screen()).toBe('balance');
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('menu');
  });

  it('ignores a menu option the card does not have', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.send({ type: 'CHOOSE', option: 'collect-orders' });
    expect(h.screen()).toBe('menu');
  });

  it('says goodbye on CANCEL, then returns to start in Dutch with the card forgotten', async () => {
    const h = startKiosk();
    h.send({ type: 'SET_LOCALE', locale: 'fr' });
    await toMenu(h);
    h.send({ type: 'CANCEL' });
    expect(h.screen()).toBe('goodbye');
    h.clock.increment(TEST_TIMING.goodbyeMs);
    expect(h.screen()).toBe('start');
    expect(h.ctx().locale).toBe('nl');
    expect(h.ctx().card).toBeUndefined();
  });

  it('menuFor offers nothing but the extra options on an expired card', () => {
    expect(menuFor(card({ expiryDate: '2000-01-01' }), TODAY, TEST_INPUT)).toEqual(['balance']);
  });
});

describe('session machine: inactivity', () => {
  it('warns after inactivityMs on the menu, then returns to start after the warning time', async () => {
    const h = startKiosk();
    h.send({ type: 'SET_LOCALE', locale: 'de' });
    await toMenu(h);
    expect(h.idle()).toBe('counting');
    h.clock.increment(TEST_TIMING.inactivityMs - 1);
    expect(h.idle()).toBe('counting');
    h.clock.increment(1);
    expect(h.idle()).toBe('warning');
    expect(h.screen()).toBe('menu');
    h.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h.screen()).toBe('start');
    expect(h.ctx().locale).toBe('nl');
    expect(h.idle()).toBe('disarmed');
  });

  it('MORE_TIME during the warning keeps the session and restarts the count', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.clock.increment(TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('warning');
    h.send({ type: 'MORE_TIME' });
    expect(h.idle()).toBe('counting');
    h.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h.screen()).toBe('menu');
    h.clock.increment(TEST_TIMING.inactivityMs - TEST_TIMING.inactivityWarningMs);
    expect(h.idle()).toBe('warning');
  });

  it('any touch (ACTIVITY) restarts the count', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.clock.increment(TEST_TIMING.inactivityMs - 10);
    h.send({ type: 'ACTIVITY' });
    h.clock.increment(TEST_TIMING.inactivityMs - 10);
    expect(h.idle()).toBe('counting');
  });

  it('times out from the present-card screen too', () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    h.clock.increment(TEST_TIMING.inactivityMs);
    h.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h.screen()).toBe('start');
  });

  it('times out from card-problem and balance screens', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ blocked: true })));
    h.clock.increment(TEST_TIMING.inactivityMs);
    h.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h.screen()).toBe('start');
    const h2 = startKiosk();
    await toMenu(h2);
    h2.send({ type: 'CHOOSE', option: 'balance' });
    h2.clock.increment(TEST_TIMING.inactivityMs);
    h2.clock.increment(TEST_TIMING.inactivityWarningMs);
    expect(h2.screen()).toBe('start');
  });

  it('runs no timer on the start screen or while the card is read', async () => {
    const h = startKiosk();
    h.clock.increment(10 * TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('disarmed');
    h.send({ type: 'START' });
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    expect(h.screen()).toBe('reading-card');
    h.clock.increment(10 * TEST_TIMING.inactivityMs);
    expect(h.screen()).toBe('reading-card');
  });
});

describe('session machine: a journey that breaks', () => {
  it('says goodbye and emits journey-failed so the runtime settles what was left open', async () => {
    const { createActor, fromPromise } = await import('xstate');
    const { kioskMachine } = await import('./kiosk-machine.js');
    const { topUpMachine } = await import('../top-up/top-up-machine.js');
    const machine = kioskMachine.provide({
      actors: {
        waitForCard: fromPromise(async () => ({ uid: 'U' })),
        readCard: fromPromise(async () => okRead()),
        // A journey implementation that fails outright stands for any bug inside a journey.
        topUp: fromPromise(async () => {
          throw new Error('broken journey');
        }) as unknown as typeof topUpMachine,
      },
    });
    const a = createActor(machine, { input: TEST_INPUT, inspect: recordTransitions });
    const failures: unknown[] = [];
    a.on('journey-failed', (e) => failures.push(e));
    a.start();
    a.send({ type: 'START' });
    await new Promise((r) => setTimeout(r, 10));
    expect(a.getSnapshot().value).toMatchObject({ journey: 'menu' });
    a.send({ type: 'CHOOSE', option: 'topup' });
    await new Promise((r) => setTimeout(r, 10));
    expect(a.getSnapshot().value).toMatchObject({ journey: 'goodbye' });
    expect(failures).toEqual([{ type: 'journey-failed', journey: 'topUp' }]);
  });
});

describe('session machine: every way out of every screen', () => {
  const cases: [string, (h: ReturnType<typeof startKiosk>) => Promise<void>, KioskUserEvent['type'], string][] = [
    ['present-card', async (h) => h.send({ type: 'START' }), 'CANCEL', 'start'],
    ['card-problem', async (h) => toMenu(h, { ok: false, problem: 'defective' }), 'CANCEL', 'goodbye'],
    ['card-problem', async (h) => toMenu(h, { ok: false, problem: 'defective' }), 'BACK', 'start'],
    ['service-unavailable', async (h) => toMenu(h, { ok: false, problem: 'reader-unavailable' }), 'FINISH', 'goodbye'],
    ['service-unavailable', async (h) => toMenu(h, { ok: false, problem: 'reader-unavailable' }), 'CANCEL', 'goodbye'],
    ['service-unavailable', async (h) => toMenu(h, { ok: false, problem: 'reader-unavailable' }), 'BACK', 'start'],
    ['menu', async (h) => toMenu(h), 'FINISH', 'goodbye'],
    ['balance', async (h) => (await toMenu(h), h.send({ type: 'CHOOSE', option: 'balance' })), 'FINISH', 'goodbye'],
    ['balance', async (h) => (await toMenu(h), h.send({ type: 'CHOOSE', option: 'balance' })), 'CANCEL', 'goodbye'],
    ['goodbye', async (h) => (await toMenu(h), h.send({ type: 'CANCEL' })), 'START', 'start'],
  ];
  for (const [screen, reach, type, target] of cases) {
    it(`${type} on ${screen} goes to ${target}`, async () => {
      const h = startKiosk();
      await reach(h);
      expect(h.screen()).toBe(screen);
      h.send({ type } as KioskUserEvent);
      expect(h.screen()).toBe(target);
    });
  }
});

describe('session machine: every touch counts as activity', () => {
  const sample: Record<KioskUserEvent['type'], KioskUserEvent> = {
    START: { type: 'START' },
    SET_LOCALE: { type: 'SET_LOCALE', locale: 'en' },
    TOGGLE_LARGE_TEXT: { type: 'TOGGLE_LARGE_TEXT' },
    ACTIVITY: { type: 'ACTIVITY' },
    MORE_TIME: { type: 'MORE_TIME' },
    END_VISIT: { type: 'END_VISIT' },
    CHOOSE: { type: 'CHOOSE', option: 'collect-orders' },
    SELECT_AMOUNT: { type: 'SELECT_AMOUNT', amountCents: 500 },
    SELECT_ORDER: { type: 'SELECT_ORDER', orderId: 'o1' },
    CONFIRM: { type: 'CONFIRM' },
    RETRY: { type: 'RETRY' },
    BACK: { type: 'BACK' },
    CANCEL: { type: 'CANCEL' },
    FINISH: { type: 'FINISH' },
    PIN: { type: 'PIN', pin: '2580' },
    RUN: { type: 'RUN', action: 'terminal-status' },
    LOCK: { type: 'LOCK' },
  };
  for (const type of USER_EVENT_TYPES) {
    for (const phase of ['counting', 'warning'] as const) {
      // During the warning END_VISIT ends the visit (its own test below), it does not count on.
      if (type === 'END_VISIT' && phase === 'warning') continue;
      it(`${type} while ${phase === 'counting' ? 'counting' : 'the warning shows'} restarts the inactivity count`, async () => {
        const h = startKiosk();
        // A screen that does not take the event, so only the timer sees it: card-problem takes no
        // START/CHOOSE/...; refund-owed (inside the top-up journey) takes no BACK/CANCEL;
        // present-card takes no FINISH.
        if (type === 'BACK' || type === 'CANCEL') {
          await toMenu(h);
          await toApproved(h);
          h.send({ type: 'CANCEL' });
          h.lastRollback().resolve({ result: 'refund-owed', reference: 'R' });
          await h.flush();
        } else if (type === 'FINISH') h.send({ type: 'START' });
        else await toMenu(h, okRead(card({ blocked: true })));
        const before = h.screen();
        h.clock.increment(phase === 'warning' ? TEST_TIMING.inactivityMs : 1000);
        expect(h.idle()).toBe(phase);
        h.send(sample[type]);
        expect(h.idle()).toBe('counting');
        if (h.screen() === before) {
          h.clock.increment(TEST_TIMING.inactivityMs - 1);
          expect(h.idle()).toBe('counting');
        }
      });
    }
  }

  it('a screen change that arms the timer during the warning restarts the count (IDLE.ARM in warning)', async () => {
    // No journey moves between two armed screens by itself today; the idle region is ready for one.
    const h = startKiosk();
    await toMenu(h);
    h.clock.increment(TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('warning');
    h.actor.send({ type: 'IDLE.ARM' });
    expect(h.idle()).toBe('counting');
  });

  it('a screen that disarms the timer ends the warning too (card presented while "more time?" shows)', async () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    h.clock.increment(TEST_TIMING.inactivityMs);
    expect(h.idle()).toBe('warning');
    h.lastWait().resolve({ uid: 'X' });
    await h.flush();
    expect(h.screen()).toBe('reading-card');
    expect(h.idle()).toBe('disarmed');
  });
});

describe('session machine: can() answers whether a traveller event does anything now', () => {
  const samples: KioskUserEvent[] = [
    { type: 'START' },
    { type: 'SET_LOCALE', locale: 'de' },
    { type: 'TOGGLE_LARGE_TEXT' },
    { type: 'ACTIVITY' },
    { type: 'MORE_TIME' },
    { type: 'CHOOSE', option: 'topup' },
    { type: 'SELECT_AMOUNT', amountCents: 500 },
    { type: 'SELECT_ORDER', orderId: 'o1' },
    { type: 'CONFIRM' },
    { type: 'RETRY' },
    { type: 'BACK' },
    { type: 'CANCEL' },
    { type: 'FINISH' },
  ];
  const always = new Set(['SET_LOCALE', 'TOGGLE_LARGE_TEXT', 'ACTIVITY', 'MORE_TIME']);
  const taken = (h: ReturnType<typeof startKiosk>) =>
    samples.filter((e) => h.actor.getSnapshot().can(e)).map((e) => (e.type === 'CHOOSE' ? `CHOOSE ${e.option}` : e.type));

  it('the start screen takes START and the presentation/activity events, nothing else', () => {
    const h = startKiosk();
    expect(taken(h)).toEqual(['START', 'SET_LOCALE', 'TOGGLE_LARGE_TEXT', 'ACTIVITY', 'MORE_TIME']);
  });

  it('the menu takes only the options the card has (a blocked card: none) and its own buttons', async () => {
    const h = startKiosk();
    await toMenu(h);
    expect(taken(h)).toEqual(['SET_LOCALE', 'TOGGLE_LARGE_TEXT', 'ACTIVITY', 'MORE_TIME', 'CHOOSE topup', 'CANCEL', 'FINISH']);
    const blocked = startKiosk();
    await toMenu(blocked, okRead(card({ blocked: true })));
    expect(blocked.actor.getSnapshot().can({ type: 'CHOOSE', option: 'topup' })).toBe(false);
  });

  it('inside a journey, from its first screen on, the session takes exactly what the journey child takes', async () => {
    const h = startKiosk();
    await toMenu(h);
    h.send({ type: 'CHOOSE', option: 'topup' });
    // The child has not reported a snapshot of its own yet: the session answers from its first screen.
    expect(h.screen()).toBe('topup-amount');
    const child = h.journey()!.snapshot;
    for (const e of samples.filter((x) => !always.has(x.type)))
      expect(h.actor.getSnapshot().can(e), e.type).toBe(['SELECT_AMOUNT', 'CONFIRM', 'RETRY', 'BACK', 'CANCEL', 'FINISH'].includes(e.type) && child.can(e));
    expect(taken(h)).toEqual(['SET_LOCALE', 'TOGGLE_LARGE_TEXT', 'ACTIVITY', 'MORE_TIME', 'SELECT_AMOUNT', 'BACK', 'CANCEL']);
  });

  it('while a refund is owed the session takes no BACK or CANCEL (the child takes none), and a refused event changes nothing', async () => {
    const h = startKiosk();
    await toMenu(h);
    await toApproved(h);
    h.send({ type: 'CANCEL' });
    h.lastRollback().resolve({ result: 'refund-owed', reference: 'R' });
    await h.flush();
    const screen = h.screen();
    expect(h.actor.getSnapshot().can({ type: 'BACK' })).toBe(false);
    expect(h.actor.getSnapshot().can({ type: 'CANCEL' })).toBe(false);
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe(screen);
  });
});
