// The console is built into dist/ and served by @keyway/server at /{tenantId}/console, one build for
// every tenant: index.html names its assets under a placeholder prefix that the server replaces with
// /{tenantId}/console/ when it sends the page (the page's CSP has base-uri 'none', so no <base>), and
// scripts and styles load their chunks relative to their own URL.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Replaced in index.html by the server with `/{tenantId}/console/`. */
export const CONSOLE_BASE_PLACEHOLDER = '/__KEYWAY_CONSOLE_BASE__/';

export default defineConfig({
  base: './',
  plugins: [react()],
  experimental: {
    renderBuiltUrl: (filename, { hostType }) => (hostType === 'html' ? `${CONSOLE_BASE_PLACEHOLDER}${filename}` : { relative: true }),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The budget is checked by scripts/build-console.ts on the gzipped initial chunks.
    chunkSizeWarningLimit: 600,
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev -w @keyway/console`: the API and the console's session endpoints come from a running Keyway.
    proxy: { '^/(api|[^/]+/console/api)/': 'http://localhost:8080' },
  },
});
