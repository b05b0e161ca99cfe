// The `keyway` command line as a user meets it: spawned for real, asserting the exit code, the
// message, and (for the answers that must come at once) that the server's modules never loaded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI } from '../support/server-process.ts';

const RECORDER = path.resolve(import.meta.dirname, '../support/record-loaded-modules.ts');
const VERSION = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const scratch = mkdtempSync(path.join(tmpdir(), 'keyway-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** URLs of every module the process loaded */
  modules: string[];
}

let runs = 0;
/** Runs the CLI with only the given KEYWAY_* variables (the test runner's own are removed). */
async function keyway(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const moduleLog = path.join(scratch, `modules-${++runs}.txt`);
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KEYWAY_') && name !== 'PORT'));
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', RECORDER, CLI, ...args], {
    env: { ...base, KEYWAY_DATABASE_URL: `sqlite:${path.join(scratch, `db-${runs}`, 'keyway.db')}`, KEYWAY_TEST_MODULE_LOG: moduleLog, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  let modules: string[] = [];
  try {
    modules = readFileSync(moduleLog, 'utf8').split('\n');
  } catch {
    // the process did not get as far as exiting normally
  }
  return { code, stdout, stderr, modules };
}

/** Nothing of the server was loaded: no Fastify, no Kysely, no database driver. */
function assertLight(run: Run): void {
  const heavy = run.modules.filter((url) => /node_modules\/(fastify|kysely|pg|@simplewebauthn)\/|\/src\/(server|commands|http\/app)\.ts$/.test(url));
  assert.deepEqual(heavy, [], 'the server and its dependencies are not loaded');
  assert.ok(run.modules.length > 0, 'the module log was written');
}

describe('keyway --version and --help', () => {
  test('--version prints the version and exits 0 without loading the server', async () => {
    const run = await keyway(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `keyway ${VERSION}\n`);
    assertLight(run);
  });

  test('--help, help and <command> --help print the usage with the exit codes and exit 0', async () => {
    for (const args of [['--help'], ['help'], ['-h'], ['init', '--help']]) {
      const run = await keyway(args);
      assert.equal(run.code, 0, args.join(' '));
      assert.match(run.stdout, /^Usage: keyway <command>/);
      assert.match(run.stdout, /quickstart \[--tenant <id>\]/);
      assert.match(run.stdout, /console invite --tenant <id> --role owner\|admin\|support\|viewer/);
      assert.match(run.stdout, /Exit codes: 0 done, 1 failed while running, 2 wrong command line, 78 wrong configuration/);
      assert.equal(run.stderr, '');
      assertLight(run);
    }
  });
});

describe('usage errors: exit 2, a message that says what is wrong, nothing heavy loaded', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^keyway: a command is missing\n\nUsage: keyway <command>/],
    [['serv'], /^keyway: unknown command "serv" \(did you mean serve\?\)/],
    [['quickstrat'], /unknown command "quickstrat" \(did you mean quickstart\?\)/],
    [['deploy'], /^keyway: unknown command "deploy"\n/],
    [['init'], /^keyway: init: --tenant <id> is missing: the tenant to use, e\.g\. --tenant acme\n/],
    [
      ['init', '--tenant', 'Acme Corp'],
      /^keyway: init: --tenant "Acme Corp" is invalid: a tenant id is 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit \(try --tenant acme-corp\)\n/,
    ],
    [['init', '--tenant'], /^keyway: init: --tenant needs a value\n/],
    [['init', '--tenat', 'acme'], /^keyway: init: unknown option --tenat \(did you mean --tenant\?\); it takes --tenant, --name\n/],
    [['init', '--tenant', 'acme', 'extra'], /^keyway: init: unexpected argument "extra"\n/],
    [['serve', '--port', '9000'], /^keyway: serve: unknown option --port; it takes no options\n/],
    [['quickstart', '--origin', 'http://example.com'], /quickstart: --origin "http:\/\/example\.com" is invalid: .*on localhost/],
    [['quickstart', '--origin', 'http://localhost:3000/'], /quickstart: --origin "http:\/\/localhost:3000\/" is invalid/],
    [['quickstart', '--store', 'my store'], /quickstart: --store "my store" is invalid: a store name is 1 to 64 letters/],
    [['journeys'], /^keyway: journeys: a subcommand is missing: install-templates\n/],
    [['journeys', 'install-template', '--tenant', 'acme'], /^keyway: journeys: unknown subcommand install-template \(did you mean install-templates\?\)/],
    [['keys', 'rotate-master'], /^keyway: keys rotate-master: --new-key-file <path> is missing/],
    [['console'], /^keyway: console: a subcommand is missing: invite\n/],
    [['console', 'invite', '--role', 'owner'], /^keyway: console invite: --tenant <id> is missing/],
    [['console', 'invite', '--tenant', 'acme'], /^keyway: console invite: --role <role> is missing: one of owner, admin, support, viewer\n/],
    [
      ['console', 'invite', '--tenant', 'acme', '--role', 'ownr'],
      /^keyway: console invite: --role "ownr" is invalid \(did you mean owner\?\): one of owner, admin, support, viewer\n/,
    ],
  ];
  for (const [args, message] of cases) {
    test(`keyway ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ') || '(nothing)'}`, async () => {
      const run = await keyway(args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
      assertLight(run);
    });
  }
});

