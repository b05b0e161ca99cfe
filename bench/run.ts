// Benchmarks (not tests): throughput and latency of Keyway's hot paths on loopback.
// Bounded in count and time; stops by itself. Usage: npm run bench [-- --requests 4000 --concurrency 16]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../packages/server/src/config/config.ts';
import { buildApp } from '../packages/server/src/http/app.ts';
import { createServices } from '../packages/server/src/services.ts';
import { systemClock } from '../packages/server/src/shared/clock.ts';
import { openDatabase } from '../packages/server/src/storage/database.ts';
import { migrateToLatest } from '../packages/server/src/storage/migrate.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '16' }, database: { type: 'string' } } });
const REQUESTS = Math.min(Number(values.requests), 50_000);
const CONCURRENCY = Math.min(Number(values.concurrency), 128);
const DEADLINE_MS = 60_000;

interface Result {
  name: string;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(name: string, count: number, call: (i: number) => Promise<number>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count && performance.now() - started < DEADLINE_MS) {
      const i = next++;
      const t0 = performance.now();
      const status = await call(i);
      latencies.push(performance.now() - t0);
      if (status >= 400) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { name, requests: latencies.length, seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

const dir = mkdtempSync(path.join(tmpdir(), 'keyway-bench-'));
const config = loadConfig({ PORT: '0', KEYWAY_LOG_LEVEL: 'silent', KEYWAY_DATABASE_URL: values.database ?? `sqlite:${path.join(dir, 'bench.db')}` });
const database = openDatabase(config.databaseUrl);
await migrateToLatest(database);
const services = createServices({ config, database, clock: systemClock });
const app = await buildApp({ config, database, services, logger: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });
try {
  const tenant = `bench-${Date.now().toString(36)}`;
  const client = await services.tenancy.initTenant(tenant);
  const { access_token: token } = (await services.tenancy.issueToken(client.clientId, client.clientSecret, undefined));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  await fetch(`${base}/api/identity-store/stores`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench' }) });

  const results: Result[] = [];
  results.push(await measure('POST users (create, audited, durable commit)', REQUESTS, async (i) => {
    const response = await fetch(`${base}/api/identity-store/stores/bench/users`, { method: 'POST', headers, body: JSON.stringify({ userKey: `u${i}`, externalId: `ext-${i}`, email: `u${i}@example.com` }) });
    await response.arrayBuffer();
    return response.status;
  }));
  results.push(await measure('GET user by externalId (token check + indexed read)', REQUESTS, async (i) => {
    const response = await fetch(`${base}/api/identity-store/stores/bench/users/ext-${i % REQUESTS}/ext`, { headers });
    await response.arrayBuffer();
    return response.status;
  }));
  results.push(await measure('GET users?email= (filtered list)', REQUESTS, async (i) => {
    const response = await fetch(`${base}/api/identity-store/stores/bench/users?email=u${i % REQUESTS}@example.com`, { headers });
    await response.arrayBuffer();
    return response.status;
  }));
  results.push(await measure('GET /healthz (framework floor)', REQUESTS, async () => {
    const response = await fetch(`${base}/healthz`);
    await response.arrayBuffer();
    return response.status;
  }));

  console.log(`Keyway bench on ${database.dialect}, ${CONCURRENCY} concurrent clients, loopback`);
  console.log('| path | requests | req/s | p50 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.requests} | ${(r.requests / r.seconds).toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`);
  }
} finally {
  await app.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
