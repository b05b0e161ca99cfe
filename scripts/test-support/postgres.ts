// A throwaway PostgreSQL cluster for tests (private temp dir, random loopback port, durability off) and for the
// benchmarks (durable, sized as a production deployment on this machine would be).
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { aptGetInstall, canAptInstall } from './chromium.ts';

const execFileAsync = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';
const START_ATTEMPTS = 3; // the free port we pick can be taken before postgres binds it
const READY_POLLS = 100;
const READY_POLL_MS = 100;

// PostgreSQL refuses to run as root, so as root we run its tools as the `postgres` OS user.
const isRoot = process.getuid?.() === 0;

const MB = 2 ** 20;
const megabytes = (bytes: number) => `${Math.round(bytes / MB)}MB`;

/**
 * What a production deployment on this machine would set (the usual sizing guidance, from the machine's memory), for
 * the benchmarks. Durability stays as it ships: fsync, full-page writes and synchronous commit on.
 * - shared_buffers 25 % of memory (at most 8 GB): the default 128 MB holds a fraction of a million users' rows and
 *   indexes, so every lookup of a random user read its pages from the OS cache again;
 * - effective_cache_size 75 % (what the OS caches besides), random_page_cost 1.1 (SSD, no seek penalty): planner hints;
 * - maintenance_work_mem 1/16 of memory (at most 1 GB): VACUUM and index builds after a bulk load;
 * - max_wal_size 4 GB, checkpoint_timeout 15 min: fewer checkpoints, so fewer full-page images of the randomly
 *   touched pages (a credential's counter, a user's row) written into the WAL again after each one;
 * - max_connections 200: two nodes' pools and the tools with room to spare.
 */
export function productionSettings(memoryBytes = totalmem()): string[] {
  return [
    `shared_buffers = ${megabytes(Math.min(Math.max(memoryBytes / 4, 128 * MB), 8192 * MB))}`,
    `effective_cache_size = ${megabytes(Math.max((memoryBytes * 3) / 4, 128 * MB))}`,
    `maintenance_work_mem = ${megabytes(Math.min(Math.max(memoryBytes / 16, 64 * MB), 1024 * MB))}`,
    'random_page_cost = 1.1',
    'max_wal_size = 4GB',
    'checkpoint_timeout = 15min',
    'max_connections = 200',
  ];
}

/**
 * `durable`: keep PostgreSQL's own durability (fsync, full-page writes, synchronous commit) as in production, with
 * production sizing (productionSettings), for benchmarks; tests turn durability off (faster, and a throwaway cluster
 * has nothing to keep).
 */
export async function startThrowawayPostgres(options: { durable?: boolean } = {}): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  const bin = await ensurePostgresBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'keyway-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  if (isRoot) chownSync(dir, osId('-u'), osId('-g'));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Ignore failures: the server may never have started, or may already be gone.
      await runPgTool(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w'], dir).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await runPgTool(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], dir);
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        ...(options.durable ? productionSettings() : ['fsync = off', 'full_page_writes = off', 'synchronous_commit = off']),
      ].join('\n') + '\n',
    );
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      try {
        // The port goes on the command line (pg_ctl passes -o through a shell; a number is safe there).
        await runPgTool(join(bin, 'pg_ctl'), ['start', '-D', data, '-l', log, '-w', '-t', '30', '-o', `-p ${port}`], dir);
      } catch (err) {
        const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '';
        if (attempt < START_ATTEMPTS && serverLog.includes('already in use')) continue;
        throw new Error(`${(err as Error).message}\n--- postgres.log ---\n${serverLog}`, { cause: err });
      }
      const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
      await waitForConnections(adminUrl);
      return { adminUrl, stop };
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function createPostgresTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `keyway_test_${randomBytes(8).toString('hex')}`; // hex: safe as an unquoted identifier
  await withClient(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    // FORCE (PG13+) terminates connections a test forgot to close.
    drop: () =>
      (dropping ??= withClient(adminUrl, async (client) => {
        await client.query(`drop database if exists ${name} with (force)`);
      })),
  };
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensurePostgresBinaries(): Promise<string> {
  let bin = findPostgresBinaries();
  if (!bin && canAptInstall()) {
    await aptGetInstall('postgresql');
    bin = findPostgresBinaries();
  }
  if (!bin) {
    throw new Error(
      `PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in ${PG_ROOT}/<version>/bin. ` +
        'The tests start their own throwaway server: run "sudo apt-get install postgresql".',
    );
  }
  return bin;
}

/** bin dir of the highest installed PostgreSQL version that has all the tools we need. */
function findPostgresBinaries(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  return readdirSync(PG_ROOT)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(PG_ROOT, v, 'bin'))
    .find((bin) => ['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(join(bin, tool))));
}

async function runPgTool(tool: string, args: string[], cwd: string): Promise<void> {
  // cwd is the temp dir because the postgres user may not be able to read the caller's cwd.
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', tool, ...args]] : [tool, args];
  try {
    await execFileAsync(file, argv, { cwd });
  } catch (err) {
    const { stderr, stdout, message } = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr || stdout || message}`, { cause: err });
  }
}

function osId(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// pg_ctl -w already waits for startup; this confirms TCP connections really work before tests begin.
async function waitForConnections(url: string): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await withClient(url, (client) => client.query('select 1'));
      return;
    } catch (err) {
      if (i >= READY_POLLS) {
        throw new Error(`PostgreSQL at ${url} is not accepting connections: ${(err as Error).message}`, { cause: err });
      }
      await sleep(READY_POLL_MS);
    }
  }
}
