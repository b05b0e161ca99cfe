// `npm run bench`: Keyway's sign-in and sign-up against SimpleWebAuthn's own example server (bench/peer/, MIT), side
// by side, by the method of the performance harness: each server its own process pinned to core 0 (taskset), the
// load generator (bench/load.ts) pinned to core 1, the same Node, the same clients, a closed loop after a warm-up.
// Black-box over HTTP on 127.0.0.1; every run is bounded in time and count. Compare ratios, not absolute rates.
//
//   npm run bench                                   sign-in and sign-up, Keyway (SQLite file) vs the example (~2 min)
//   npm run bench -- --clients 16 --seconds 20      longer runs
//   npm run bench -- --rate 300                     open loop: 300 ceremonies/s started; p50/p99, failures, 429/503
//   npm run bench -- --latency                      also Keyway's sign-in in open loop at 50 % of its closed-loop peak,
//                                                   the example's at 50 % of its own, the generator's floor, 2× peak
//   npm run bench -- --database postgres://…/empty  Keyway on that (empty) PostgreSQL database instead of SQLite
//   npm run bench -- --seed-users 1000000           data set: sign-in at 1 k users vs 1 M users (+10 audit rows
//                                                   each) on SQLite and PostgreSQL, the time seeding took and
//                                                   Keyway's RSS after the runs (--engines postgres: one of them;
//                                                   --rounds N alternations)
//   npm run bench -- --two-nodes                    PostgreSQL: two Keyway nodes on one database vs one node
//   npm run bench -- --api                          the in-process admin API / passkey / journey bench (bench/api.ts)
// PostgreSQL runs use --database if given, else a throwaway local cluster with production durability settings.
// PEER_TMP=/dev/shm (or --tmp) puts the databases on tmpfs: CPU cost without fsync cost.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startThrowawayPostgres } from '../scripts/test-support/postgres.ts';
import { seedDataSet } from './seed.ts';
import { KEYWAY_BIN, serverNodeFlags } from './support/server-node-flags.ts';

const root = path.resolve(import.meta.dirname, '..');
// --api hands every other argument to the in-process bench, which parses its own.
if (process.argv.includes('--api')) {
  const args = process.argv.slice(2).filter((arg) => arg !== '--api');
  const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(root, 'bench/api.ts'), ...args], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
const { values: o } = parseArgs({
  options: {
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '0' },
    database: { type: 'string' },
    tmp: { type: 'string', default: process.env.PEER_TMP ?? '/tmp' },
    'seed-users': { type: 'string' },
    'audit-per-user': { type: 'string', default: '10' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    rounds: { type: 'string', default: '5' },
    'two-nodes': { type: 'boolean', default: false },
    'no-peer': { type: 'boolean', default: false },
    latency: { type: 'boolean', default: false },
  },
});

const bounded = (value: unknown, max: number, name: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new Error(`--${name} must be 0..${max}`);
  return n;
};
const CLIENTS = bounded(o.clients, 256, 'clients');
const SECONDS = bounded(o.seconds, 600, 'seconds');
const WARMUP = bounded(o.warmup, 60, 'warmup');
const RATE = bounded(o.rate, 100_000, 'rate');
const SEED_USERS = o['seed-users'] === undefined ? undefined : bounded(o['seed-users'], 10_000_000, 'seed-users');
const AUDIT_PER_USER = bounded(o['audit-per-user'], 100, 'audit-per-user');
const ENGINES = (o.engines as string).split(',').map((engine) => {
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('--engines: sqlite, postgres or both (comma-separated)');
  return engine;
});
const ROUNDS = Math.max(1, bounded(o.rounds, 20, 'rounds'));
const BASELINE_USERS = 1000;
// A ceremony count no run gets near, so every loop is bounded by count as well as by time.
const MAX_CEREMONIES = 10_000_000;
const NODE = process.execPath;
const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
// Keyway's server runs with the flags `npx keyway serve` gives it (bin/keyway.js' first line).
const SERVER_NODE_FLAGS = serverNodeFlags();

