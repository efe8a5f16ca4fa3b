// Every screen in every language, rendered in Chromium from a representative snapshot through a
// stand-in `window.kiosk` (the renderer prefers it, as in Electron). This photographs the screens a
// journey passes too quickly to capture (reading, writing) and the issue-6 screens, and checks each
// for raw keys and touch targets. The journeys themselves run against the real core in topup.spec.ts.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { KioskSnapshot, Locale, ScreenId } from '../../main/core/contract.js';
import { SCREENS } from '../../main/core/contract.js';
import { sampleSnapshot } from '../../renderer/src/sample-snapshots.js';
import { SCREENS_DIR } from './support/kiosk.js';

const RAW_KEY = /\b(app|common|lang|largeText|inactivity|card|start|presentCard|readingCard|problem|menu|topup|payment|presentAgain|writingCard|writeProblem|topupDone|paymentUndone|refundOwed|orders|orderConfirm|orderRefused|orderDone|balance|unavailable|goodbye|product)\.[a-zA-Z][\w-]*/;

for (const locale of ['nl', 'en', 'de', 'fr'] as const satisfies readonly Locale[]) {
  test(`every screen renders in ${locale} without raw keys and with 48 px touch targets`, async ({ page }) => {
    const dir = path.join(SCREENS_DIR, `gallery-${locale}`);
    mkdirSync(dir, { recursive: true });
    await page.addInitScript(() => {
      type Listener = (s: unknown) => void;
      const listeners = new Set<Listener>();
      let current: unknown;
      const g = globalThis as unknown as Record<string, unknown>;
      g['__gallery'] = {
        set(s: unknown) {
          current = s;
          listeners.forEach((l) => l(s));
        },
      };
      g['kiosk'] = {
        onSnapshot(l: Listener) {
          listeners.add(l);
          if (current) l(current);
          return () => listeners.delete(l);
        },
        send: () => Promise.resolve({ ok: true }),
      };
    });
    await page.goto('/');
    let rev = 0;
    for (const [i, screen] of (SCREENS as readonly ScreenId[]).entries()) {
      const snapshot: KioskSnapshot = { ...sampleSnapshot(screen, locale), rev: ++rev };
      await page.evaluate((s) => (globalThis as unknown as { __gallery: { set(s: unknown): void } }).__gallery.set(s), snapshot);
      await expect(page.locator(`[data-screen="${screen}"]`)).toBeVisible();
      await expect(page.locator('html')).toHaveAttribute('lang', locale);
      const text = await page.locator('body').innerText();
      expect(text, `${locale}/${screen}`).not.toMatch(RAW_KEY);
      expect(text).not.toContain('3528010000000017');
      const small = await page
        .locator('button:visible')
        .evaluateAll((els) => els.filter((el) => el.getBoundingClientRect().height < 48 || el.getBoundingClientRect().width < 48).length);
      expect(small, `${locale}/${screen}: buttons under 48 px`).toBe(0);
      await page.screenshot({ path: path.join(dir, `${String(i + 1).padStart(2, '0')}-${screen}.png`), animations: 'disabled' });
    }
  });
}
