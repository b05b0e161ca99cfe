// `npm run build:console` (`--force`), and the root's prepare and start (only when the sources changed):
// builds packages/console/dist and fails when the initial load is over its budget.
import { ensureConsoleBuilt, INITIAL_LOAD_BUDGET_BYTES } from './console-build.ts';

const { built, ms, initialBytes } = await ensureConsoleBuilt({ force: process.argv.includes('--force') });
const size = `initial load ${(initialBytes / 1024).toFixed(1)} kB gzipped`;
process.stdout.write(built ? `console: built dist/ in ${ms} ms, ${size}\n` : `console: dist/ is up to date (${size})\n`);
if (initialBytes > INITIAL_LOAD_BUDGET_BYTES) {
  process.stderr.write(`console: the initial load is over its budget of ${INITIAL_LOAD_BUDGET_BYTES / 1024} kB gzipped; split a chunk off\n`);
  process.exit(1);
}