// ── cores: servers on core 0, the load generator on core 1 (as ../shared/perf/run.sh); unpinned without taskset ──
const CORES = availableParallelism();
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pinned = (cores: string, command: string[]) => (hasTaskset && CORES >= 2 ? ['taskset', '-c', cores, ...command] : command);

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp() {
  for (const child of children) child.kill('SIGTERM');
  for (const cleanup of cleanups.reverse()) await cleanup();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

function start(command: string[], env: Record<string, string>, cwd: string, log: string[]): ChildProcess {
  const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 50) log.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitUp(url: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${log.join('')}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer from ${url} in 60 s: ${log.join('')}`);
}

interface LoadResult {
  target: string;
  rate: number;
  mode: string;
  users: number;
  ok: number;
  failed: number;
  perSecond: number;
  p50: number | null;
  p99: number | null;
  statuses: Record<string, number>;
  okP50: number | null;
  okP99: number | null;
  shedPerSecond: number;
  shedP50: number | null;
  shedP99: number | null;
  overload: number;
}

/** Runs bench/load.ts on core 1 and answers its JSON line. */
async function load(args: Record<string, string | number>): Promise<LoadResult> {
  const argv = Object.entries({ clients: CLIENTS, seconds: SECONDS, warmup: WARMUP, rate: RATE, max: MAX_CEREMONIES, ...args }).flatMap(([k, v]) => [
    `--${k}`,
    String(v),
  ]);
  const log: string[] = [];
  const child = start(pinned(CORES >= 4 ? `2-${CORES - 1}` : '1', [NODE, ...NODE_FLAGS, path.join(root, 'bench/load.ts'), ...argv]), {}, root, log);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = log
    .join('')
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`load generator failed (${code}): ${log.join('')}`);
  return JSON.parse(line) as LoadResult;
}

// ── Keyway ──
interface KeywayNode {
  base: string;
  child: ChildProcess;
  log: string[];
}
interface Keyway {
  nodes: KeywayNode[];
  origin: string;
  env: Record<string, string>;
  path: string;
  tenant: string;
}
let nextPort = 18_700 + Math.floor(Math.random() * 500);

async function startKeywayNode(env: Record<string, string>, cores: string): Promise<KeywayNode> {
  const port = nextPort++;
  const log: string[] = [];
  const child = start(pinned(cores, [NODE, ...SERVER_NODE_FLAGS, KEYWAY_BIN, 'serve']), { ...env, PORT: String(port) }, root, log);
  const base = `http://127.0.0.1:${port}`;
  await waitUp(`${base}/healthz`, child, log);
  return { base, child, log };
}

/** Starts Keyway on `databaseUrl` (empty), creates tenant `bench` with a self-service store `bench`. */
async function startKeyway(databaseUrl: string, nodes = 1): Promise<Keyway> {
  const port = nextPort;
  const origin = `http://localhost:${port}`;
  const env: Record<string, string> = {
    KEYWAY_DATABASE_URL: databaseUrl,
    KEYWAY_PUBLIC_URL: origin,
    KEYWAY_LOG_LEVEL: 'warn',
    // Every client is 127.0.0.1: lift the public per-address and per-identifier limits (the limiter still runs).
    KEYWAY_RATE_LIMIT_PER_IP: '1000000',
    KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '1000000',
    ...(databaseUrl.startsWith('sqlite:') ? {} : { KEYWAY_MASTER_KEY: randomBytes(32).toString('base64url') }),
  };
  const first = await startKeywayNode(env, '0');
  const init = spawnSync(NODE, [...SERVER_NODE_FLAGS, KEYWAY_BIN, 'init', '--tenant', 'bench'], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const credentials = JSON.parse(init.stdout.trim().split('\n').at(-1) ?? '{}') as { clientId?: string; clientSecret?: string };
  if (!credentials.clientId) throw new Error(`keyway init failed: ${init.stdout}${init.stderr}`);
  const tokenResponse = await fetch(`${first.base}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const admin = async (method: string, p: string, body: unknown) => {
    const response = await fetch(`${first.base}/api/identity-store${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`bench set-up ${method} ${p} answered ${response.status}: ${await response.text()}`);
  };
  await admin('POST', '/stores', { name: 'bench' });
  await admin('POST', '/stores/bench/passkeys/relyingParties', { id: 'localhost', name: 'Bench', origins: [origin] });
  await admin('POST', '/stores/bench/passkeys/registrationPolicies', { name: 'default' });
  await admin('POST', '/stores/bench/passkeys/authenticationPolicies', { name: 'default' });
  await admin('PATCH', '/stores/bench', {
    selfService: { enabled: true, relyingPartyId: 'localhost', registrationPolicy: 'default', authenticationPolicy: 'default', allowSignUp: true },
  });
  const all = [first];
  for (let n = 1; n < nodes; n++) all.push(await startKeywayNode(env, String(n)));
  return { nodes: all, origin, env, path: '/bench/identity/bench', tenant: 'bench' };
}

/** A process's resident memory in MB (Linux /proc; undefined elsewhere): the Keyway node's, read between the runs. */
function residentMb(child: ChildProcess): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

async function stopKeyway(keyway: Keyway): Promise<void> {
  for (const node of keyway.nodes) await stop(node.child);
}

const keywayLoad = (keyway: Keyway, nodes: KeywayNode[], args: Record<string, string | number>) =>
  load({ target: 'keyway', base: nodes.map((n) => n.base).join(','), origin: keyway.origin, path: keyway.path, ...args });

/** The node's count of requests shed, by reason (`/metrics`, keyway_http_requests_shed_total). */
async function shedByServer(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^keyway_http_requests_shed_total\{reason="(\w+)"\} (\d+)$/gm)) counts[match[1]!] = Number(match[2]);
  return counts;
}

