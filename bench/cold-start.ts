// Benchmark (not a test): cold start and idle memory of the Keyway server.
// Spawns the server N times the way `npx keyway serve` and `npm start` do (bin/keyway.js: a JavaScript entry
// that turns Node's compile cache on before any TypeScript loads) and measures the time from spawn to the
// first 200 from /healthz, polling
// with a tight loop of connection attempts, on an existing SQLite database and on a fresh one
// (migrations and first-start key file included); then the idle resident memory after a full GC.
// Bounded: every start has a deadline and every server is stopped before the next one starts.
//
// Usage: node bench/cold-start.ts [--runs 7] [--npm] [--profile <dir>]
//   --npm      also start through `npm start` (adds npm's own start-up, about 0.3-0.5 s)
//   --profile  also write one --cpu-prof profile per mode to <dir> (summarise with --summary <file>)
//   --summary <file.cpuprofile>  print the top self-time functions and packages of a profile and exit
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KEYWAY_BIN, serverNodeFlags } from './support/server-node-flags.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PROBE = path.join(import.meta.dirname, 'support/idle-memory-probe.js');
const START_DEADLINE_MS = 60_000;
const SETTLE_MS = 15_000;
/** Starts measured after the settling time: a median of three, at most RUNS (each costs SETTLE_MS). */
const SETTLED_RUNS = 3;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, npm: { type: 'boolean', default: false }, profile: { type: 'string' }, summary: { type: 'string' } },
});
const RUNS = Math.max(1, Math.min(Number(values.runs) || 7, 50));

if (values.summary) {
  printProfileSummary(values.summary);
  process.exit(0);
}

/** A free TCP port on loopback (the kernel's choice, released at once for the server to take). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One GET /healthz: its status, or 0 when the connection was refused (not listening yet). */
function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function waitForHealthy(port: number, child: ChildProcess, started: number): Promise<number> {
  let exited = false;
  child.once('exit', () => (exited = true));
  while (performance.now() - started < START_DEADLINE_MS) {
    if (exited) throw new Error(`the server exited before /healthz answered (exit code ${child.exitCode})`);
    if ((await healthz(port)) === 200) return performance.now() - started;
  }
  throw new Error(`no 200 from /healthz within ${START_DEADLINE_MS} ms`);
}

interface Start {
  ms: number;
  /** RSS and heap after a full GC, once the server is idle (only when measured) */
  memory?: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
}

interface StartOptions {
  dataDir: string;
  /** Idle time before the memory is read (lets V8's memory reducer shrink the young generation) */
  settleMs?: number;
  viaNpm: boolean;
  measureMemory: boolean;
  cpuProfileDir?: string;
}

