// Every screen in every language, rendered in Chromium from a representative snapshot through a
// stand-in `window.kiosk` (the renderer prefers it, as in Electron). This photographs the screens a
// journey passes too quickly to capture (reading, writing) and the issue-6 screens, and checks each
// for raw keys and touch targets. The journeys themselves run against the real core in topup.spec.ts.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { KioskSnapshot, Locale, ScreenId } from '../../contract/bridge.js';
import { SCREENS } from '../../contract/bridge.js';
import { SAMPLE_VARIANTS, sampleSnapshot } from '../../renderer/src/sample-snapshots.js';
import { SCREENS_DIR } from './support/kiosk.js';

const RAW_KEY = /\b(app|common|lang|largeText|inactivity|card|start|presentCard|readingCard|problem|menu|topup|payment|presentAgain|writingCard|writeProblem|topupDone|paymentUndone|refundOwed|orders|orderConfirm|orderRefused|orderDone|balance|unavailable|goodbye|product|stationPassage)\.[a-zA-Z][\w-]*/;

/**
 * WCAG 2 contrast of every visible text against its effective background (the nearest ancestor
 * with an opaque background). Kept as page-side JavaScript: the test project has no DOM types.
 */
const LOW_CONTRAST_TEXTS = `(() => {
  const parse = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c); if (!m) return null; const p = m[1].split(',').map(Number.parseFloat); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = (n.textContent || '').trim();
    const el = n.parentElement;
    if (!text || !el) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width <= 1 || r.height <= 1 || style.visibility === 'hidden') continue;
    const fg = parse(style.color); const bg = bgOf(el);
    const l1 = lum(fg); const l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) out.push(text.slice(0, 30) + ': ' + ratio.toFixed(2));
  }
  return out;
})()`;

/** Buttons and progress bars a screen reader could not name (no text, aria-label or aria-labelledby). */
const UNNAMED_CONTROLS = `(() => [...document.querySelectorAll('button, [role=progressbar], [role=alertdialog], main')]
  .filter((el) => {
    const by = el.getAttribute('aria-labelledby');
    const named = (el.getAttribute('aria-label') || '').trim() || (by && (document.getElementById(by)?.textContent || '').trim()) || (el.textContent || '').trim();
    return !named;
  })
  .map((el) => el.outerHTML.slice(0, 80)))()`;

/** The page's base font size in px and whether it fits the screen width (no sideways scrolling). */
const TEXT_SIZE_AND_FIT = `(() => ({
  px: Number.parseFloat(getComputedStyle(document.querySelector('.kiosk')).fontSize),
  fits: document.documentElement.scrollWidth <= window.innerWidth,
}))()`;

for (const locale of ['nl', 'en', 'de', 'fr'] as const satisfies readonly Locale[]) {
  test(`every screen renders in ${locale} without raw keys, with 48 px touch targets, 4.5:1 text contrast, screen-reader names and larger text that fits`, async ({ page }) => {
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
    const shots = [...(SCREENS as readonly ScreenId[]).map((screen) => ({ name: screen, screen, extra: {} })), ...SAMPLE_VARIANTS];
    for (const [i, { name, screen, extra }] of shots.entries()) {
      const snapshot: KioskSnapshot = { ...sampleSnapshot(screen, locale, extra), rev: ++rev };
      await page.evaluate((s) => (globalThis as unknown as { __gallery: { set(s: unknown): void } }).__gallery.set(s), snapshot);
      await expect(page.locator(`[data-screen="${screen}"]`)).toBeVisible();
      await expect(page.locator('html')).toHaveAttribute('lang', locale);
      const text = await page.locator('body').innerText();
      expect(text, `${locale}/${name}`).not.toMatch(RAW_KEY);
      expect(text).not.toContain('3528010000000017');
      const small = await page
        .locator('button:visible')
        .evaluateAll((els) => els.filter((el) => el.getBoundingClientRect().height < 48 || el.getBoundingClientRect().width < 48).length);
      expect(small, `${locale}/${name}: buttons under 48 px`).toBe(0);
      expect(await page.evaluate<string[]>(LOW_CONTRAST_TEXTS), `${locale}/${name}: text under 4.5:1 contrast`).toEqual([]);
      expect(await page.evaluate<string[]>(UNNAMED_CONTROLS), `${locale}/${name}: controls without a screen-reader name`).toEqual([]);
      await page.screenshot({ path: path.join(dir, `${String(i + 1).padStart(2, '0')}-${name}.png`), animations: 'disabled' });

      // Larger text on every screen: bigger, still fitting the width, touch targets still >= 48 px.
      if (snapshot.largeText) continue;
      const normal = await page.evaluate<{ px: number; fits: boolean }>(TEXT_SIZE_AND_FIT);
      await page.evaluate((s) => (globalThis as unknown as { __gallery: { set(s: unknown): void } }).__gallery.set(s), {
        ...snapshot,
        largeText: true,
        rev: ++rev,
      });
      await expect(page.locator('.kiosk.large-text')).toBeVisible();
      const large = await page.evaluate<{ px: number; fits: boolean }>(TEXT_SIZE_AND_FIT);
      expect(large.px, `${locale}/${name}: larger text is larger`).toBeGreaterThanOrEqual(normal.px * 1.25);
      expect(large.fits, `${locale}/${name}: larger text fits the screen width`).toBe(true);
      const smallLarge = await page
        .locator('button:visible')
        .evaluateAll((els) => els.filter((el) => el.getBoundingClientRect().height < 48 || el.getBoundingClientRect().width < 48).length);
      expect(smallLarge, `${locale}/${name} (larger text): buttons under 48 px`).toBe(0);
    }
  });
}

test('the contrast check itself flags low-contrast text', async ({ page }) => {
  await page.setContent('<p style="color:#999;background:#fff">grey on white</p><p style="color:#1a1a1a">dark on white</p>');
  expect(await page.evaluate<string[]>(LOW_CONTRAST_TEXTS)).toEqual(['grey on white: 2.85']);
});

test('the screen-reader check itself flags a control without a name', async ({ page }) => {
  await page.setContent('<button aria-label="Terug"></button><button>Klaar</button><button><svg></svg></button>');
  expect(await page.evaluate<string[]>(UNNAMED_CONTROLS)).toEqual(['<button><svg></svg></button>']);
});
