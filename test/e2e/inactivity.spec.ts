// The inactivity timeout: the kiosk asks "do you need more time?" with the seconds left before it
// resets; "more time" keeps the session; no answer returns to the start screen (in Dutch).
// The test host runs with KIOSK_INACTIVITY_MS=12000 and KIOSK_INACTIVITY_WARNING_MS=5000.
import { expect, test } from '@playwright/test';
import { openKiosk, ScreenRecorder, Tester } from './support/kiosk.js';

test('inactivity warning offers more time, then returns to the start screen', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await page.getByTestId('lang-fr').click();
  await page.getByTestId('start').click();
  await rec.expectScreen('present-card');

  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toBeVisible({ timeout: 20_000 });
  // French: a (narrow) no-break space before the question mark.
  await expect(dialog).toContainText('Avez-vous besoin de plus de temps\u202f?');
  await expect(dialog).toContainText(/dans \d+ secondes?\./);
  await rec.shot('present-card-inactivity-warning');

  await page.getByTestId('more-time').click();
  await expect(dialog).toBeHidden();
  await expect(page.locator('[data-screen="present-card"]')).toBeVisible();

  // no answer this time: back to the start, and back to Dutch
  await expect(dialog).toBeVisible({ timeout: 20_000 });
  await rec.expectScreen('start', { timeout: 20_000 });
  await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
  await expect(page.locator('h1')).toHaveText('Welkom');
  await rec.finish(testInfo);
});

test('"no, I have finished" on the inactivity warning ends the visit with the goodbye at once', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await page.getByTestId('start').click();
  await rec.expectScreen('present-card');
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('end-visit')).toHaveText('Nee, ik ben klaar');
  await page.getByTestId('end-visit').click();
  // The goodbye lasts KIOSK_GOODBYE_MS (3 s): the recorder's list of screens proves it came next.
  await expect.poll(() => rec.seen.slice(rec.seen.indexOf('present-card')), { timeout: 10_000 }).toEqual(expect.arrayContaining(['goodbye']));
  expect(rec.seen).not.toContain('menu');
  await rec.finish(testInfo);
});
