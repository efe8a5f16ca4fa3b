// The top-up journey end to end on emulated hardware, in Chromium against the browser host:
// start -> language -> card -> menu -> amount -> payment -> card again -> writing -> done -> start,
// in each of the four languages, and its failure branches (declined payment, wrong card held,
// traveller gives up after paying; card states are in card-states.spec.ts). Screenshots of every screen visited are saved
// under test-results/e2e/screens/<test>/.
import { expect, test } from '@playwright/test';
import { money, openKiosk, ScreenRecorder, Tester, toMenu } from './support/kiosk.js';

const INTL = { nl: 'nl-NL', en: 'en-GB', de: 'de-DE', fr: 'fr-FR' } as const;
const TITLES = {
  nl: { start: 'Welkom', done: 'Uw kaart is opgeladen' },
  en: { start: 'Welcome', done: 'Your card has been topped up' },
  de: { start: 'Willkommen', done: 'Ihre Karte wurde aufgeladen' },
  fr: { start: 'Bienvenue', done: 'Votre carte a été rechargée' },
} as const;
// anonymous fixture card: balance EUR 20.35 (hardware/card/fixtures.ts)
const ANON_BALANCE = 2035;

let rec: ScreenRecorder;
let tester: Tester;
/** The terminal's ledger lives as long as the host: count only what this test added. */
let ledgerBefore = 0;
const newLedger = async () => (await tester.ledger()).slice(ledgerBefore);

test.beforeEach(async ({ page, request }, testInfo) => {
  tester = new Tester(request);
  rec = new ScreenRecorder(page, testInfo);
  ledgerBefore = (await tester.ledger()).length;
});

test.afterEach(async ({}, testInfo) => {
  await rec.finish(testInfo);
});

// Every card kind that may top up (config topUp.cardKinds: personal and anonymous; NS-Business
// Cards travel on account, see card-states.spec.ts): anonymous in nl and de, personal in en and fr.
const TOPUP_CARDS = {
  nl: { card: 'anonymous', last4: '0014', balance: ANON_BALANCE },
  en: { card: 'personal-kaartservicecode', last4: '0017', balance: 1250 },
  de: { card: 'anonymous', last4: '0014', balance: ANON_BALANCE },
  fr: { card: 'personal-kaartservicecode', last4: '0017', balance: 1250 },
} as const;

for (const locale of ['nl', 'en', 'de', 'fr'] as const) {
  const { card, last4, balance } = TOPUP_CARDS[locale];
  test(`top-up journey completes in ${locale} (${card} card): card credited, terminal booked, back to start`, async ({ page }) => {
    await openKiosk(page, tester, rec);
    if (locale !== 'nl') await page.getByTestId(`lang-${locale}`).click();
    await expect(page.locator('h1')).toHaveText(TITLES[locale].start);
    await expect(page.locator('html')).toHaveAttribute('lang', locale);
    if (locale !== 'nl') await rec.shot(`start-${locale}`);

    await toMenu(page, tester, rec, card);
    await expect(page.getByTestId('masked-number')).toHaveText(new RegExp(`•••• •••• •••• ${last4}$`));
    await expect(page.getByTestId('balance')).toHaveText(money(balance, INTL[locale]));
    await page.getByTestId('menu-topup').click();

    await rec.expectScreen('topup-amount');
    await page.getByTestId('amount-1000').click();
    await page.getByTestId('pay').click();
    // The payment screen lasts as long as the emulated terminal takes (prompt delay 500 ms each):
    // check it first, the recorder photographs it meanwhile.
    await expect(page.locator('[data-screen="payment"]')).toBeVisible();
    await expect(page.getByTestId('payment-amount')).toContainText(money(1000, INTL[locale]));
    await expect(page.locator('[data-screen="payment"]').getByRole('progressbar')).toBeAttached();

    await rec.expectScreen('present-again', { timeout: 20_000 });
    await expect(page.getByTestId('progress')).toBeVisible();
    await tester.present(card);

    await rec.expectScreen('topup-done', { timeout: 20_000 });
    await expect(page.locator('h1')).toContainText(TITLES[locale].done);
    await expect(page.getByTestId('new-balance')).toContainText(money(balance + 1000, INTL[locale]));
    await expect.poll(async () => (await newLedger()).map((e) => `${e.state} ${e.amountCents}`)).toEqual(['committed 1000']);

    await tester.remove();
    await page.getByTestId('finish').click();
    await rec.expectScreen('goodbye');
    await rec.expectScreen('start', { timeout: 10_000 });
    // back to Dutch when the kiosk resets
    await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
    expect(rec.seen).toEqual(expect.arrayContaining(['start', 'present-card', 'menu', 'topup-amount', 'payment', 'present-again', 'topup-done', 'goodbye']));
  });
}

