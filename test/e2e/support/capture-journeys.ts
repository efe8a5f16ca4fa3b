/**
 * Photographs the screens the design notes compare (start, amount, pay, order list, balance) from a
 * running kiosk on emulated hardware, at the kiosk's portrait size, into a folder given on the
 * command line. Used for docs/screenshots/before and docs/screenshots/after:
 *
 *   KIOSK_URL=http://127.0.0.1:18991 node --import tsx test/e2e/support/capture-journeys.ts docs/screenshots/after
 *
 * The PNGs are taken at half the device pixel size (540×960 for 1080×1920) to keep the repo small.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS } from '../../../playwright.config.js';

const base = process.env['KIOSK_URL'] ?? 'http://127.0.0.1:18991';
const out = process.argv[2] ?? 'docs/screenshots/after';
mkdirSync(out, { recursive: true });

async function post(url: string, data: unknown): Promise<void> {
  const res = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

async function screen(page: Page, id: string): Promise<void> {
  await page.locator(`[data-screen="${id}"]`).waitFor({ state: 'visible', timeout: 15_000 });
  await page.waitForTimeout(300);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(out, `${name}.png`), animations: 'disabled' });
  console.log(`${out}/${name}.png`);
}

/** Start -> menu with a card: a tap on "start" where there is one, else the card alone. */
async function toMenu(page: Page, card: string): Promise<void> {
  await post('/tester/reset', {});
  await post('/tester/terminal/behaviour', { behaviour: 'approve' });
  await page.goto(base + '/');
  await screen(page, 'start');
  const start = page.getByTestId('start');
  if (await start.isVisible()) {
    await start.click();
    await screen(page, 'present-card');
  }
  await post('/tester/card/present', { fixtureId: card });
  await screen(page, 'menu');
  await post('/tester/card/remove', {});
}

const sizes = (process.env['CAPTURE_SIZES'] ?? '1080x1920').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  for (const [width, height] of sizes) {
    const suffix = sizes.length > 1 ? `-${width}x${height}` : '';
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 0.5 });
    await post('/tester/reset', {});
    await page.goto(base + '/');
    await screen(page, 'start');
    await shot(page, `1-start${suffix}`);

    await toMenu(page, 'personal-products');
    await shot(page, `2-menu${suffix}`);
    await page.getByTestId('menu-topup').click();
    await screen(page, 'topup-amount');
    await shot(page, `3-amount${suffix}`);
    await page.getByTestId('amount-2000').click();
    await page.waitForTimeout(300);
    const pay = page.getByTestId('pay');
    if (await pay.isVisible()) {
      await shot(page, `3b-amount-chosen${suffix}`);
      await pay.click();
    }
    await screen(page, 'payment');
    await shot(page, `4-pay${suffix}`);
    await page.getByTestId('cancel').click();

    await toMenu(page, 'personal-ns-extra');
    await page.getByTestId('menu-collect-orders').click();
    await page.getByTestId('orders-count').waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForTimeout(300);
    await shot(page, `5-orders${suffix}`);

    await toMenu(page, 'personal-products');
    await page.getByTestId('menu-balance').click();
    await screen(page, 'balance');
    await shot(page, `6-balance${suffix}`);
    await page.close();
  }
} finally {
  await browser.close();
}
