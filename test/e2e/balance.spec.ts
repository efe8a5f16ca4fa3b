// Balance and recent transactions from the menu, against the real core on emulated hardware.
import { expect, test } from '@playwright/test';
import { openKiosk, ScreenRecorder, Tester, toMenu } from './support/kiosk.js';

test('balance screen shows the balance, products and journeys in the chosen language, then goes back to the menu', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await page.getByTestId('start-lang-de').click();
  await toMenu(page, tester, rec, 'personal-products');
  await page.getByTestId('menu-balance').click();
  await rec.expectScreen('balance');
  await expect(page.getByTestId('balance')).toHaveText('45,20\u00a0€');
  await expect(page.getByRole('heading', { name: 'Letzte Fahrten' })).toBeVisible();
  await expect(page.locator('table').first().locator('tbody tr')).not.toHaveCount(0);
  // never the full card number, only the masked form
  await expect(page.locator('body')).not.toContainText('3528010000000033');
  await page.getByTestId('back').click();
  await rec.expectScreen('menu');
  await page.getByTestId('cancel').click();
  await rec.expectScreen('goodbye');
  await rec.finish(testInfo);
});
