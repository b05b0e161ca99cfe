// `npm test` runner: provides Chromium, a throwaway PostgreSQL and an up-to-date server bundle (so the servers that
// tests start as processes run what `npm start` runs), then runs node's test runner over the tests.
// Usage: run-tests.ts [node test flags, e.g. --test-name-pattern=x] [test files to run instead of all]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, globSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { ensureServerBundle } from '../packages/server/scripts/server-bundle.ts';
import { ensureChromium } from './test-support/chromium.ts';
import { startThrowawayPostgres } from './test-support/postgres.ts';

const root = resolve(import.meta.dirname, '..');
const TEST_GLOBS = ['packages/*/test/**/*.test.ts', 'e2e/**/*.test.ts'];

// Arguments naming existing paths select test files; everything else goes to node (flags and their values).
const explicitFiles: string[] = [];
const nodeArgs: string[] = [];
for (const arg of process.argv.slice(2)) {
  if (!arg.startsWith('-') && existsSync(arg)) explicitFiles.push(resolve(arg));
  else nodeArgs.push(arg);
}
const files = explicitFiles.length > 0 ? explicitFiles : globSync(TEST_GLOBS, { cwd: root }).sort();
if (files.length === 0) {
  console.error(`no test files found (looked for ${TEST_GLOBS.join(', ')})`);
  process.exit(1);
}

// The test runner runs in its own process group so one signal reaches it, every test file and any browser.
let child: ChildProcess | undefined;
let signalled: NodeJS.Signals | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second Ctrl-C means "stop now".
    const forward = signalled ? 'SIGKILL' : signal;
    signalled ??= signal;
    if (child?.pid) {
      try {
        process.kill(-child.pid, forward);
      } catch {
        // Already exited.
      }
    }
  });
}

let exitCode = 1;
let postgres: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
try {
  process.env.KEYWAY_CHROMIUM_PATH = await ensureChromium();
  const bundle = await ensureServerBundle();
  if (bundle.built) console.error(`[run-tests] server bundled in ${bundle.ms} ms (${bundle.reason})`);
  const started = Date.now();
  postgres = await startThrowawayPostgres();
  process.env.KEYWAY_TEST_POSTGRES_ADMIN_URL = postgres.adminUrl;
  console.error(`[run-tests] PostgreSQL ready at ${postgres.adminUrl} in ${Date.now() - started} ms`);
  if (!signalled) exitCode = await runNodeTests();
} catch (err) {
  console.error(`[run-tests] ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await postgres?.stop();
}
process.exit(signalled ? 128 + constants.signals[signalled] : exitCode);

function runNodeTests(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--test', '--test-reporter=spec', '--test-concurrency=2', ...nodeArgs, ...files],
      { cwd: root, stdio: 'inherit', detached: true },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
