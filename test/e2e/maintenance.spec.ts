// Issue 13: the technicians' maintenance journey against the real core on emulated hardware. A
// technician card held at the start screen, then the PIN on the keypad; every diagnostic runs and
// shows its result; end-of-day shows the total the terminal's own ledger holds; out of service and
// back; five wrong PINs lock the card out; a revoked or expired technician is refused; the session
// locks itself when left alone; a traveller's card at the start screen still goes to the menu.
// Every screen is photographed by the recorder (test-results/e2e/screens/<test>/); the screen
// gallery photographs the maintenance screens' other states at both sizes with axe.
import { expect, test, type Page } from '@playwright/test';
import { money, openKiosk, ScreenRecorder, Tester, toMenu } from './support/kiosk.js';

test.afterEach(async ({ request }) => {
  // Also lifts the lockout of the technician card (tester reset only, never on a real kiosk).
  await new Tester(request).reset();
});

async function typePin(page: Page, pin: string) {
  for (const d of pin) await page.getByTestId(`pin-key-${d}`).click();
  // Never echoed: one dot per digit.
  await expect(page.getByTestId('maintenance-pin-dots')).toHaveText('●'.repeat(pin.length));
  await page.getByTestId('maintenance-pin-ok').click();
}

async function enter(page: Page, tester: Tester, rec: ScreenRecorder, pin = '2580') {
  await tester.present('technician');
  await rec.expectScreen('maintenance-pin', { languages: false });
  await expect(page.getByTestId('maintenance-technician')).toContainText('T-0001');
  await tester.remove();
  await typePin(page, pin);
}

async function run(page: Page, action: string, rec: ScreenRecorder) {
  await page.getByTestId(`run-${action}`).click();
  const result = page.getByTestId(`result-${action}`);
  await expect(result).toBeVisible({ timeout: 20_000 });
  await rec.shot(`result-${action}`);
  return result;
}

test('a technician enters with card and PIN, runs every diagnostic, sees the end-of-day total of the terminal ledger, and locks', async ({ page, request }, testInfo) => {
  test.setTimeout(150_000);
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);

  // A booked payment first, so the end-of-day total is not zero.
  await toMenu(page, tester, rec, 'anonymous');
  await page.getByTestId('menu-topup').click();
  await rec.expectScreen('topup-amount', { languages: false });
  await page.getByTestId('amount-1000').click();
  await page.getByTestId('pay').click();
  await rec.expectScreen('present-again', { timeout: 20_000, languages: false });
  await tester.present('anonymous');
  await rec.expectScreen('topup-done', { timeout: 20_000, languages: false });
  await tester.remove();
  await page.getByTestId('finish').click();
  await rec.expectScreen('start', { timeout: 15_000, languages: false });

  await enter(page, tester, rec);
  await rec.expectScreen('maintenance-dashboard', { languages: false });
  await expect(page.getByTestId('maintenance-signed-in')).toContainText('T-0001');
  // No PIN in anything the kiosk sent.
  expect(JSON.stringify(rec.last)).not.toContain('2580');
  // Every subsystem with its state, live.
  for (const id of ['cardReader', 'paymentTerminal', 'journal', 'backOffice', 'software'])
    await expect(page.getByTestId(`subsystem-${id}-state`)).not.toBeEmpty();
  // The technician list is synced from the (embedded) back office: its version and age are known.
  await expect(page.getByTestId('facts-backOffice-technicianListAgeSeconds')).toHaveText(/^\d+/);
  await expect(page.getByTestId('facts-backOffice-technicianListVersion')).toHaveText(/^\d+$/);
  await page.getByTestId('lang-en').click();
  await expect(page.getByTestId('facts-backOffice-technicianListAgeSeconds')).not.toHaveText('unknown');
  await rec.shot('dashboard-en');

  for (const action of ['terminal-status', 'terminal-diagnosis', 'terminal-register', 'journal-verify', 'upload-now', 'backoffice-check'])
    await expect(await run(page, action, rec), action).toHaveAttribute('data-outcome', 'ok');
  await expect(page.getByTestId('result-journal-verify-detail-checked')).not.toHaveText('0');
  await expect(page.getByTestId('result-upload-now-detail-waiting')).toHaveText('0');

  // The test read: a card held anew shows its kind, masked number and balance only.
  await page.getByTestId('run-reader-test-read').click();
  await expect(page.locator('[data-screen="maintenance-dashboard"]').getByRole('progressbar')).toBeAttached();
  await tester.present('anonymous');
  const read = page.getByTestId('result-reader-test-read');
  await expect(read).toHaveAttribute('data-outcome', 'ok', { timeout: 20_000 });
  await expect(page.getByTestId('result-reader-test-read-detail-kind')).toHaveText('anonymous');
  await expect(page.getByTestId('result-reader-test-read-detail-maskedNumber')).toHaveText('•••• 0014');
  await expect(page.getByTestId('result-reader-test-read-detail-balanceCents')).toHaveText(money(2035 + 1000, 'en-GB'));
  await rec.shot('result-reader-test-read');
  await tester.remove();

  // End of day: the total the terminal reports is what its own ledger has booked.
  const booked = (await tester.ledger()).filter((e) => e.state === 'committed').reduce((s, e) => s + e.amountCents, 0);
  expect(booked).toBeGreaterThanOrEqual(1000);
  await expect(await run(page, 'terminal-end-of-day', rec)).toHaveAttribute('data-outcome', 'ok');
  await expect(page.getByTestId('result-terminal-end-of-day-detail-totalCents')).toHaveText(money(booked, 'en-GB'));

  await page.getByTestId('maintenance-lock').click();
  await rec.expectScreen('start', { languages: false });
  expect(rec.seen).toEqual(expect.arrayContaining(['maintenance-pin', 'maintenance-dashboard', 'start']));
  await rec.finish(testInfo);
});

