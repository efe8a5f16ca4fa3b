import { describe, expect, it } from 'vitest';
import { card, okRead, startKiosk, TEST_INPUT, TODAY, toMenu, type KioskHarness } from '../test-harness.js';
import type { KioskMachineInput, StationPassageSettings } from '../types.js';
import { stationPassageApplies } from '../../domain/station-passage.js';
import type { StationPassageContext } from './station-passage-machine.js';

const SP: StationPassageSettings = { enabled: true, stationCode: 'UT', minutes: 60, belowBalanceCents: 2000, cardKinds: ['personal', 'anonymous'] };
export const PASSAGE_INPUT: KioskMachineInput = { ...TEST_INPUT, stationPassage: SP };

const poor = card({ balanceCents: 150 });
const granted = {
  result: 'granted' as const,
  product: { code: 'STATION-PASSAGE', validFrom: TODAY, validUntil: '2026-11-23T11:00:00.000Z', station: 'UT' },
  card: { balanceCents: 150, products: [{ code: 'STATION-PASSAGE', validFrom: TODAY, validUntil: '2026-11-23T11:00:00.000Z', station: 'UT' }], topUps: [] },
};

const ctx = (h: KioskHarness) => h.journey()!.snapshot.context as StationPassageContext;

async function toWriting(h: KioskHarness) {
  await toMenu(h, okRead(poor));
  expect(h.ctx().menu).toEqual(['topup', 'station-passage', 'balance']);
  h.send({ type: 'CHOOSE', option: 'station-passage' });
  expect(h.screen()).toBe('order-confirm');
  h.send({ type: 'CONFIRM' });
  expect(h.screen()).toBe('present-again');
  h.lastWait().resolve({ uid: poor.uid });
  await h.flush();
  expect(h.screen()).toBe('writing-card');
  expect(h.idle()).toBe('disarmed');
  expect(h.lastPassage().input).toEqual({ card: { uid: poor.uid, cardNumber: poor.cardNumber } });
}

describe('station passage: when it applies', () => {
  it('applies to a valid card of an allowed kind below the minimum balance, once a day', () => {
    expect(stationPassageApplies(poor, TODAY, SP)).toBe(true);
    expect(stationPassageApplies(card({ balanceCents: 2000 }), TODAY, SP)).toBe(false);
    expect(stationPassageApplies(card({ balanceCents: -300 }), TODAY, SP)).toBe(true);
    expect(stationPassageApplies(card({ kind: 'business', balanceCents: 0 }), TODAY, SP)).toBe(false);
    expect(stationPassageApplies(card({ balanceCents: 0, expiryDate: '2026-11-22' }), TODAY, SP)).toBe(false);
    expect(stationPassageApplies(poor, TODAY, { ...SP, enabled: false })).toBe(false);
    expect(stationPassageApplies(poor, TODAY, { ...SP, stationCode: '' })).toBe(false);
    expect(stationPassageApplies(poor, TODAY, undefined)).toBe(false);
    const had = card({ balanceCents: 0, products: [{ code: 'STATION-PASSAGE', validFrom: TODAY, validUntil: `${TODAY}T09:00:00.000Z` }] });
    expect(stationPassageApplies(had, TODAY, SP)).toBe(false);
    const yesterday = card({ balanceCents: 0, products: [{ code: 'STATION-PASSAGE', validFrom: '2026-11-22', validUntil: '2026-11-22T09:00:00.000Z' }] });
    expect(stationPassageApplies(yesterday, TODAY, SP)).toBe(true);
  });
});

