// The Electron fuses the packaged kiosk is built with (flipped into the Electron binary by
// after-pack.mjs through @electron/fuses). Each one closes a way to run other code in the kiosk:
//  - RunAsNode off: ELECTRON_RUN_AS_NODE cannot turn the binary into a plain Node;
//  - EnableNodeOptionsEnvironmentVariable off: NODE_OPTIONS cannot --require code;
//  - EnableNodeCliInspectArguments off: --inspect cannot attach a debugger;
//  - EnableEmbeddedAsarIntegrityValidation on + OnlyLoadAppFromAsar on: only the signed-off
//    app.asar (hash in the binary) loads, never a loose app/ folder next to it;
//  - EnableCookieEncryption on: cookies at rest are encrypted with the OS key store.
import { FuseV1Options, FuseVersion } from '@electron/fuses';

export const KIOSK_FUSES = {
  version: FuseVersion.V1,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.EnableCookieEncryption]: true,
  // Linux: the binary is not re-signed after flipping (macOS would need resetAdHocDarwinSignature).
  resetAdHocDarwinSignature: false,
};
