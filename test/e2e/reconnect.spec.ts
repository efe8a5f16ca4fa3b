// The browser host's bridge can drop (host restart, network blip on a kiosk PC). The page keeps
// showing the last snapshot with a "connecting" notice, retries with backoff, and carries on
// where the session is once the socket is back: the session lives in the core, not the page.
import { expect, test, type WebSocketRoute } from '@playwright/test';
import { ScreenRecorder, Tester } from './support/kiosk.js';

test('a dropped bridge shows "connecting" over the last screen and resumes the session on reconnect', async ({ page, request }, testInfo) => {
  const tester = new Tester(request);
  await tester.reset();
  let refuse = false;
  let current: WebSocketRoute | undefined;
  await page.routeWebSocket(/\/bridge$/, (ws) => {
    if (refuse) {
      ws.close({ code: 1013, reason: 'try again later' });
      return;
    }
    current = ws;
    ws.connectToServer();
  });
  const rec = new ScreenRecorder(page, testInfo);
  await page.goto('/');
  await rec.expectScreen('start');
  await page.getByTestId('lang-en').click();
  await page.getByTestId('start').click();
  await rec.expectScreen('present-card');

  refuse = true;
  await current!.close({ code: 1012, reason: 'host restarting' });
  await expect(page.getByTestId('connecting')).toBeVisible();
  await expect(page.getByTestId('connecting')).toContainText('Connecting to the ticket machine');
  await expect(page.locator('[data-screen="present-card"]')).toBeVisible();
  await rec.shot('present-card-connecting');

  // the session went on in the core meanwhile: the card is read while the page is away
  await tester.present('anonymous');
  refuse = false;
  await expect(page.getByTestId('connecting')).toBeHidden({ timeout: 10_000 });
  await rec.expectScreen('menu');
  await expect(page.getByTestId('masked-number')).toHaveText(/0014$/);
  await tester.remove();
  await rec.finish(testInfo);
});