// ── SimpleWebAuthn's example ──
/**
 * The load generator's own ceiling: sign-in and sign-up against bench/support/null-peer.js (answers at once, verifies
 * nothing), pinned like every server. No server can be shown faster than this on this machine, so a ratio to the
 * example above ceiling / example cannot be measured here.
 */
async function ceilingRuns(): Promise<{ signIn: LoadResult; signUp: LoadResult }> {
  const [signIn, signUp] = await nullPeerRuns([{ mode: 'signin' }, { mode: 'signup' }]);
  return { signIn: signIn!, signUp: signUp! };
}

/** Load runs against bench/support/null-peer.js, pinned like every server: what the load generator adds by itself. */
async function nullPeerRuns(runs: Record<string, string | number>[]): Promise<LoadResult[]> {
  const port = nextPort++;
  const log: string[] = [];
  const child = start(pinned('0', [NODE, path.join(root, 'bench/support/null-peer.js')]), { PORT: String(port) }, root, log);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitUp(`${base}/generate-authentication-options`, child, log);
    const results: LoadResult[] = [];
    for (const run of runs) results.push(await load({ target: 'swa', base, origin: `http://localhost:${port}`, ...run }));
    return results;
  } finally {
    await stop(child);
  }
}

/** The example's sign-in and sign-up in closed loop; with `halfPeak`, also its sign-in in open loop at half its own peak (as Keyway's with --latency). */
async function peerRuns(halfPeak: boolean): Promise<{ signIn: LoadResult; signUp: LoadResult; half?: LoadResult }> {
  const peer = path.join(root, 'bench/peer');
  if (!existsSync(path.join(peer, 'node_modules/@simplewebauthn/server'))) {
    console.error('installing the peer’s dependencies (bench/peer, npm ci)…');
    const installed = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: peer, stdio: 'inherit' });
    if (installed.status !== 0) throw new Error('npm ci in bench/peer failed');
  }
  const port = nextPort++;
  const log: string[] = [];
  const child = start(pinned('0', [NODE, ...NODE_FLAGS, 'index.ts']), { PORT: String(port) }, peer, log);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitUp(`${base}/generate-authentication-options`, child, log);
    const common = { target: 'swa', base, origin: `http://localhost:${port}` };
    // Sign-in first: the example keeps every registered credential of its one user in its options.
    const signIn = await load({ ...common, mode: 'signin' });
    const signUp = await load({ ...common, mode: 'signup' });
    if (!halfPeak || signIn.perSecond <= 0) return { signIn, signUp };
    const half = await load({ ...common, mode: 'signin', rate: Math.max(1, Math.round(signIn.perSecond / 2)), clients: Math.max(CLIENTS, 64) });
    return { signIn, signUp, half };
  } finally {
    await stop(child);
  }
}

