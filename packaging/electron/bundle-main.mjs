// The Electron main process as one ES module for the package (scripts/package-electron.mjs, and
// the packaging test). Rolldown is the bundler Vite already brings (the renderer's build): no new
// dependency. npm packages stay external (native addons cannot be bundled).
import path from 'node:path';
import { rolldown } from 'rolldown';
import { ABSENT_MODULES } from './absent-modules.mjs';

/** Bundle main/electron/main.ts into outFile with the absent modules swapped in; returns the swapped paths. */
export async function bundleMain(root, outFile) {
  const absent = new Map(Object.entries(ABSENT_MODULES).map(([rel, code]) => [path.join(root, rel), code]));
  const swapped = [];
  const bundle = await rolldown({
    input: path.join(root, 'main', 'electron', 'main.ts'),
    platform: 'node',
    // Packages stay in node_modules (native addons cannot be bundled); only our code is bundled.
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id) && !id.startsWith('\0'),
    resolve: { extensionAlias: { '.js': ['.ts', '.js'] } },
    plugins: [
      {
        name: 'ns-kiosk-absent-modules',
        load(id) {
          const code = absent.get(id);
          if (code === undefined) return null;
          swapped.push(path.relative(root, id));
          return { code, moduleType: 'js' };
        },
      },
    ],
  });
  await bundle.write({ file: outFile, format: 'esm', sourcemap: false, codeSplitting: false });
  await bundle.close();
  return swapped;
}

