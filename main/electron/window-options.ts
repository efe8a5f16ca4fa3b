import type { BrowserWindowConstructorOptions } from 'electron';

/** One policy for both shells: see main/core/csp.ts. */
export { KIOSK_CSP } from '../core/csp.js';

/** The locked-down kiosk window: full screen, kiosk mode, no frame, no menu, isolated sandbox. */
export function kioskWindowOptions(preloadPath: string, opts: { devTools?: boolean } = {}): BrowserWindowConstructorOptions {
  return {
    fullscreen: true,
    kiosk: true,
    frame: false,
    autoHideMenuBar: true,
    resizable: false,
    movable: false,
    minimizable: false,
    maximizable: false,
    // Alt+F4 and the like do nothing (app.ts also refuses 'close' unless the app is quitting).
    closable: false,
    skipTaskbar: true,
    alwaysOnTop: true,
    show: false,
    backgroundColor: '#ffc917',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: opts.devTools ?? false,
      safeDialogs: true,
      disableDialogs: true,
      autoplayPolicy: 'user-gesture-required',
    },
  };
}
