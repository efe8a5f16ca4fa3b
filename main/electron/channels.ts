/** IPC channel names between the Electron main process and the preload. The preload (a sandboxed
 * CommonJS script that cannot import local modules) repeats them; channels.test.ts checks that. */
export const IPC_CHANNELS = {
  /** renderer -> main (invoke): one KioskEvent; answers a SendResult. */
  send: 'kiosk:send',
  /** renderer -> main (invoke): the latest snapshot, for a page that just (re)loaded. */
  current: 'kiosk:current',
  /** main -> renderer: every new snapshot. */
  snapshot: 'kiosk:snapshot',
} as const;
