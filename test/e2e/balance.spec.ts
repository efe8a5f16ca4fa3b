// Balance and recent transactions from the menu, against the real core on emulated hardware: the
// balance, the products with their validity, the last travel transactions and the last two
// top-ups, checked and photographed in nl, en, de and fr.
import { expect, test } from '@playwright/test';
import { INTL, money, signedMoney, openKiosk, ScreenRecorder, TEXTS, Tester, toMenu } from './support/kiosk.js';

test('balance screen shows the balance, products, journeys and top-ups in every language, then goes back to the menu', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await page.getByTestId('lang-de').click();
  await toMenu(page, tester, rec, 'personal-products');
  await page.getByTestId('menu-balance').click();
  const tables = page.locator('table');
  await rec.expectScreen('balance', {
    languages: true,
    check: async (l) => {
      const tx = TEXTS[l].balance;
      await expect(page.getByTestId('balance')).toHaveText(money(4520, INTL[l]));
      await expect(page.getByRole('heading', { name: tx.products })).toBeVisible();
      await expect(page.getByRole('heading', { name: tx.transactions })).toBeVisible();
      await expect(page.getByRole('heading', { name: tx.topUps })).toBeVisible();
      // products with their validity (hardware/card/fixtures.ts: Dal Voordeel + Samenreiskorting)
      await expect(page.getByText(TEXTS[l].product['DAL-VOORDEEL'], { exact: true })).toBeVisible();
      await expect(page.getByText(TEXTS[l].product.SAMENREISKORTING, { exact: true })).toBeVisible();
      // four journeys, each check-out costing EUR 9.05 (shown taken off: with a minus); one top-up of
      // EUR 25.00 (put on: with a plus)
      await expect(tables.nth(0).locator('tbody tr')).toHaveCount(4);
      await expect(tables.nth(0)).toContainText(tx.tx['check-out']);
      await expect(tables.nth(0)).toContainText(signedMoney(-905, INTL[l]));
      await expect(tables.nth(1).locator('tbody tr')).toHaveCount(1);
      await expect(tables.nth(1)).toContainText(signedMoney(2500, INTL[l]));
    },
  });
  // never the full card number, only the masked form
  await expect(page.locator('body')).not.toContainText('3528010000000033');
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await page.getByTestId('back').click();
  await rec.expectScreen('menu');
  await page.getByTestId('cancel').click();
  await rec.expectScreen('goodbye');
  await rec.finish(testInfo);
});
