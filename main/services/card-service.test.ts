import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EmulatedCardReader, loadKeyFile, DEFAULT_EMULATION_KEY_FILE } from '../../hardware/card/index.js';
import { CardError, type CardReader } from '../../hardware/card/card-reader.js';
import { fixedClock } from '../../contract/time.js';
import { localDate } from '../../domain/dates.js';
import { createCardService } from './card-service.js';

const log = pino({ level: 'silent' });

async function setup(blocked: string[] = []) {
  const clock = fixedClock('2026-11-23T23:30:00Z');
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  const service = createCardService({ reader, backOffice: { isBlocked: (n) => blocked.includes(n) }, clock, timeZone: 'Europe/Amsterdam', log });
  return { reader, service };
}

describe('card service', () => {
  it('takes a card already on the reader at once, unless a fresh presentation is asked for', async () => {
    const { reader, service } = await setup();
    await reader.present('anonymous');
    await expect(service.waitForCard(false)).resolves.toEqual({ uid: reader.currentCard() });
    let fresh: string | undefined;
    void service.waitForCard(true).then((r) => (fresh = r.uid));
    await new Promise((r) => setTimeout(r, 10));
    expect(fresh).toBeUndefined();
    await reader.present('business');
    await new Promise((r) => setTimeout(r, 0));
    expect(fresh).toBe(reader.currentCard());
  });

  it('stops waiting when aborted', async () => {
    const { service } = await setup();
    const ac = new AbortController();
    const p = service.waitForCard(false, ac.signal);
    ac.abort(new Error('left the screen'));
    await expect(p).rejects.toThrow('left the screen');
  });

  it("reads a personal card without its holder's birth date, with today in the kiosk's time zone", async () => {
    const { reader, service } = await setup();
    await reader.present('personal-products');
    const r = await service.read();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.card.kind).toBe('personal');
    expect(JSON.stringify(r.card)).not.toContain('birth');
    expect(r.today).toBe('2026-11-24'); // 23:30 UTC is already tomorrow in Amsterdam
    expect(r.blockedListed).toBe(false);
  });

  it("reports a card on the back office's blocked list", async () => {
    const { reader, service } = await setup(['3528020000000014']);
    await reader.present('anonymous');
    expect(await service.read()).toMatchObject({ ok: true, blockedListed: true });
  });

  it('calls a corrupt card defective', async () => {
    const { reader, service } = await setup();
    await reader.present('corrupt');
    expect(await service.read()).toEqual({ ok: false, problem: 'defective' });
  });

  it('maps reader failures to card-gone, reader-unavailable and defective', async () => {
    const failing = (code: ConstructorParameters<typeof CardError>[0]): CardReader => ({
      start: async () => {},
      stop: async () => {},
      subscribe: () => () => {},
      currentCard: () => undefined,
      read: async () => {
        throw new CardError(code, code);
      },
      write: async () => {
        throw new CardError(code, code);
      },
    });
    const svc = (code: ConstructorParameters<typeof CardError>[0]) =>
      createCardService({ reader: failing(code), backOffice: { isBlocked: () => false }, clock: fixedClock('2026-01-01'), timeZone: 'UTC', log });
    expect(await svc('card-gone').read()).toEqual({ ok: false, problem: 'card-gone' });
    expect(await svc('no-card').read()).toEqual({ ok: false, problem: 'card-gone' });
    expect(await svc('reader-unavailable').read()).toEqual({ ok: false, problem: 'reader-unavailable' });
    expect(await svc('wrong-key').read()).toEqual({ ok: false, problem: 'defective' });
  });

  it('localDate formats YYYY-MM-DD in the given zone', () => {
    expect(localDate(new Date('2026-03-29T00:30:00Z'), 'Europe/Amsterdam')).toBe('2026-03-29');
    expect(localDate(new Date('2026-03-28T23:30:00Z'), 'UTC')).toBe('2026-03-28');
  });
});