describe('configuration errors: exit 78, naming the variable', () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [
      { KEYWAY_DATABSE_URL: 'sqlite:x.db' },
      /^configuration error: KEYWAY_DATABSE_URL: unknown variable \(did you mean KEYWAY_DATABASE_URL\?\); Keyway reads KEYWAY_PUBLIC_URL/,
    ],
    [{ KEYWAY_PORT: '9000' }, /KEYWAY_PORT: unknown variable \(did you mean PORT\?\)/],
    [{ KEYWAY_LOG_LEVL: 'debug' }, /KEYWAY_LOG_LEVL: unknown variable \(did you mean KEYWAY_LOG_LEVEL\?\)/],
    [{ KEYWAY_FROBNICATE: '1' }, /^configuration error: KEYWAY_FROBNICATE: unknown variable; Keyway reads/],
    [{ PORT: 'eighty' }, /^configuration error: PORT: expected an integer from 0 to 65535, got "eighty"/],
    [{ KEYWAY_LOG_FORMAT: 'pretty' }, /KEYWAY_LOG_FORMAT: expected auto\|human\|json, got "pretty"/],
  ];
  for (const [env, message] of cases) {
    test(`${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} keyway serve`, async () => {
      const run = await keyway(['serve'], env);
      assert.equal(run.code, 78, run.stderr);
      assert.match(run.stderr, message);
      assertLight(run);
    });
  }

  test('an unknown variable is named without its value, which may be a secret', async () => {
    const run = await keyway(['serve'], { KEYWAY_MASTER_KY: 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw' });
    assert.equal(run.code, 78);
    assert.match(run.stderr, /KEYWAY_MASTER_KY: unknown variable \(did you mean KEYWAY_MASTER_KEY\?\)/);
    assert.ok(!run.stderr.includes('c2VjcmV0'), run.stderr);
  });
});

describe('runtime failures: exit 1', () => {
  test('a busy port is reported before the server loads', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as AddressInfo).port;
      const run = await keyway(['serve'], { PORT: String(port) });
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^keyway: port ${port} on 127\\.0\\.0\\.1 is already in use \\(by another Keyway, or another server\\): stop it, or choose another port, e\\.g\\. PORT=${port + 1}\\n$`,
        ),
      );
      assertLight(run);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  test('a refused change names its code: install-templates for a store that does not exist', async () => {
    const run = await keyway(['journeys', 'install-templates', '--tenant', 'acme', '--store', 'nope']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^keyway: STORE_NOT_FOUND: No identity store nope\n$/);
  });

  test('install-templates on a tenant without a store says what to do', async () => {
    const run = await keyway(['journeys', 'install-templates', '--tenant', 'acme']);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /the tenant has no identity store; create one first/);
  });
});

test('keys generate-master needs no configuration: exit 0 with a key even when a variable is wrong', async () => {
  const run = await keyway(['keys', 'generate-master'], { PORT: 'eighty' });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^[A-Za-z0-9_-]{43}\n$/);
});
