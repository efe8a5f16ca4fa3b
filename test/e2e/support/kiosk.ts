/**
 * Helpers for driving the kiosk end to end: the tester API (emulated hardware), and a screen
 * recorder that follows the snapshots on the /bridge WebSocket, waits for screens by their
 * data-screen attribute, checks each one (no raw translation key, touch targets >= 48 px, the
 * language switch and larger-text toggle present) and saves a screenshot of every screen visited
 * to test-results/e2e/screens/<test>/<nn>-<screen>.png.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext, type Page, type TestInfo } from '@playwright/test';
import type { FixtureCardId } from '../../../contract/fixture-cards.js';
import type { PresentableCardId } from '../../../contract/fixture-technicians.js';
import type { LedgerEntry, TerminalBehaviour } from '../../../hardware/payment/emulator-control.js';
import type { KioskSnapshot, Locale, ScreenId } from '../../../contract/bridge.js';
import de from '../../../locales/de.json' with { type: 'json' };
import en from '../../../locales/en.json' with { type: 'json' };
import fr from '../../../locales/fr.json' with { type: 'json' };
import nl from '../../../locales/nl.json' with { type: 'json' };

/** Where screenshots go: under the Playwright output folder (E2E_SCREENS_DIR moves them, e.g. with --output). */
export const SCREENS_DIR = process.env['E2E_SCREENS_DIR'] ?? path.join('test-results', 'e2e', 'screens');
export const LOCALES = ['nl', 'en', 'de', 'fr'] as const satisfies readonly Locale[];
/** The locale texts, for assertions that hold in every language. */
export const TEXTS = { nl, en, de, fr } as const;
/** BCP 47 tags the renderer formats with (renderer/src/i18n.ts INTL_LOCALE). */
export const INTL = { nl: 'nl-NL', en: 'en-GB', de: 'de-DE', fr: 'fr-FR' } as const satisfies Record<Locale, string>;

export class Tester {
  constructor(private readonly request: APIRequestContext) {}

  private async post(url: string, data: unknown): Promise<void> {
    const res = await this.request.post(url, { data });
    expect(res.ok(), `${url} -> ${res.status()} ${await res.text()}`).toBe(true);
  }

  reset = () => this.post('/tester/reset', {});
  present = (fixtureId: PresentableCardId) => this.post('/tester/card/present', { fixtureId });
  remove = () => this.post('/tester/card/remove', {});
  behaviour = (behaviour: TerminalBehaviour) => this.post('/tester/terminal/behaviour', { behaviour });
  /** Make the back office reachable or not (the reset makes it reachable again). */
  backOffice = (reachable: boolean) => this.post('/tester/backoffice', { reachable });

  async ledger(): Promise<LedgerEntry[]> {
    const res = await this.request.get('/tester/ledger');
    expect(res.ok()).toBe(true);
    const body = (await res.json()) as { ledger: LedgerEntry[] } | LedgerEntry[];
    return Array.isArray(body) ? body : body.ledger;
  }
}

/** A key-like string: a locale namespace followed by dotted segments (what i18next shows for a missing key). */
const RAW_KEY =
  /\b(app|common|lang|largeText|inactivity|card|start|presentCard|readingCard|problem|menu|topup|payment|presentAgain|writingCard|writeProblem|topupDone|paymentUndone|refundOwed|orders|orderConfirm|orderRefused|orderDone|balance|unavailable|goodbye|product|stationPassage|maintenance)\.[a-zA-Z][\w-]*/;

export class ScreenRecorder {
  /** Every screen the kiosk sent, in order (consecutive duplicates collapsed). */
  readonly seen: ScreenId[] = [];
  /** Screens that were gone again before a screenshot could be taken (e.g. a fast card read). */
  readonly missed: ScreenId[] = [];
  readonly files: string[] = [];
  last: KioskSnapshot | undefined;
  private shots = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly dir: string;

