// Every card state end to end, against the real core on emulated hardware: blocked, expired,
// defective (data fails its checks), anonymous and NS-Business Card. Each screen a state leads to
// is checked and photographed in nl, en, de and fr (switched with the top bar on that screen),
// under test-results/e2e/screens/<test>/<nn>-<screen>-<locale>.png.
import { expect, test } from '@playwright/test';
import type { MenuOption } from '../../contract/bridge.js';
import { INTL, money, openKiosk, ScreenRecorder, TEXTS, Tester } from './support/kiosk.js';

let rec: ScreenRecorder;
let tester: Tester;

test.beforeEach(async ({ page, request }, testInfo) => {
  tester = new Tester(request);
  rec = new ScreenRecorder(page, testInfo, { everyLanguage: true });
});

test.afterEach(async ({}, testInfo) => {
  await rec.finish(testInfo);
});

const menuOffered = async (page: import('@playwright/test').Page): Promise<MenuOption[]> =>
  (await page.locator('[data-testid^="menu-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid') ?? ''))).map(
    (id) => id.replace(/^menu-/, '') as MenuOption,
  );

async function presentAndRead(page: import('@playwright/test').Page, card: Parameters<Tester['present']>[0]): Promise<void> {
  await openKiosk(page, tester, rec);
  await page.getByTestId('start').click();
  await rec.expectScreen('present-card', { languages: false });
  await tester.present(card);
}

test('blocked card: no service, says what to do and whom to call (0900-0980), in every language', async ({ page }) => {
  await presentAndRead(page, 'blocked');
  await rec.expectScreen('card-problem', {
    check: async (l) => {
      await expect(page.locator('h1')).toContainText(TEXTS[l].problem.blocked.title);
      await expect(page.getByTestId('problem-body')).toHaveText(TEXTS[l].problem.blocked.body);
      await expect(page.getByTestId('problem-body')).toContainText('0900-0980');
    },
  });
  // nothing to choose: no menu, no top-up
  await expect(page.locator('[data-testid^="menu-"]')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('3528010000000041');
  await tester.remove();
  await page.getByTestId('finish').click();
  await rec.expectScreen('goodbye', { languages: false });
});

test('expired card: told it is no valid ticket, nothing loaded or sold; may still see its balance; can try another card', async ({ page }) => {
  await presentAndRead(page, 'expired');
  await rec.expectScreen('card-problem', {
    check: async (l) => {
      await expect(page.locator('h1')).toContainText(TEXTS[l].problem.expired.title);
      await expect(page.getByTestId('problem-body')).toHaveText(TEXTS[l].problem.expired.body);
      await expect(page.getByTestId('masked-number')).toHaveText(/•••• •••• •••• 0058$/);
    },
  });
  // only the balance: no top-up, no orders, no station passage
  expect(await menuOffered(page)).toEqual(['balance']);
  await tester.remove();
  await page.getByTestId('menu-balance').click();
  await rec.expectScreen('balance', {
    check: async (l) => {
      await expect(page.getByTestId('balance')).toHaveText(money(640, INTL[l]));
      await expect(page.getByTestId('card-summary')).toContainText(TEXTS[l].card.expired);
    },
  });
  await page.getByTestId('back').click();
  await rec.expectScreen('card-problem', { languages: false });
  await page.getByTestId('retry').click();
  await rec.expectScreen('present-card', { languages: false });
  await page.getByTestId('cancel').click();
  await rec.expectScreen('start', { languages: false });
});

test('defective card (data fails its checks): service desk, remaining balance refunded there; never repaired', async ({ page }) => {
  await presentAndRead(page, 'corrupt');
  await rec.expectScreen('card-problem', {
    check: async (l) => {
      await expect(page.locator('h1')).toContainText(TEXTS[l].problem.defective.title);
      await expect(page.getByTestId('problem-body')).toHaveText(TEXTS[l].problem.defective.body);
    },
  });
  // no card data of a card that fails its checks is shown
  await expect(page.getByTestId('card-summary')).toHaveCount(0);
  await tester.remove();
  await page.getByTestId('finish').click();
  await rec.expectScreen('goodbye', { languages: false });
});

test('anonymous card: menu offers top-up and balance, every option leads somewhere and back (no dead end)', async ({ page }) => {
  await presentAndRead(page, 'anonymous');
  await rec.expectScreen('menu', {
    check: async (l) => {
      await expect(page.getByTestId('card-summary')).toContainText(TEXTS[l].card.kind.anonymous);
      await expect(page.getByTestId('balance')).toHaveText(money(2035, INTL[l]));
    },
  });
  await tester.remove();
  const options = await menuOffered(page);
  expect(options).toEqual(expect.arrayContaining(['topup', 'balance']));
  await walkEveryOption(page, options);
});

test('NS-Business Card: no top-up (travels on account), only what it may do, every option leads somewhere and back', async ({ page }) => {
  await presentAndRead(page, 'business');
  await rec.expectScreen('menu', {
    check: async (l) => {
      await expect(page.getByTestId('card-summary')).toContainText(TEXTS[l].card.kind.business);
      // It travels on account: no meaningless "balance EUR 0,00" (issue 14).
      await expect(page.getByTestId('balance')).toHaveCount(0);
      await expect(page.getByTestId('on-account')).toHaveText(TEXTS[l].card.onAccount);
    },
  });
  await tester.remove();
  const options = await menuOffered(page);
  expect(options).not.toContain('topup');
  expect(options.length).toBeGreaterThan(0);
  await walkEveryOption(page, options);
});

/** Choose each offered option, see its first screen, go back to the menu: the menu never leads to a dead end. */
async function walkEveryOption(page: import('@playwright/test').Page, options: MenuOption[]): Promise<void> {
  for (const option of options) {
    await page.getByTestId(`menu-${option}`).click();
    await expect(page.locator('[data-screen]:not([data-screen="menu"])')).toBeVisible();
    // wait out any loading (e.g. orders asked from the back office)
    await expect(page.locator('[data-testid="busy"]')).toHaveCount(0);
    const screen = (await page.locator('[data-screen]').getAttribute('data-screen')) as Parameters<ScreenRecorder['expectScreen']>[0];
    await rec.expectScreen(screen, { languages: false });
    const back = page.getByTestId('back');
    await expect(back, `${option}: a way back from ${screen}`).toBeVisible();
    await back.click();
    await rec.expectScreen('menu', { languages: false });
  }
  await page.getByTestId('cancel').click();
  await rec.expectScreen('goodbye', { languages: false });
  await rec.expectScreen('start', { timeout: 10_000, languages: false });
  await expect(page.locator('html')).toHaveAttribute('lang', 'nl');
}
