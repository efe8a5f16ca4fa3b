// The tester console (tester.html): a separate page that drives the emulated hardware through the
// tester API, with the kiosk's own screen in a frame beside the controls. Here a tester holds a
// card (the kiosk's start screen starts the visit by itself), switches the back office, picks a
// terminal behaviour, pays a top-up whose booking shows in the ledger table in euros, and causes and
// ends a fault (the card reader gone: out of service, then back).
import { expect, test } from '@playwright/test';
import { SCREENS_DIR, Tester } from './support/kiosk.js';

test('tester console: readable cards and behaviours, the kiosk framed beside the controls, every result listed, the ledger in euros', async ({ page, request }) => {
  const tester = new Tester(request);
  await tester.reset();
  await tester.behaviour('approve');
  await page.goto('/tester.html');
  await expect(page.locator('[data-screen="tester"]')).toBeVisible();
  const kiosk = page.frameLocator('[data-testid="kiosk-frame"]');
  await expect(kiosk.locator('[data-screen="start"]')).toBeVisible();
  await expect(page.getByTestId('now-card')).toHaveText('On the card reader: no card');
  await expect(page.getByTestId('now-terminal')).toContainText('Approve: The payment is approved');
  // one line per behaviour, with what it does
  await expect(page.getByTestId('behaviour-decline').locator('xpath=..')).toContainText('The bank refuses the payment');

  // A card held on the start screen starts the visit at once.
  await page.getByTestId('present-personal-products').click();
  await expect(page.getByTestId('tester-message')).toHaveText('OK: “Personal card with travel products” held to the reader');
  await expect(page.getByTestId('now-card')).toContainText('Personal card with travel products (personal-products)');
  await expect(kiosk.locator('[data-screen="menu"]')).toBeVisible({ timeout: 15_000 });
  await expect(kiosk.getByTestId('masked-number')).toHaveText(/0033$/);

  // The back office switch, both ways, each result listed.
  await page.getByTestId('backoffice-switch').click();
  await expect(page.getByTestId('now-backoffice')).toContainText('switched off');
  await page.getByTestId('backoffice-switch').click();
  await expect(page.getByTestId('now-backoffice')).toContainText('reachable');
  await expect(page.getByTestId('tester-results').locator('li')).toHaveCount(3);

  // A top-up of EUR 5 paid and credited: the ledger shows it booked, in euros. The ledger is the
  // terminal's own and outlives a tester reset (earlier specs may have paid on this kiosk): the
  // new payment is the row after those already there.
  const before = (await tester.ledger()).length;
  if (before === 0) await expect(page.getByTestId('tester-ledger')).toHaveText('No payments yet.');
  await kiosk.getByTestId('menu-topup').click();
  await kiosk.getByTestId('amount-500').click();
  await kiosk.getByTestId('pay').click();
  // The card still lies on the reader: after the payment it is credited at once.
  const rows = page.getByTestId('tester-ledger').locator('tbody tr');
  await expect(rows).toHaveCount(before + 1, { timeout: 20_000 });
  await expect(rows.last()).toContainText('€5.00');
  await expect(rows.last()).toContainText('booked', { timeout: 20_000 });
  await page.screenshot({ path: `${SCREENS_DIR}/tester-console.png` });

  await page.getByTestId('remove-card').click();
  await expect(page.getByTestId('tester-message')).toHaveText('OK: card taken off the reader');
  await expect(page.getByTestId('now-card')).toHaveText('On the card reader: no card');

  // A fault from the console: the card reader gone puts the kiosk out of service; ended, it returns.
  await expect(page.getByTestId('fault-card-reader').locator('xpath=..')).toContainText('out of service');
  await page.getByTestId('fault-card-reader').click();
  await expect(page.getByTestId('tester-message')).toHaveText('OK: Card reader gone: caused');
  await expect(page.getByTestId('fault-card-reader')).toHaveAttribute('aria-checked', 'true');
  await expect(kiosk.locator('[data-screen="out-of-service"]')).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('fault-card-reader').click();
  await expect(page.getByTestId('tester-message')).toHaveText('OK: Card reader gone: ended');
  await expect(kiosk.locator('[data-screen="start"]')).toBeVisible({ timeout: 20_000 });
});