  constructor(
    readonly page: Page,
    testInfo: TestInfo,
    /** everyLanguage: each screen checked with expectScreen is also photographed in all four languages. */
    private readonly opts: { everyLanguage?: boolean } = {},
  ) {
    const slug = testInfo.titlePath
      .slice(1)
      .join('-')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 90);
    this.dir = path.join(SCREENS_DIR, slug);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    page.on('websocket', (ws) => {
      if (!ws.url().endsWith('/bridge')) return;
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload !== 'string') return;
        let msg: { type?: string; snapshot?: KioskSnapshot };
        try {
          msg = JSON.parse(payload) as typeof msg;
        } catch {
          return;
        }
        if (msg.type !== 'snapshot' || !msg.snapshot) return;
        this.last = msg.snapshot;
        const screen = msg.snapshot.screen;
        if (this.seen.at(-1) === screen) return;
        this.seen.push(screen);
        // Screenshot every screen the kiosk shows, in order, as soon as the page renders it.
        this.chain = this.chain.then(() => this.capture(screen));
      });
    });
  }

  private async capture(screen: ScreenId): Promise<void> {
    if (this.last?.screen !== screen) {
      this.missed.push(screen);
      return;
    }
    try {
      await this.page.locator(`[data-screen="${screen}"]`).waitFor({ state: 'visible', timeout: 2000 });
      await this.shot(screen);
    } catch {
      this.missed.push(screen);
    }
  }

  /**
   * Wait for a screen and check it (its screenshot is taken by the recorder). With `languages`
   * (default: the recorder's everyLanguage) it is then also checked and photographed in each
   * language, switched with the top bar on that very screen, and switched back afterwards.
   */
  async expectScreen(
    screen: ScreenId,
    opts: { timeout?: number; languages?: boolean; check?: (locale: Locale) => Promise<void> } = {},
  ): Promise<void> {
    const root = this.page.locator(`[data-screen="${screen}"]`);
    await expect(root).toBeVisible({ timeout: opts.timeout ?? 15_000 });
    // Let the recorder take this screen's screenshot before the test moves on.
    await this.chain;
    await this.checkScreen(screen);
    if (opts.languages ?? this.opts.everyLanguage) await this.inEachLanguage(screen, opts.check);
    else if (opts.check) await opts.check(this.last?.locale ?? 'nl');
  }

  /** Switch the language with the top bar and wait until the page shows it. */
  async switchLanguage(locale: Locale): Promise<void> {
    await this.page.getByTestId(`lang-${locale}`).click();
    await this.waitForLanguage(locale);
  }

  async waitForLanguage(locale: Locale): Promise<void> {
    await expect(this.page.locator('html')).toHaveAttribute('lang', locale);
    await expect(this.page.getByTestId(`lang-${locale}`)).toHaveAttribute('aria-pressed', 'true');
    // the texts themselves have followed (the larger-text toggle is on every screen)
    const lt = TEXTS[locale].largeText;
    await expect(this.page.getByTestId('large-text')).toHaveText(new RegExp(`${lt.turnOn}|${lt.turnOff}`));
  }

  /** The screen showing now, checked and photographed in nl, en, de and fr; then the traveller's language again. */
  async inEachLanguage(screen: ScreenId, check?: (locale: Locale) => Promise<void>): Promise<void> {
    const before = this.last?.locale ?? 'nl';
    const root = this.page.locator(`[data-screen="${screen}"]`);
    const t0 = Date.now();
    for (const locale of LOCALES) {
      await this.switchLanguage(locale);
      await expect(root, `${screen} still showing while photographed in ${locale}`).toBeVisible({ timeout: 1000 });
      const text = await this.page.locator('body').innerText();
      expect(text, `raw translation key on ${screen} (${locale})`).not.toMatch(RAW_KEY);
      if (check) await check(locale);
      await this.shot(`${screen}-${locale}`);
    }
    if (before !== 'fr') await this.switchLanguage(before);
    if (process.env['E2E_DEBUG_SCREENS']) console.log(`${screen} in four languages: ${Date.now() - t0} ms`);
  }

  /** Screenshot whatever shows now (e.g. the inactivity dialog over a screen). */
  async shot(name: string): Promise<void> {
    this.shots += 1;
    const file = path.join(this.dir, `${String(this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, animations: 'disabled' });
    this.files.push(file);
  }

  /** Wait for pending screenshots; note the screens that were too brief to capture. */
  async finish(testInfo: TestInfo): Promise<void> {
    await this.chain;
    if (process.env['E2E_DEBUG_SCREENS']) console.log(this.seen.join(' -> '), 'missed:', this.missed.join(','));
    testInfo.annotations.push({ type: 'screens', description: `${this.seen.join(' -> ')} (${this.files.length} screenshots in ${this.dir})` });
    if (this.missed.length)
      testInfo.annotations.push({ type: 'screens-too-brief', description: `shown too briefly to capture: ${this.missed.join(', ')}` });
  }

  private async checkScreen(screen: ScreenId): Promise<void> {
    const text = await this.page.locator('body').innerText();
    expect(text, `raw translation key on ${screen}`).not.toMatch(RAW_KEY);
    // language switch and larger text on every screen
    for (const l of ['nl', 'en', 'de', 'fr']) await expect(this.page.getByTestId(`lang-${l}`)).toBeVisible();
    await expect(this.page.getByTestId('large-text')).toBeVisible();
    // touch targets at least 48 px
    const small = await this.page.locator('button:visible').evaluateAll((els) =>
      els
        .map((el) => ({ text: (el.textContent ?? '').trim().slice(0, 30), r: el.getBoundingClientRect() }))
        .filter(({ r }) => r.height < 48 || r.width < 48)
        .map(({ text, r }) => `${text} ${Math.round(r.width)}x${Math.round(r.height)}`),
    );
    expect(small, `touch targets under 48 px on ${screen}`).toEqual([]);
  }
}

/** Start a visit: reset the kiosk and terminal, open the traveller screen, wait for the start screen. */
export async function openKiosk(page: Page, tester: Tester, rec: ScreenRecorder): Promise<void> {
  await tester.reset();
  await tester.behaviour('approve');
  await page.goto('/');
  // (the start screen in every language is photographed by the per-language top-up journeys)
  await rec.expectScreen('start', { languages: false });
}

/** Start -> present card -> menu, with the given card (taken away again once the menu shows). */
export async function toMenu(page: Page, tester: Tester, rec: ScreenRecorder, card: FixtureCardId): Promise<void> {
  await page.getByTestId('start').click();
  await rec.expectScreen('present-card', { languages: false });
  await tester.present(card);
  // (the menu in every language is photographed by the card-state tests)
  await rec.expectScreen('menu', { languages: false });
  await tester.remove();
}

export function money(cents: number, tag: string): string {
  return new Intl.NumberFormat(tag, { style: 'currency', currency: 'EUR' }).format(cents / 100);
}

/** A change to the balance with its sign, as the balance screen writes it ("€ -9,05", "€ +25,00"). */
export function signedMoney(cents: number, tag: string): string {
  return new Intl.NumberFormat(tag, { style: 'currency', currency: 'EUR', signDisplay: 'exceptZero' }).format(cents / 100);
}
