// Logs: one line per request; JSON lines when stdout is not a terminal, one short human line per
// event on a terminal (KEYWAY_LOG_FORMAT decides when set). The server runs as a real process.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface, type Interface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { serverBundleState } from '../../src/cli/server-bundle.ts';
import { humanLine, resolveLogFormat } from '../../src/logging/log-output.ts';
import { describeDatabase } from '../../src/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { CLI, startServerProcess, type ServerProcess } from '../support/server-process.ts';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves with the first line (from now on) that matches. */
function nextLine(lines: Interface, matches: (line: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const listener = (line: string) => {
      if (!matches(line)) return;
      lines.off('line', listener);
      resolve(line);
    };
    lines.on('line', listener);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

test('a request line for a person: method, path, status, duration; errors add their message; nothing else is lost', () => {
  const time = new Date(2026, 0, 2, 14, 2, 7).getTime();
  const request = {
    level: 30,
    time,
    reqId: 'r1',
    req: { method: 'GET', url: '/healthz' },
    res: { statusCode: 200 },
    responseTime: 1.44,
    msg: 'request completed',
  };
  assert.equal(humanLine(JSON.stringify(request)), '14:02:07 GET /healthz 200 1.4 ms');
  assert.equal(
    humanLine(JSON.stringify({ ...request, level: 50, res: { statusCode: 500 }, err: { message: 'boom' }, msg: 'request errored' })),
    '14:02:07 ERROR GET /healthz 500 1.4 ms: boom',
  );
  assert.equal(humanLine(JSON.stringify({ level: 40, time, msg: 'slow database', ms: 900, table: 'users' })), '14:02:07 WARN slow database ms=900 table=users');
  assert.equal(
    humanLine(JSON.stringify({ level: 30, time, msg: 'Server listening at http://127.0.0.1:8080' })),
    undefined,
    'the start-up line already says it',
  );
  assert.equal(humanLine('not json'), 'not json');
});

test('auto is human exactly on a terminal; an explicit setting wins', () => {
  assert.equal(resolveLogFormat('auto', true), 'human');
  assert.equal(resolveLogFormat('auto', false), 'json');
  assert.equal(resolveLogFormat('json', true), 'json');
  assert.equal(resolveLogFormat('human', false), 'human');
});

test('the database as a person reads it: the SQLite file, PostgreSQL host and database, never a password', () => {
  assert.equal(describeDatabase(`sqlite:${process.cwd()}/data/keyway.db`), 'SQLite ./data/keyway.db');
  assert.equal(describeDatabase('sqlite:/srv/elsewhere/keyway.db').startsWith('SQLite /srv/elsewhere/keyway.db'), true);
  assert.equal(describeDatabase('postgres://keyway:hunter2@db.internal:5432/keyway'), 'PostgreSQL db.internal:5432/keyway');
});

describe('a server process', () => {
  let testDatabase: TestDatabase;
  before(async () => {
    testDatabase = await createTestDatabase('sqlite');
  });
  after(() => testDatabase.drop());

  test('JSON when stdout is not a terminal: the serving line with URL, database and docs; one line per request', async () => {
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess({ ...testDatabase.env });
      const lines = createInterface({ input: server.child.stdout! });
      const serving = server.stdoutLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === 'keyway is serving')!;
      assert.equal(serving.database, 'sqlite');
      assert.match(String(serving.docs), /^http:\/\/localhost:\d+\/docs$/);
      const ids = ['log-test-request-1', 'log-test-request-2', 'log-test-request-3'];
      await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': ids[0]! } });
      await fetch(`${server.url}/no-such-route`, { headers: { 'x-request-id': ids[1]! } });
      await fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'x-request-id': ids[2]!, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      // Requests are logged as their answers are sent, in order: once a last one is logged, the others are too.
      const last = nextLine(lines, (line) => line.includes('log-test-request-last'));
      await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'log-test-request-last' } });
      await last;
      for (const [index, id] of ids.entries()) {
        const mentions: string[] = server.stdoutLines.filter((line) => line.includes(id));
        assert.equal(mentions.length, 1, `one line for request ${id}: ${mentions.join('\n')}`);
        const entry = JSON.parse(mentions[0]!) as { msg: string; req: { method: string; url: string }; res: { statusCode: number }; responseTime: number };
        assert.equal(entry.msg, 'request completed');
        assert.equal(entry.res.statusCode, [200, 404, 401][index]);
        assert.equal(entry.req.url, ['/healthz', '/no-such-route', '/oauth2/token'][index]);
        assert.equal(typeof entry.responseTime, 'number');
      }
      assert.ok(!server.stdoutLines.some((line) => line.includes('incoming request')));
    } finally {
      if (server) await stop(server.child);
    }
  });

  test('KEYWAY_LOG_FORMAT=human: one start-up sentence (URL, database, docs), then one short line per request', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'serve'], {
      env: { ...process.env, ...testDatabase.env, PORT: String(port), KEYWAY_LOG_FORMAT: 'human', KEYWAY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      const seen: string[] = [];
      lines.on('line', (line) => seen.push(line));
      const serving = await nextLine(lines, (line) => line.includes('is serving'));
      // The server said so when it ran from its sources (the test runner bundles them first, `node --test` does not).
      const fromSources = serverBundleState().fresh
        ? ''
        : ' · started from the sources, the bundle being missing or out of date \\(npm run build:server makes it\\)';
      assert.match(
        serving,
        new RegExp(
          `^\\d\\d:\\d\\d:\\d\\d Keyway \\S+ is serving http://localhost:${port} \\(listening on http://127\\.0\\.0\\.1:${port}\\) · database SQLite \\S+keyway\\.db · API docs http://localhost:${port}/docs${fromSources} · Ctrl\\+C stops it$`,
        ),
      );
      const request = nextLine(lines, (line) => line.includes('/healthz'));
      await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.match(await request, /^\d\d:\d\d:\d\d GET \/healthz 200 \d+\.\d ms$/);
      assert.equal(seen.length, 2, `nothing but the start-up line and the request: ${seen.join('\n')}`);
    } finally {
      await stop(child);
    }
  });

  test('on a terminal (a pseudo-terminal from script(1)) the default is the human format', async () => {
    const port = await freePort();
    const command = [process.execPath, '--disable-warning=ExperimentalWarning', CLI, 'serve'].map((part) => `'${part}'`).join(' ');
    // script runs the command on a pseudo-terminal and copies what it writes to our pipe.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, ...testDatabase.env, PORT: String(port), KEYWAY_LOG_LEVEL: 'info' },
      // (script reports its own end on stderr: not part of what is tested)
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      const first = await nextLine(lines, (line) => line.trim() !== '');
      assert.match(first, new RegExp(`Keyway \\S+ is serving http://localhost:${port} .* · API docs http://localhost:${port}/docs`));
      assert.ok(!first.trimStart().startsWith('{'), 'not JSON');
    } finally {
      // The whole group: script and the server it runs.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  });
});
