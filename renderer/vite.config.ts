import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The renderer is served from dist/renderer by the browser host and loaded from file:// by the
// Electron shell, so every asset URL is relative (base './').
export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [react()],
  build: {
    outDir: here('../dist/renderer'),
    emptyOutDir: true,
    target: 'chrome130',
    rolldownOptions: {
      input: {
        kiosk: here('./index.html'),
        tester: here('./tester.html'),
      },
    },
  },
  server: { fs: { allow: [here('..')] } },
});
