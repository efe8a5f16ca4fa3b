/**
 * Electron entry (package.json "main": dist/main/electron/main.js). Builds the kiosk core from
 * configuration through the one composition root and hands it to the locked-down shell.
 * Data lives under Electron's userData folder unless KIOSK_DATA_DIR says otherwise.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app } from 'electron';
import { createKiosk } from '../composition.js';
import { loadConfig } from '../config.js';
import { startElectronShell } from './app.js';

const here = path.dirname(fileURLToPath(import.meta.url));

startElectronShell({
  rendererIndex: path.join(here, '..', '..', 'renderer', 'index.html'),
  preloadPath: path.join(here, 'preload.cjs'),
  // A development build only: app.ts ignores it when packaged.
  devTools: !app.isPackaged && process.env['KIOSK_DEVTOOLS'] === '1',
  async createCore() {
    const env = { KIOSK_DATA_DIR: path.join(app.getPath('userData'), 'kiosk-data'), ...process.env };
    const config = loadConfig({ env });
    return createKiosk(config);
  },
});