describe('station passage: the journey', () => {
  it('confirm -> hold the card -> write -> done with the validity; FINISH says goodbye', async () => {
    const h = startKiosk(PASSAGE_INPUT);
    await toWriting(h);
    h.lastPassage().resolve(granted);
    await h.flush();
    expect(h.screen()).toBe('order-done');
    expect(ctx(h).granted?.validUntil).toBe('2026-11-23T11:00:00.000Z');
    h.send({ type: 'FINISH' });
    await h.flush();
    expect(h.screen()).toBe('goodbye');
    expect(h.ctx().card?.products.map((p) => p.code)).toEqual(['STATION-PASSAGE']);
  });

  it('done -> BACK to the menu, which no longer offers it; CANCEL on done says goodbye', async () => {
    const h = startKiosk(PASSAGE_INPUT);
    await toWriting(h);
    h.lastPassage().resolve(granted);
    await h.flush();
    h.send({ type: 'BACK' });
    await h.flush();
    expect(h.screen()).toBe('menu');
    expect(h.ctx().menu).toEqual(['topup', 'balance']);
    const c = startKiosk(PASSAGE_INPUT);
    await toWriting(c);
    c.lastPassage().resolve(granted);
    await c.flush();
    c.send({ type: 'CANCEL' });
    await c.flush();
    expect(c.screen()).toBe('goodbye');
  });

  it('confirm: BACK or CANCEL return to the menu', async () => {
    for (const ev of ['BACK', 'CANCEL'] as const) {
      const h = startKiosk(PASSAGE_INPUT);
      await toMenu(h, okRead(poor));
      h.send({ type: 'CHOOSE', option: 'station-passage' });
      h.send({ type: ev });
      await h.flush();
      expect(h.screen()).toBe('menu');
    }
  });

  it('holding the card again: BACK or CANCEL return to the confirmation; a reader failure is a write problem', async () => {
    for (const ev of ['BACK', 'CANCEL'] as const) {
      const h = startKiosk(PASSAGE_INPUT);
      await toMenu(h, okRead(poor));
      h.send({ type: 'CHOOSE', option: 'station-passage' });
      h.send({ type: 'CONFIRM' });
      h.send({ type: ev });
      expect(h.screen()).toBe('order-confirm');
    }
    const r = startKiosk(PASSAGE_INPUT);
    await toMenu(r, okRead(poor));
    r.send({ type: 'CHOOSE', option: 'station-passage' });
    r.send({ type: 'CONFIRM' });
    r.lastWait().reject(new Error('reader gone'));
    await r.flush();
    expect(r.screen()).toBe('write-problem');
  });

  it('the card no longer qualifies at the write: back to the menu, nothing written', async () => {
    const h = startKiosk(PASSAGE_INPUT);
    await toWriting(h);
    h.lastPassage().resolve({ result: 'refused' });
    await h.flush();
    expect(h.screen()).toBe('menu');
  });

  it('write problems: put the card back, try again, or stop (menu)', async () => {
    const h = startKiosk(PASSAGE_INPUT);
    await toWriting(h);
    h.lastPassage().resolve({ result: 'card-removed' });
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    h.lastWait().resolve({ uid: poor.uid });
    await h.flush();
    expect(h.screen()).toBe('writing-card');
    h.lastPassage().resolve({ result: 'wrong-card' });
    await h.flush();
    expect(ctx(h).needFreshCard).toBe(true);
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('present-again');
    h.lastWait().resolve({ uid: poor.uid });
    await h.flush();
    h.lastPassage().reject(new Error('driver broke'));
    await h.flush();
    expect(ctx(h).writeProblem).toBe('write-failed');
    h.lastWait().reject(new Error('reader gone'));
    await h.flush();
    expect(h.screen()).toBe('write-problem');
    h.send({ type: 'CANCEL' });
    await h.flush();
    expect(h.screen()).toBe('menu');
    const b = startKiosk(PASSAGE_INPUT);
    await toWriting(b);
    b.lastPassage().resolve({ result: 'write-failed' });
    await b.flush();
    b.send({ type: 'BACK' });
    await b.flush();
    expect(b.screen()).toBe('menu');
  });

  it('a station passage journey that breaks says goodbye and tells the runtime to settle', async () => {
    const h = startKiosk(PASSAGE_INPUT);
    const failed: string[] = [];
    h.actor.on('journey-failed', (e) => failed.push(e.journey));
    await toWriting(h);
    // An output the machine cannot read (a broken actor) breaks the journey.
    h.lastPassage().resolve(null as never);
    await h.flush();
    expect(h.screen()).toBe('goodbye');
    expect(failed).toEqual(['stationPassage']);
  });
});