test('out of service with a reason: travellers see the out-of-service screen and their cards are not taken; the technician brings it back', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await enter(page, tester, rec);
  await rec.expectScreen('maintenance-dashboard', { languages: false });
  await page.getByTestId('run-out-of-service-repair').click();
  await expect(page.getByTestId('service-state-text')).toHaveAttribute('data-out-of-service', 'yes');
  await expect(page.getByTestId('result-out-of-service-detail-reason')).toHaveText('repair');
  await rec.shot('dashboard-out-of-service');
  await page.getByTestId('maintenance-lock').click();
  await rec.expectScreen('out-of-service', { languages: true });
  const health = (await (await request.get('/health')).json()) as { health: { availability: { outOfService: string[] } } };
  expect(health.health.availability.outOfService).toEqual(['technician']);

  // A traveller's card is not taken here.
  await tester.present('personal-products');
  await page.waitForTimeout(1500);
  await expect(page.locator('[data-screen="out-of-service"]')).toBeVisible();
  await tester.remove();

  await enter(page, tester, rec);
  await rec.expectScreen('maintenance-dashboard', { languages: false });
  await page.getByTestId('run-back-in-service').click();
  await expect(page.getByTestId('service-state-text')).toHaveAttribute('data-out-of-service', 'no');
  await page.getByTestId('maintenance-lock').click();
  await rec.expectScreen('start', { languages: false });

  // A traveller's card held at the start screen still goes to the menu.
  await tester.present('personal-products');
  await rec.expectScreen('menu', { languages: false });
  await rec.finish(testInfo);
});

test('five wrong PINs lock the card out on this kiosk, with the time left; the card is refused until the lockout ends', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  await tester.present('technician');
  await rec.expectScreen('maintenance-pin', { languages: false });
  await expect(page.getByTestId('maintenance-attempts')).toContainText('5');
  await tester.remove();
  for (let i = 1; i <= 4; i++) {
    await typePin(page, '1111');
    await expect(page.getByTestId('maintenance-pin-wrong')).toContainText(String(5 - i));
  }
  await rec.shot('pin-wrong');
  await typePin(page, '1111');
  await rec.expectScreen('maintenance-refused', { languages: false });
  await expect(page.getByTestId('maintenance-refusal')).toHaveAttribute('data-reason', 'locked-out');
  await expect(page.getByTestId('maintenance-locked-until')).toContainText(/1[45] min/);
  await page.getByTestId('maintenance-close').click();
  await rec.expectScreen('start', { languages: false });
  // Held again, with the right PIN in mind: refused at once, no PIN asked.
  await tester.present('technician');
  await rec.expectScreen('maintenance-refused', { languages: false });
  await expect(page.getByTestId('maintenance-refusal')).toHaveAttribute('data-reason', 'locked-out');
  await expect(page.locator('[data-screen="maintenance-pin"]')).toHaveCount(0);
  await tester.remove();
  await rec.expectScreen('start', { timeout: 15_000, languages: false }); // the refusal ends by itself
  await rec.finish(testInfo);
});

test('a revoked technician and an expired credential are refused; a session left alone locks itself', async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const tester = new Tester(request);
  const rec = new ScreenRecorder(page, testInfo);
  await openKiosk(page, tester, rec);
  for (const [card, reason] of [
    ['technician-revoked', 'revoked'],
    ['technician-expired', 'expired'],
  ] as const) {
    await tester.present(card);
    await rec.expectScreen('maintenance-refused', { languages: false });
    await expect(page.getByTestId('maintenance-refusal')).toHaveAttribute('data-reason', reason);
    await rec.shot(`refused-${reason}`);
    await tester.remove();
    await page.getByTestId('maintenance-close').click();
    await rec.expectScreen('start', { languages: false });
  }
  await enter(page, tester, rec);
  await rec.expectScreen('maintenance-dashboard', { languages: false });
  // KIOSK_MAINTENANCE_IDLE_MS is 40 s in playwright.config.ts: no touch, and the session locks.
  await rec.expectScreen('start', { timeout: 70_000, languages: false });
  await rec.finish(testInfo);
});