// ── PostgreSQL for the runs that need it ──
let postgresAdmin: string | undefined;
async function postgresDatabase(): Promise<string> {
  if (o.database && !postgresAdmin) {
    // A given database is used once as it is (it must be empty).
    postgresAdmin = 'given';
    return o.database as string;
  }
  if (!postgresAdmin || postgresAdmin === 'given') {
    console.error('starting a throwaway PostgreSQL (durable settings)…');
    const cluster = await startThrowawayPostgres({ durable: true });
    cleanups.push(() => cluster.stop());
    postgresAdmin = cluster.adminUrl;
  }
  const name = `keyway_bench_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: postgresAdmin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(postgresAdmin);
  url.pathname = `/${name}`;
  return url.toString();
}

// ── output ──
const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '–' : n.toFixed(digits));
const failures = (r: LoadResult) => {
  const s = r.statuses;
  const other = r.failed - (s['429'] ?? 0) - (s['503'] ?? 0);
  return `${r.failed}${r.failed > 0 ? ` (429: ${s['429'] ?? 0}, 503: ${s['503'] ?? 0}, other: ${other})` : ''}${r.overload > 0 ? `, not started (all clients busy): ${r.overload}` : ''}`;
};
const row = (cells: (string | number)[]) => console.log(`| ${cells.join(' | ')} |`);
const header = (cells: string[]) => {
  row(cells);
  row(cells.map(() => '---'));
};
const loopLabel = RATE > 0 ? `open loop, ${RATE}/s started` : `closed loop, ${CLIENTS} clients`;

async function sideBySide(): Promise<void> {
  const dir = mkdtempSync(path.join(o.tmp as string, 'keyway-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = (o.database as string | undefined) ?? `sqlite:${path.join(dir, 'keyway.db')}`;
  if (o.database) postgresAdmin = 'given';
  const keyway = await startKeyway(databaseUrl);
  let k: { signIn: LoadResult; signUp: LoadResult };
  let half: LoadResult | undefined;
  let overPeak: LoadResult | undefined;
  let floor: LoadResult | undefined;
  let serverShed: Record<string, number> = {};
  // Resident memory of the Keyway node after its set-up, after the sign-in run and after the sign-up run.
  const resident: (number | undefined)[] = [residentMb(keyway.nodes[0]!.child)];
  try {
    const signIn = await keywayLoad(keyway, keyway.nodes, { mode: 'signin' });
    resident.push(residentMb(keyway.nodes[0]!.child));
    const signUp = await keywayLoad(keyway, keyway.nodes, { mode: 'signup' });
    resident.push(residentMb(keyway.nodes[0]!.child));
    k = { signIn, signUp };
    // Latency at half the peak: open loop at 50 % of the closed-loop sign-in rate, with clients to spare.
    if (o.latency && k.signIn.perSecond > 0) {
      half = await keywayLoad(keyway, keyway.nodes, { mode: 'signin', rate: Math.max(1, Math.round(k.signIn.perSecond / 2)), clients: Math.max(CLIENTS, 64) });
      // Above peak: twice the closed-loop rate started, with more clients than admission control lets in at once, so
      // the node has to shed what it cannot serve (503 SERVER_BUSY with Retry-After) rather than queue without end.
      const shedBefore = await shedByServer(keyway.nodes[0]!.base);
      overPeak = await keywayLoad(keyway, keyway.nodes, { mode: 'signin', rate: Math.round(k.signIn.perSecond * 2), clients: 400 });
      const shedAfter = await shedByServer(keyway.nodes[0]!.base);
      serverShed = Object.fromEntries(Object.entries(shedAfter).map(([reason, n]) => [reason, n - (shedBefore[reason] ?? 0)]));
    }
  } finally {
    await stopKeyway(keyway);
  }
  // The load generator's own latency at the half-peak rate, against a server that answers at once: the floor under
  // Keyway's figures (its p99 is the generator's pauses, not a server's).
  if (half) [floor] = await nullPeerRuns([{ mode: 'signin', rate: half.rate, clients: Math.max(CLIENTS, 64) }]);
  const engine = databaseUrl.startsWith('sqlite:') ? `SQLite file in ${o.tmp}` : 'PostgreSQL';
  const printResident = () => {
    if (resident.every((mb) => mb !== undefined))
      console.log(
        `\nKeyway resident memory (RSS): ${resident.map((mb, i) => `${['after start and set-up', 'after the sign-in run', 'after the sign-up run'][i]} ${fmt(mb)} MB`).join(', ')}`,
      );
  };
  const spread = (r: LoadResult) => (r.p50 ? (r.p99! / r.p50).toFixed(1) : '–');
  const printLatency = (peerHalf?: LoadResult) => {
    printResident();
    if (!half) return;
    console.log(
      `\nKeyway sign-in, open loop at 50 % of its peak (${half.rate}/s started), ${SECONDS} s: p50 ${fmt(half.p50, 1)} ms, p99 ${fmt(half.p99, 1)} ms, p99/p50 ${spread(half)}, ok ${half.ok}, failed ${failures(half)}`,
    );
    if (peerHalf)
      console.log(
        `the example at 50 % of its own peak (${peerHalf.rate}/s started): p50 ${fmt(peerHalf.p50, 1)} ms, p99 ${fmt(peerHalf.p99, 1)} ms, p99/p50 ${spread(peerHalf)}, failed ${failures(peerHalf)}`,
      );
    if (floor)
      console.log(
        `the load generator alone at Keyway's rate (bench/support/null-peer.js): p50 ${fmt(floor.p50, 1)} ms, p99 ${fmt(floor.p99, 1)} ms, p99/p50 ${spread(floor)}`,
      );
    if (overPeak) {
      console.log(
        `above peak, open loop at twice it (${overPeak.rate}/s started, 400 clients), ${SECONDS} s: admitted ${fmt(overPeak.perSecond)} signed in/s (p50 ${fmt(overPeak.okP50, 1)} ms, p99 ${fmt(overPeak.okP99, 1)} ms), shed ${fmt(overPeak.shedPerSecond)} ceremonies/s with 429/503 (p50 ${fmt(overPeak.shedP50, 1)} ms, p99 ${fmt(overPeak.shedP99, 1)} ms), failed ${failures(overPeak)}`,
      );
      console.log(
        `  the node's own count of requests it shed in that run (keyway_http_requests_shed_total): ${
          Object.entries(serverShed)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ') || 'none'
        }`,
      );
    }
  };
  console.log(
    `\nKeyway (${engine})${o['no-peer'] ? '' : " vs SimpleWebAuthn's example server (express, in memory)"}: ${loopLabel}, ${SECONDS} s after ${WARMUP} s warm-up, server on one core${hasTaskset && CORES >= 2 ? '' : ' (unpinned: no taskset)'}`,
  );
  if (o['no-peer']) {
    header(['ceremony', 'Keyway /s', 'p50 ms', 'p99 ms', 'failed']);
    row(['sign-in (options → finish)', fmt(k.signIn.perSecond), fmt(k.signIn.p50, 1), fmt(k.signIn.p99, 1), failures(k.signIn)]);
    row(['sign-up (begin → finish, none attestation)', fmt(k.signUp.perSecond), fmt(k.signUp.p50, 1), fmt(k.signUp.p99, 1), failures(k.signUp)]);
    printLatency();
    return;
  }
  const s = await peerRuns(half !== undefined);
  const ceiling = await ceilingRuns();
  header([
    'ceremony',
    'Keyway /s',
    'p50 ms',
    'p99 ms',
    'failed',
    'example /s',
    'p50 ms',
    'p99 ms',
    'failed',
    'ratio',
    'ceiling /s',
    'highest ratio measurable',
  ]);
  for (const [name, kr, sr, cr] of [
    ['sign-in (options → finish)', k.signIn, s.signIn, ceiling.signIn],
    ['sign-up (options → none attestation → finish)', k.signUp, s.signUp, ceiling.signUp],
  ] as const) {
    row([
      name,
      fmt(kr.perSecond),
      fmt(kr.p50, 1),
      fmt(kr.p99, 1),
      failures(kr),
      fmt(sr.perSecond),
      fmt(sr.p50, 1),
      fmt(sr.p99, 1),
      failures(sr),
      sr.perSecond > 0 ? (kr.perSecond / sr.perSecond).toFixed(2) : '–',
      fmt(cr.perSecond),
      sr.perSecond > 0 ? (cr.perSecond / sr.perSecond).toFixed(2) : '–',
    ]);
  }
  console.log(
    `\nceiling: the load generator (one core) against a server that answers at once and verifies nothing (bench/support/null-peer.js); no server can be measured faster here, so a ratio to the example above "highest ratio measurable" cannot be shown on this machine.`,
  );
  printLatency(s.half);
}

