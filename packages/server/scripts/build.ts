// `npm run build:server` (`--force`), and the root's prepare and start (only when an input changed): bundles the
// server into dist/server (see server-bundle.ts).
import { ensureServerBundle } from './server-bundle.ts';

const result = await ensureServerBundle({ force: process.argv.includes('--force') });
const size = `${(result.bytes / 1024 / 1024).toFixed(1)} MB from ${result.modules} modules`;
process.stdout.write(
  result.built ? `server: bundled dist/server in ${result.ms} ms (${result.reason}), ${size}\n` : `server: dist/server is up to date (${size})\n`,
);
