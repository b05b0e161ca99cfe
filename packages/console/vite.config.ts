// The console is built into dist/ and served by @keyway/server at /{tenantId}/console, one build for
// every tenant: asset URLs are relative (base './'); the server gives the page <base href="/{tenantId}/console/">,
// so index.html finds them at any depth, and chunks load each other relative to their own URL.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The budget is checked by scripts/console-build.ts on the gzipped initial chunks.
    chunkSizeWarningLimit: 600,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev -w @keyway/console`: the API and the console's session endpoints come from a running Keyway.
    proxy: { '^/(api|[^/]+/console/api)/': 'http://localhost:8080' },
  },
});