/** One Keyway node on a fresh database of `engine`, seeded with users [0, users): the node and the seconds seeding took. */
async function seededKeyway(engine: 'sqlite' | 'postgres', users: number, seed: string): Promise<{ keyway: Keyway; seconds: number }> {
  const dir = mkdtempSync(path.join(o.tmp as string, 'keyway-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = engine === 'sqlite' ? `sqlite:${path.join(dir, 'keyway.db')}` : await postgresDatabase();
  const keyway = await startKeyway(databaseUrl);
  cleanups.push(() => stopKeyway(keyway));
  let last = 0;
  const seconds = await seedDataSet(
    { databaseUrl, tenantId: keyway.tenant, storeName: 'bench', rpId: 'localhost', seed, auditPerUser: AUDIT_PER_USER, from: 0, to: users },
    (done) => {
      if (users >= 100_000 && done - last >= users / 10) {
        last = done;
        console.error(`  ${engine}: ${done} users seeded`);
      }
    },
  );
  return { keyway, seconds };
}

interface WalUse {
  bytes: number;
  fpi: number;
}

/**
 * Runs `work` and, on PostgreSQL, answers the WAL the cluster wrote meanwhile (pg_stat_wal: bytes and full-page
 * images). Only the node under load writes then, so it is that run's WAL.
 */
async function withWal(engine: 'sqlite' | 'postgres', keyway: Keyway, work: () => Promise<LoadResult>): Promise<[LoadResult, WalUse | undefined]> {
  if (engine !== 'postgres') return [await work(), undefined];
  const client = new pg.Client({ connectionString: keyway.env.KEYWAY_DATABASE_URL });
  await client.connect();
  try {
    const read = async () => {
      const { rows } = await client.query<{ bytes: string; fpi: string }>('select wal_bytes::text as bytes, wal_fpi::text as fpi from pg_stat_wal');
      return { bytes: Number(rows[0]!.bytes), fpi: Number(rows[0]!.fpi) };
    };
    const before = await read();
    const result = await work();
    const after = await read();
    return [result, { bytes: after.bytes - before.bytes, fpi: after.fpi - before.fpi }];
  } finally {
    await client.end();
  }
}

const median = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Sign-in at 1 k users vs `users`, per engine: two databases side by side (one node each, both on the server core,
 * only one loaded at a time), measured in alternation, small then big, ROUNDS times; the ratio is the median of the
 * rounds' ratios. On a shared machine one run can be slowed by something else: a pair run back to back sees nearly the
 * same machine, and the median drops the pair that did not.
 */
async function withData(users: number): Promise<void> {
  if (o.database && ENGINES.includes('postgres'))
    throw new Error('--seed-users compares two databases on one cluster: it runs on a throwaway local cluster (leave out --database)');
  const results: string[][] = [];
  const walLines: string[] = [];
  for (const engine of ENGINES) {
    const seed = `bench-${randomBytes(4).toString('hex')}`;
    const small = await seededKeyway(engine, Math.min(BASELINE_USERS, users), seed);
    const big = await seededKeyway(engine, users, seed);
    const runs: { small: LoadResult[]; big: LoadResult[] } = { small: [], big: [] };
    // The machine's 1-minute load average as each round starts: what else was running shows here.
    const loads: number[] = [];
    const wal: { small: (WalUse | undefined)[]; big: (WalUse | undefined)[] } = { small: [], big: [] };
    // Each node's resident memory after its last run (the big one at `users`).
    const resident: { small?: number | undefined; big?: number | undefined } = {};
    try {
      for (let round = 0; round < ROUNDS; round++) {
        loads.push(loadavg()[0]!);
        const [smallRun, smallWal] = await withWal(engine, small.keyway, () =>
          keywayLoad(small.keyway, small.keyway.nodes, { mode: 'signin', seed, users: Math.min(BASELINE_USERS, users) }),
        );
        runs.small.push(smallRun);
        wal.small.push(smallWal);
        const [bigRun, bigWal] = await withWal(engine, big.keyway, () => keywayLoad(big.keyway, big.keyway.nodes, { mode: 'signin', seed, users }));
        runs.big.push(bigRun);
        wal.big.push(bigWal);
      }
      resident.small = residentMb(small.keyway.nodes[0]!.child);
      resident.big = residentMb(big.keyway.nodes[0]!.child);
    } finally {
      await stopKeyway(small.keyway);
      await stopKeyway(big.keyway);
    }
    const rates = (list: LoadResult[]) => list.map((r) => fmt(r.perSecond)).join(', ');
    const p = (list: LoadResult[], key: 'p50' | 'p99') => fmt(median(list.map((r) => r[key] ?? Number.NaN)), 1);
    const failed = (list: LoadResult[]) => list.reduce((sum, r) => sum + r.failed, 0);
    const smallRate = median(runs.small.map((r) => r.perSecond));
    const bigRate = median(runs.big.map((r) => r.perSecond));
    // Each round's pair ran back to back, so its ratio is the least disturbed by other work on the machine.
    const ratios = runs.big.map((r, i) => (runs.small[i]!.perSecond > 0 ? r.perSecond / runs.small[i]!.perSecond : 0));
    if (engine === 'postgres') {
      const perSignIn = (list: (WalUse | undefined)[], measured: LoadResult[]) => {
        const total = list.reduce<WalUse>((sum, w) => ({ bytes: sum.bytes + (w?.bytes ?? 0), fpi: sum.fpi + (w?.fpi ?? 0) }), { bytes: 0, fpi: 0 });
        // The load generator's count of finished sign-ins excludes its warm-up; the WAL counts include it: an upper bound.
        const n = measured.reduce((sum, r) => sum + r.ok, 0);
        return n > 0 ? `${fmt(total.bytes / n / 1024, 1)} KB WAL, ${fmt(total.fpi / n, 2)} full-page images` : '–';
      };
      walLines.push(
        `\nPostgreSQL WAL per sign-in (warm-up included): ${BASELINE_USERS} users ${perSignIn(wal.small, runs.small)}; ${users} users ${perSignIn(wal.big, runs.big)}`,
      );
    }
    results.push([
      engine,
      `${fmt(smallRate)} (${rates(runs.small)})`,
      `${p(runs.small, 'p50')} / ${p(runs.small, 'p99')}`,
      String(failed(runs.small)),
      `${fmt(bigRate)} (${rates(runs.big)})`,
      `${p(runs.big, 'p50')} / ${p(runs.big, 'p99')}`,
      String(failed(runs.big)),
      `${(median(ratios) * 100).toFixed(0)} % (${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}; load ${loads.map((l) => l.toFixed(1)).join(', ')})`,
      `${big.seconds.toFixed(0)} s (${((big.seconds / users) * 1_000_000).toFixed(0)} s per million)`,
      `${fmt(resident.small)} / ${fmt(resident.big)} MB`,
    ]);
  }
  console.log(
    `\nSign-in with data (identifier-first, seeded users picked at random; ${AUDIT_PER_USER} audit rows per user): ${loopLabel}, ${SECONDS} s after ${WARMUP} s warm-up, Keyway on one core; ${ROUNDS} rounds alternating the two databases: median rate (each run); big / small is the median of the rounds' ratios (each round's, the load average as it began)`,
  );
  header([
    'database',
    `${BASELINE_USERS} users /s`,
    'p50 / p99 ms',
    'failed',
    `${users} users /s`,
    'p50 / p99 ms',
    'failed',
    'big / small',
    `seeding ${users}`,
    'Keyway RSS after small / big',
  ]);
  for (const r of results) row(r);
  for (const line of walLines) console.log(line);
}

async function twoNodes(): Promise<void> {
  const databaseUrl = await postgresDatabase();
  const keyway = await startKeyway(databaseUrl, 2);
  let one: LoadResult;
  let two: LoadResult;
  try {
    one = await keywayLoad(keyway, keyway.nodes.slice(0, 1), { mode: 'signin' });
    two = await keywayLoad(keyway, keyway.nodes, { mode: 'signin' });
  } finally {
    await stopKeyway(keyway);
  }
  const layout =
    CORES >= 4
      ? 'node 1 on core 0, node 2 on core 1, load generator on cores 2+, PostgreSQL unpinned'
      : hasTaskset && CORES >= 2
        ? 'node 1 on core 0, node 2 and the load generator on core 1, PostgreSQL unpinned'
        : 'unpinned';
  console.log(`\nPostgreSQL, two Keyway nodes on one database (load split between them) vs one node: ${loopLabel}; ${layout}`);
  header(['nodes', 'sign-ins/s', 'p50 ms', 'p99 ms', 'failed', 'vs one node']);
  row(['1', fmt(one.perSecond), fmt(one.p50, 1), fmt(one.p99, 1), failures(one), '1.00']);
  row(['2', fmt(two.perSecond), fmt(two.p50, 1), fmt(two.p99, 1), failures(two), one.perSecond > 0 ? (two.perSecond / one.perSecond).toFixed(2) : '–']);
  if (CORES < 4)
    console.log(
      `\nCaveat: this machine has ${CORES} cores. The one-node run already keeps them busy (the node, PostgreSQL and the load generator), so a second node only takes CPU time from the others: the ratio above says what this machine can do, not how Keyway scales. Measuring the goal (two nodes ≥ 1.6× one) needs ≥ 4 cores: a core per node, the rest for PostgreSQL and the load generator.`,
    );
}

console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${CORES} cores, ${Math.round(totalmem() / 2 ** 30)} GB; Node ${process.version}; databases in ${o.tmp}`,
);
try {
  if (SEED_USERS !== undefined) await withData(SEED_USERS);
  else if (o['two-nodes']) await twoNodes();
  else await sideBySide();
} finally {
  await cleanUp();
}
