/**
 * Tests that need a real pcscd (and vpcd) call requirePcscd(): it starts pcscd when none is
 * running. Without pcscd/vpcd installed the test is skipped with the reason, except in CI
 * (CI=true), where a missing prerequisite fails the run.
 */
import { existsSync } from 'node:fs';
import { ensurePcscd, PCSCD_BINARY, type PcscdHandle } from '../../hardware/card/wire/pcscd.js';

export { ensurePcscd, pcscdAnswers, vpcdListening, PCSCD_SOCKET, type PcscdHandle } from '../../hardware/card/wire/pcscd.js';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

/** Why wire tests cannot run here, or undefined when they can. */
export function pcscMissing(): string | undefined {
  if (!existsSync(PCSCD_BINARY)) return `${PCSCD_BINARY} missing (apt-get install pcscd)`;
  if (!existsSync(VPCD_DRIVER)) return `${VPCD_DRIVER} missing (apt-get install vsmartcard-vpcd)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'starting pcscd needs root';
  return undefined;
}

/** Skip reason for describe.skipIf, or throw in CI where a missing prerequisite must fail. */
export function wireSkipReason(): string | false {
  const missing = pcscMissing();
  if (!missing) return false;
  if (process.env.CI === 'true') throw new Error(`wire tests cannot run in CI: ${missing}`);
  return missing;
}

export async function requirePcscd(): Promise<PcscdHandle> {
  return ensurePcscd({ vpcdPort: 35963 });
}
