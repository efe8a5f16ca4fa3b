/**
 * The configuration the in-process kiosk tests start the real composition with: a fresh data
 * directory, a fast emulated terminal, timers long enough that only the test moves the kiosk on.
 * Shared by main/composition.test.ts and main/services/order-journeys.test.ts.
 */
import { parseConfig } from '../../main/config.js';

export function testKioskConfig(dataDir: string, logLevel: 'silent' | 'info', overrides: Record<string, unknown> = {}) {
  return parseConfig({
    dataDir,
    logLevel,
    hardware: { payment: { promptDelayMs: 5, commitWindowMs: 60_000 } },
    timing: { inactivityMs: 60_000, inactivityWarningMs: 20_000, creditWaitMs: 30_000, doneMs: 60_000, goodbyeMs: 200 },
    ...overrides,
    // The SQLite development store opens in milliseconds; the PGlite default (opened in the
    // background) is proven by test/start.test.ts, main/composition.pglite.test.ts and the e2e suite.
    backOffice: { engine: 'sqlite', ...(overrides['backOffice'] as object | undefined) },
  });
}