test('declined payment shows why, charges nothing, and lets the traveller stop', async ({ page }) => {
  await openKiosk(page, tester, rec);
  await page.getByTestId('lang-en').click();
  await tester.behaviour('decline');
  await toMenu(page, tester, rec, 'anonymous');
  await page.getByTestId('menu-topup').click();
  await rec.expectScreen('topup-amount');
  await page.getByTestId('amount-2000').click();
  await page.getByTestId('pay').click();
  // (the payment screen in between lasts as long as the terminal takes; the recorder photographs it)
  await rec.expectScreen('payment-failed', { timeout: 20_000 });
  await expect(page.getByTestId('payment-reason')).toHaveText('Your bank declined the payment.');
  await expect(page.getByText('Nothing has been charged.')).toBeVisible();
  expect((await newLedger()).filter((e) => e.state !== 'reversed')).toEqual([]);

  // try again with the terminal approving: the way on works
  await tester.behaviour('approve');
  await page.getByTestId('back').click();
  await rec.expectScreen('topup-amount');
  await page.getByTestId('cancel').or(page.getByTestId('back')).first().click();
  await rec.expectScreen('menu');
  await page.getByTestId('cancel').click();
  await rec.expectScreen('goodbye');
  await rec.expectScreen('start', { timeout: 10_000 });
});

test('wrong card held after paying gets its own screen; the right card then completes the top-up', async ({ page }) => {
  await openKiosk(page, tester, rec);
  await page.getByTestId('lang-en').click();
  await toMenu(page, tester, rec, 'anonymous');
  await page.getByTestId('menu-topup').click();
  await rec.expectScreen('topup-amount');
  await page.getByTestId('amount-500').click();
  await page.getByTestId('pay').click();
  await rec.expectScreen('present-again', { timeout: 20_000 });

  await tester.present('personal-products');
  await rec.expectScreen('write-problem', { timeout: 20_000 });
  await expect(page.locator('h1')).toContainText('This is a different card');
  await expect(page.getByTestId('write-problem-body')).toContainText('0014');

  await tester.remove();
  await tester.present('anonymous');
  await rec.expectScreen('topup-done', { timeout: 20_000 });
  await expect(page.getByTestId('new-balance')).toContainText(money(ANON_BALANCE + 500, 'en-GB'));
  await expect.poll(async () => (await newLedger()).map((e) => `${e.state} ${e.amountCents}`)).toEqual(['committed 500']);
});

test('giving up after paying reverses the payment and says nothing was charged', async ({ page }) => {
  await openKiosk(page, tester, rec);
  await page.getByTestId('lang-en').click();
  await toMenu(page, tester, rec, 'anonymous');
  await page.getByTestId('menu-topup').click();
  await rec.expectScreen('topup-amount');
  await page.getByTestId('amount-1000').click();
  await page.getByTestId('pay').click();
  await rec.expectScreen('present-again', { timeout: 20_000 });
  await page.getByTestId('cancel').click();
  await rec.expectScreen('payment-undone', { timeout: 20_000 });
  await expect(page.getByText('Nothing has been charged.', { exact: false })).toBeVisible();
  await expect.poll(async () => (await newLedger()).map((e) => `${e.state} ${e.amountCents}`)).toEqual(['reversed 1000']);
  await page.getByTestId('finish').click();
  await rec.expectScreen('goodbye');
});

test('amounts above the EUR 150 limit are offered but marked "too much" and cannot be chosen', async ({ page }) => {
  await openKiosk(page, tester, rec);
  await page.getByTestId('lang-en').click();
  await toMenu(page, tester, rec, 'near-limit');
  await page.getByTestId('menu-topup').click();
  await rec.expectScreen('topup-amount');
  await expect(page.getByText('You can add at most €7.50.', { exact: false })).toBeVisible();
  await expect(page.getByTestId('amount-1000')).toBeDisabled();
  await expect(page.getByTestId('amount-1000')).toContainText('too much');
  await expect(page.getByTestId('amount-500')).toBeEnabled();
  await page.getByTestId('large-text').click();
  await expect(page.locator('.kiosk.large-text')).toBeVisible();
  await rec.shot('topup-amount-large-text');
});

test('the start screen never flashes up in the middle of a visit (leaving a journey goes straight to its next screen)', async ({ page }) => {
  await openKiosk(page, tester, rec);
  await toMenu(page, tester, rec, 'anonymous');
  await page.getByTestId('menu-topup').click();
  await rec.expectScreen('topup-amount');
  await page.getByTestId('back').click();
  await rec.expectScreen('menu');
  await page.getByTestId('cancel').click();
  await rec.expectScreen('goodbye');
  await rec.expectScreen('start', { timeout: 10_000 });
  // 'start' may open the visit and follow 'goodbye'; anywhere else the traveller saw a wrong screen.
  const misplaced = rec.seen.filter((s, i) => s === 'start' && i > 0 && rec.seen[i - 1] !== 'goodbye');
  expect(misplaced, `screens: ${rec.seen.join(' -> ')}`).toEqual([]);
});
