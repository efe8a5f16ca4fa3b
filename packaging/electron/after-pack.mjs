// electron-builder afterPack hook (electron-builder.yml): flip the kiosk's fuses (fuses.mjs) in the
// packed Electron binary, then read them back and fail the build if any did not take.
import path from 'node:path';
import { flipFuses, getCurrentFuseWire, FuseState } from '@electron/fuses';
import { KIOSK_FUSES } from './fuses.mjs';

export default async function afterPack(context) {
  const exe = path.join(context.appOutDir, context.packager.executableName);
  await flipFuses(exe, KIOSK_FUSES);
  const wire = await getCurrentFuseWire(exe);
  for (const [key, want] of Object.entries(KIOSK_FUSES)) {
    if (key === 'version' || key === 'resetAdHocDarwinSignature') continue;
    const got = wire[key];
    if (got !== (want ? FuseState.ENABLE : FuseState.DISABLE)) throw new Error(`fuse ${key} is ${got} after flipping, wanted ${want}`);
  }
  console.log(`[after-pack] fuses set on ${exe}`);
}