/** Starts the server once, waits for /healthz, optionally reads its idle memory, and stops it. */
async function startOnce({ dataDir, viaNpm, measureMemory, cpuProfileDir, settleMs = 0 }: StartOptions): Promise<Start> {
  const port = await freePort();
  // The flags `npx keyway serve` starts the server with (bin/keyway.js' first line; `npm start` repeats them).
  const nodeFlags = serverNodeFlags();
  if (measureMemory) nodeFlags.push('--expose-gc', `--import=${PROBE}`);
  if (cpuProfileDir) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`);
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    KEYWAY_DATABASE_URL: `sqlite:${path.join(dataDir, 'keyway.db')}`,
    KEYWAY_LOG_LEVEL: 'warn',
    // npm start runs `node … bin/keyway.js serve`: its flags reach that node through NODE_OPTIONS.
    ...(viaNpm ? { NODE_OPTIONS: nodeFlags.join(' ') } : {}),
  };
  const started = performance.now();
  // Its own process group, so that stopping it stops npm's node too; an IPC channel for the probe.
  const stdio = measureMemory ? (['ignore', 'ignore', 'inherit', 'ipc'] as const) : (['ignore', 'ignore', 'inherit'] as const);
  const child = viaNpm
    ? spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: [...stdio], detached: true })
    : spawn(process.execPath, [...nodeFlags, KEYWAY_BIN, 'serve'], { cwd: ROOT, env, stdio: [...stdio], detached: true });
  try {
    const ms = await waitForHealthy(port, child, started);
    let memory: Start['memory'];
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    if (measureMemory) memory = await askIdleMemory(child);
    return { ms, memory };
  } finally {
    await stop(child);
  }
}

/** The probe (support/idle-memory-probe.js) answers a 'memory' message after a full GC. */
function askIdleMemory(child: ChildProcess): Promise<Start['memory']> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the memory probe did not answer')), 10_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as Start['memory']);
    });
    child.send('memory');
  });
}

/** SIGTERM to the whole process group (npm and its node), SIGKILL after 10 s. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function series(label: string, viaNpm: boolean, fresh: boolean, work: string, measureMemory: boolean): Promise<void> {
  const existingDir = mkdtempSync(path.join(work, 'existing-'));
  // The existing database: created, migrated and keyed by one start that is not counted.
  if (!fresh) await startOnce({ dataDir: existingDir, viaNpm: false, measureMemory: false });
  const starts: Start[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = fresh ? mkdtempSync(path.join(work, 'fresh-')) : existingDir;
    starts.push(await startOnce({ dataDir, viaNpm, measureMemory }));
  }
  const times = starts.map((s) => s.ms);
  let line = `${label.padEnd(34)} median ${median(times).toFixed(0).padStart(5)} ms  (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}, n=${RUNS})`;
  const memories = starts.flatMap((s) => (s.memory ? [s.memory] : []));
  if (memories.length > 0)
    line += `  idle RSS after GC median ${mb(median(memories.map((m) => m.rss)))} (heap used ${mb(median(memories.map((m) => m.heapUsed)))}, external ${mb(median(memories.map((m) => m.external)))})`;
  console.log(line);
  if (measureMemory) {
    const settled: NonNullable<Start['memory']>[] = [];
    for (let i = 0; i < Math.min(SETTLED_RUNS, RUNS); i++)
      settled.push((await startOnce({ dataDir: existingDir, viaNpm, measureMemory: true, settleMs: SETTLE_MS })).memory!);
    console.log(
      `  after ${SETTLE_MS / 1000} s idle + GC: RSS median ${mb(median(settled.map((m) => m.rss)))} (min ${mb(Math.min(...settled.map((m) => m.rss)))}, max ${mb(Math.max(...settled.map((m) => m.rss)))}, heap used ${mb(median(settled.map((m) => m.heapUsed)))}, n=${settled.length})`,
    );
  }
  if (values.profile) {
    const dir = path.resolve(values.profile, label.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
    mkdirSync(dir, { recursive: true });
    await startOnce({ dataDir: fresh ? mkdtempSync(path.join(work, 'fresh-')) : existingDir, viaNpm: false, measureMemory: false, cpuProfileDir: dir });
    console.log(`  cpu profile written to ${dir}`);
  }
}

/** Top self time by function and by package of a .cpuprofile (Chrome DevTools format). */
function printProfileSummary(file: string): void {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const packageOf = (url: string) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (match) return match[1]!;
    if (url.includes('/packages/server/src/')) return `keyway:${url.split('/packages/server/src/')[1]!.split('/')[0]}`;
    return url.startsWith('node:') ? 'node (internals)' : url === '' ? '(vm: gc, compile, idle, program)' : url;
  };
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^.*packages\/server\//, '')}:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byPackage.set(packageOf(frame.url), (byPackage.get(packageOf(frame.url)) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  console.log(
    `total sampled ${(total / 1000).toFixed(0)} ms\nby package (self time):\n${top(byPackage, 15)}\nby function (self time):\n${top(byFunction, 15)}`,
  );
}

const work = mkdtempSync(path.join(tmpdir(), 'keyway-cold-start-'));
try {
  await series('existing database, keyway serve', false, false, work, true);
  await series('fresh database, keyway serve', false, true, work, false);
  if (values.npm) await series('existing database, npm start', true, false, work, false);
} finally {
  rmSync(work, { recursive: true, force: true });
}
