import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Remove the run's temporary kiosk data directory (see playwright.config.ts). */
export default function teardown(): void {
  const dir = process.env['KIOSK_E2E_DATA_DIR'];
  if (dir && path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith('kiosk-e2e-')) rmSync(dir, { recursive: true, force: true });
}
