// Issue 13: the kiosk watches its own health. Testers take parts away through the tester API
// (POST /tester/fault) and the traveller's screen follows: the reader gone puts the kiosk out of
// service (in every language) and it comes back by itself; the terminal gone hides top-up, with
// the reason on the menu, and top-up returns with the terminal. /health reports the model.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { openKiosk, ScreenRecorder, Tester, TEXTS, toMenu } from './support/kiosk.js';

async function fault(request: APIRequestContext, name: string, on: boolean) {
  const res = await request.post('/tester/fault', { data: { fault: name, on } });
  expect(res.ok(), `${name} ${on} -> ${res.status()} ${await res.text()}`).toBe(true);
  return (await res.json()) as { health: { availability: { outOfService: string[]; topUp: string | null } } };
}

test.afterEach(async ({ request }) => {
  await new Tester(request).reset();
});

test('reader taken away: out of service in all four languages, /health says why; back at the start screen when it returns', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  const r = await fault(request, 'card-reader', true);
  expect(r.health.availability.outOfService).toEqual(['card-reader']);
  await rec.expectScreen('out-of-service', {
    languages: true,
    check: async (locale) => {
      await expect(page.getByTestId('out-of-service-body')).toHaveText(TEXTS[locale].outOfService.body);
      await expect(page.getByTestId('out-of-service-where')).toHaveText(TEXTS[locale].outOfService.where);
    },
  });
  const health = (await (await request.get('/health')).json()) as { ok: boolean; health: { availability: { outOfService: string[] } } };
  expect(health.ok).toBe(false);
  expect(health.health.availability.outOfService).toEqual(['card-reader']);
  await fault(request, 'card-reader', false);
  await rec.expectScreen('start', { languages: false });
  expect(((await (await request.get('/health')).json()) as { ok: boolean }).ok).toBe(true);
  await rec.finish(testInfo);
});

test('terminal taken away: the menu hides top-up and says why, orders stay; top-up is back when the terminal returns', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  const r = await fault(request, 'payment-terminal', true);
  expect(r.health.availability.topUp).toBe('payment-terminal');
  await page.getByTestId('lang-en').click();
  await toMenu(page, tester, rec, 'personal-products');
  await expect(page.getByTestId('menu-topup')).toHaveCount(0);
  await expect(page.getByTestId('menu-collect-orders')).toBeVisible();
  await expect(page.getByTestId('not-offered-topup')).toHaveText(TEXTS.en.outOfService.notOffered['payment-terminal']);
  await rec.shot('menu-without-topup-en');
  await page.getByTestId('cancel').click();
  await rec.expectScreen('goodbye', { languages: false });
  await rec.expectScreen('start', { languages: false });

  const back = await fault(request, 'payment-terminal', false);
  expect(back.health.availability.topUp).toBeNull();
  await toMenu(page, tester, rec, 'personal-products');
  await expect(page.getByTestId('menu-topup')).toBeVisible();
  await expect(page.getByTestId('menu-not-offered')).toHaveCount(0);
  await rec.finish(testInfo);
});

test('disk full and back office gone: out of service for the one, no order collection for the other', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await fault(request, 'disk-full', true);
  await rec.expectScreen('out-of-service', { languages: false });
  await fault(request, 'disk-full', false);
  await rec.expectScreen('start', { languages: false });
  await fault(request, 'backoffice', true);
  await toMenu(page, tester, rec, 'personal-products');
  await expect(page.getByTestId('menu-collect-orders')).toHaveCount(0);
  await expect(page.getByTestId('menu-topup')).toBeVisible();
  await expect(page.getByTestId('not-offered-collect-orders')).toBeVisible();
  await rec.finish(testInfo);
});
