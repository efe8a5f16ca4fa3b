// The tester panel (tester.html): a separate page that drives the emulated hardware through the
// tester API, here presenting a fixture card the kiosk then reads.
import { expect, test } from '@playwright/test';
import { ScreenRecorder, Tester } from './support/kiosk.js';

test('tester panel presents a fixture card that the kiosk then reads', async ({ page, context, request }, testInfo) => {
  const tester = new Tester(request);
  await tester.reset();
  await tester.behaviour('approve');
  const rec = new ScreenRecorder(page, testInfo);
  await page.goto('/');
  await rec.expectScreen('start');
  await page.getByTestId('start').click();
  await rec.expectScreen('present-card');

  const panel = await context.newPage();
  await panel.goto('/tester.html');
  await expect(panel.locator('[data-screen="tester"]')).toBeVisible();
  await panel.getByTestId('present-personal-products').click();
  await expect(panel.getByTestId('tester-message')).toHaveText('OK: present personal-products');
  await panel.screenshot({ path: 'test-results/e2e/screens/tester-panel.png' });

  await rec.expectScreen('menu');
  await expect(page.getByTestId('masked-number')).toHaveText(/0033$/);
  await panel.getByTestId('remove-card').click();
  await expect(panel.getByTestId('tester-message')).toHaveText('OK: remove card');
  await panel.close();
  await rec.finish(testInfo);
});
