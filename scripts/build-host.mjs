// `npm run build:host`: the browser host (main/start.ts and everything it imports from main,
// hardware, state-machines, backoffice, contract, domain) bundled by esbuild into
// dist/host/start.mjs, so `npm start` runs compiled JavaScript instead of compiling TypeScript
// through tsx at every start (issue 15 item 5). Packages stay in node_modules (external): native
// addons, pino and fastify load as they are. Writes dist/build-info.json (main/version.ts).
// esbuild is used (not tsc) because it bundles in a few hundred ms and its one output file loads
// faster than hundreds of modules; type checking stays with `npm test` (tsc --noEmit).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBuildInfo } from './build-info.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const HOST_OUT = path.join(root, 'dist', 'host', 'start.mjs');
/** What the bundle is made of: a newer file here means a rebuild (scripts/start.mjs). */
export const HOST_SOURCES = ['main', 'hardware', 'state-machines', 'backoffice', 'contract', 'domain', 'package.json', 'package-lock.json'].map((p) => path.join(root, p));

/**
 * The packages the start screen needs before the core is loaded (the browser host: fastify and its
 * static files plugin, ws, zod) are bundled, with everything they import: resolving and reading
 * their few hundred small files cost more CPU at every start than running them (issue 15,
 * measured with KIOSK_STARTUP_TRACE). Every other package stays in node_modules (external) and
 * loads as it is: native addons, pino (its transports run in worker threads by file name), the
 * core's packages (loaded after the host listens).
 */
const BUNDLED_PACKAGES = ['fastify', '@fastify/static', 'ws', 'zod'];
const startPathPackagesBundled = {
  name: 'start-path-packages-bundled',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      // ws's optional native helpers (bufferutil, utf-8-validate) are found at run time or not at all.
      if (name === 'bufferutil' || name === 'utf-8-validate' || name === 'pino' || name.startsWith('pino-')) return { external: true };
      const fromPackage = args.importer.includes(`${path.sep}node_modules${path.sep}`);
      if (fromPackage || BUNDLED_PACKAGES.includes(name)) return undefined; // bundled
      return { external: true };
    });
  },
};

/**
 * zod's `locales` namespace (its error messages in ~60 languages, 64 modules) is bundled into the
 * start path by `export * as locales` although the kiosk never uses it: zod sets up its English
 * messages from their own module, which stays. Replaced by an empty namespace, the start path's
 * zod chunk loses most of its size (issue 15, start-up). The kiosk's own words are in locales/*.json.
 */
const zodLocalesLeftOut = {
  name: 'zod-locales-left-out',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`) ? { path: 'zod-locales', namespace: 'zod-locales-left-out' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales-left-out' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

export async function buildHost({ quiet = false } = {}) {
  const started = Date.now();
  const { build } = await import('esbuild');
  // Old chunks (content-hashed names) would pile up: the folder is the build's own.
  rmSync(path.dirname(HOST_OUT), { recursive: true, force: true });
  await build({
    entryPoints: { start: path.join(root, 'main', 'start.ts') },
    outdir: path.dirname(HOST_OUT),
    outExtension: { '.js': '.mjs' },
    // main/start.ts imports the core (main/composition.ts and the back office, journal, devices
    // it pulls in) dynamically, after the host listens: splitting puts it in a chunk of its own, so
    // the start screen is served before that code is even loaded. Chunks stay next to start.mjs
    // (hardware/card/keys.ts finds dist/host/keys through import.meta.url).
    splitting: true,
    chunkNames: '[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    plugins: [zodLocalesLeftOut, startPathPackagesBundled],
    sourcemap: 'linked',
    logLevel: 'warning',
    // ESM output has no require(); some bundled modules use createRequire themselves (nfc-pcsc loader).
    banner: { js: "import { createRequire as __kioskCreateRequire } from 'node:module'; const require = __kioskCreateRequire(import.meta.url);" },
  });
  // Files the code finds next to itself through import.meta.url (hardware/card/keys.ts).
  const keys = path.join(root, 'hardware', 'card', 'keys');
  if (existsSync(keys)) cpSync(keys, path.join(root, 'dist', 'host', 'keys'), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.endsWith('.json') || src.endsWith('.pem') });
  const info = writeBuildInfo(root);
  if (!quiet) console.log(`[build:host] dist/host/start.mjs (version ${info.version}, build ${info.build}) in ${Date.now() - started} ms`);
  return info;
}

/** Newest modification time under `p` (node_modules and dot files left out). */
export function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, name)));
  }
  return newest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(path.dirname(HOST_OUT), { recursive: true });
  await buildHost();
}
