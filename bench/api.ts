// In-process benchmark of Keyway's admin API, passkey and journey paths on loopback (`npm run bench -- --api`).
// Bounded in count and time; stops by itself. Usage: npm run bench -- --api [--requests 4000 --concurrency 16 --ceremonies 1000]
// PostgreSQL: npm run bench -- --api --database postgres://user:pass@127.0.0.1:5432/keyway_bench (an empty database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../packages/server/src/config/config.ts';
import { buildApp } from '../packages/server/src/http/app.ts';
import { createServices } from '../packages/server/src/services.ts';
import { systemClock } from '../packages/server/src/shared/clock.ts';
import { openKeywayDatabase } from '../packages/server/src/startup.ts';
import { SoftAuthenticator } from '../packages/server/test/support/soft-authenticator.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    ceremonies: { type: 'string', default: '1000' },
    database: { type: 'string' },
  },
});
const REQUESTS = Math.min(Number(values.requests), 50_000);
const CONCURRENCY = Math.min(Number(values.concurrency), 128);
// Passkey ceremonies and journeys are several round trips each (and sign on the client): fewer of them.
const CEREMONIES = Math.min(Number(values.ceremonies), REQUESTS, 10_000);
const DEADLINE_MS = 60_000;
/** A status no server answers: the call got a 2xx but not the answer it expected. */
const UNEXPECTED = 599;

const RP_ID = 'login.bench.test';
const ORIGIN = `https://${RP_ID}`;

interface Result {
  name: string;
  requests: number;
  seconds: number;
  p50: number;
  p95: number;
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
  return { name, requests: latencies.length, seconds, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), errors };
}

/** An answer: the status and the parsed body (undefined when not JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bench convenience, like the tests' ApiResponse
type Answer = { status: number; body: any };

/** Sends JSON. */
async function send(method: string, url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  return send('POST', url, body, headers);
}

async function setUp(what: string, answer: Promise<Answer>, status: number): Promise<Answer['body']> {
  const { status: got, body } = await answer;
  if (got !== status) throw new Error(`bench set-up (${what}) answered ${got}: ${JSON.stringify(body)}`);
  return body;
}

const dir = mkdtempSync(path.join(tmpdir(), 'keyway-bench-'));
const config = loadConfig({
  PORT: '0',
  KEYWAY_LOG_LEVEL: 'silent',
  // Self-service needs its hosted pages' origin among the relying party's origins.
  KEYWAY_PUBLIC_URL: ORIGIN,
  KEYWAY_DATABASE_URL: values.database ?? `sqlite:${path.join(dir, 'bench.db')}`,
  // Every request comes from 127.0.0.1: lift the public per-address / per-account limits (the limiter's own write stays).
  KEYWAY_RATE_LIMIT_PER_IP: '1000000',
  KEYWAY_RATE_LIMIT_PER_IDENTIFIER: '1000000',
});
const { database, masterKey } = await openKeywayDatabase(config);
const services = createServices({ config, database, clock: systemClock, masterKey });
const app = await buildApp({ config, database, services, logger: false });
const base = await app.listen({ port: 0, host: '127.0.0.1' });
try {
  const tenant = `bench-${Date.now().toString(36)}`;
  const client = await services.tenancy.initTenant(tenant);
  const { access_token: token } = await services.tenancy.issueToken(client.clientId, client.clientSecret, undefined, '127.0.0.1');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const admin = (p: string, body: unknown, status = 201, method = 'POST') => setUp(`${method} ${p}`, send(method, `${base}${p}`, body, headers), status);
  const store = '/api/identity-store/stores/bench';
  await admin('/api/identity-store/stores', { name: 'bench' });

  const results: Result[] = [];
  const userIds: string[] = [];
  const userKeys = new Map<string, string>();
  results.push(
    await measure('POST users (create, audited, durable commit)', REQUESTS, async (i) => {
      const response = await post(`${base}${store}/users`, { userKey: `u${i}`, externalId: `ext-${i}`, email: `u${i}@example.com` }, headers);
      if (response.status === 201) {
        userIds[i] = response.body.id;
        userKeys.set(response.body.id, `u${i}`);
      }
      return response.status;
    }),
  );
  results.push(
    await measure('GET user by externalId (token check + indexed read)', REQUESTS, async (i) => {
      const response = await fetch(`${base}${store}/users/ext-${i % REQUESTS}/ext`, { headers });
      await response.arrayBuffer();
      return response.status;
    }),
  );
  results.push(
    await measure('GET users?email= (filtered list)', REQUESTS, async (i) => {
      const response = await fetch(`${base}${store}/users?email=u${i % REQUESTS}@example.com`, { headers });
      await response.arrayBuffer();
      return response.status;
    }),
  );
  results.push(
    await measure('GET /healthz (framework floor)', REQUESTS, async () => {
      const response = await fetch(`${base}/healthz`);
      await response.arrayBuffer();
      return response.status;
    }),
  );

  // ── Passkeys: one ES256 software authenticator per user, two round trips per ceremony ──
  await admin(`${store}/passkeys/relyingParties`, { id: RP_ID, name: 'Bench', origins: [ORIGIN] });
  await admin(`${store}/passkeys/registrationPolicies`, { name: 'default' });
  await admin(`${store}/passkeys/authenticationPolicies`, { name: 'default' });
  const users = userIds.filter((id) => id !== undefined).slice(0, CEREMONIES);
  const authenticators = new Map<string, SoftAuthenticator>();
  const registered: string[] = [];
  results.push(
    await measure('passkey registration start+complete (ES256, none)', users.length, async (i) => {
      const userId = users[i]!;
      const started = await post(`${base}${store}/users/${userId}/passkeys/relyingParties/${RP_ID}/registrations/default`, {}, headers);
      if (started.status !== 200) return started.status;
      const authenticator = new SoftAuthenticator({ alg: -7 });
      const completed = await post(
        `${base}${store}/users/${userId}/passkeys/registrations/sessions/${started.body.sessionId}`,
        authenticator.register(started.body.clientRequest, { origin: ORIGIN }),
        headers,
      );
      if (completed.status === 201) {
        authenticators.set(userId, authenticator);
        registered.push(userId);
      }
      return completed.status;
    }),
  );
  // Each user signs in in turn; with more users than clients no credential is used twice at once (its counter only rises).
  const signInUsers = registered.length > CONCURRENCY ? registered : [];
  results.push(
    await measure('passkey sign-in start+complete (ES256, by user id, ID token)', signInUsers.length === 0 ? 0 : CEREMONIES, async (i) => {
      const userId = signInUsers[i % signInUsers.length]!;
      const started = await post(`${base}${store}/users/${userId}/passkeys/relyingParties/${RP_ID}/authentications/default`, {}, headers);
      if (started.status !== 200) return started.status;
      const assertion = authenticators.get(userId)!.authenticate(started.body.clientRequest, { origin: ORIGIN });
      const completed = await post(`${base}${store}/users/${userId}/passkeys/authentications/sessions/${started.body.sessionId}`, assertion, headers);
      return completed.status;
    }),
  );

  // ── Self-service sign-in options: a known identifier (has a passkey) against unknown ones (decoys) ──
  await admin(
    store,
    { selfService: { enabled: true, relyingPartyId: RP_ID, registrationPolicy: 'default', authenticationPolicy: 'default', allowSignUp: true } },
    200,
    'PATCH',
  );
  const browser = { origin: ORIGIN };
  // Both answer at least one allowed credential (the user's passkey padded with decoys, or decoys alone).
  const loginOptions = async (identifier: string) => {
    const response = await post(`${base}/${tenant}/identity/bench/login/webauthn/options`, { identifier }, browser);
    if (response.status !== 200) return response.status;
    return response.body.publicKey.allowCredentials.length >= 1 ? 200 : UNEXPECTED;
  };
  if (registered.length > 0) {
    const known = registered.map((id) => userKeys.get(id)!);
    results.push(await measure('self-service login options, known identifier', REQUESTS, (i) => loginOptions(known[i % known.length]!)));
    results.push(await measure('self-service login options, unknown identifier (decoy)', REQUESTS, (i) => loginOptions(`nobody-${i % known.length}`)));
  }

  // ── Journeys: public start of a published form step, one valid submit → condition → end ──
  await admin('/api/custom-forms', {
    name: 'bench',
    form: {
      title: { values: { en: 'Bench' }, type: 'title' },
      components: [
        {
          type: 'text',
          id: 'nickname',
          label: { values: { en: 'Nickname' } },
          index: 0,
          transient: false,
          validate: { required: true, minLength: 3, maxLength: 12 },
        },
      ],
      submitButton: { type: 'submitButton', values: { en: 'Go' } },
    },
  });
  await admin('/api/custom-forms/bench/versions/1/publish', {}, 200);
  await admin('/api/journeys', { journeyId: 'bench' });
  await admin(
    '/api/journeys/bench/draft',
    {
      definition: {
        schemaVersion: 1,
        store: 'bench',
        start: 'profile',
        access: { public: true },
        steps: [
          {
            id: 'profile',
            type: 'trustx.customDataForm',
            parameters: { dataFormName: 'bench', formDataKey: 'answers' },
            outcomes: { success: 'check', cancel: 'refused', timeout: 'refused' },
          },
          {
            id: 'check',
            type: 'general.condition',
            parameters: { condition: '${answers.nickname == "bencher"}' },
            outcomes: { true: 'accepted', false: 'refused' },
          },
          // A success needs an identified user (else JOURNEY_NO_USER); a coded rejection ends the same way without one.
          { id: 'accepted', type: 'general.end', parameters: { result: 'rejection', code: 'BENCH_ACCEPTED' } },
          { id: 'refused', type: 'general.end', parameters: { result: 'rejection', code: 'BENCH_REFUSED' } },
        ],
      },
    },
    200,
    'PUT',
  );
  await admin('/api/journeys/bench/publish', {});
  results.push(
    await measure('journey start (form) + one submit (→ condition → end)', CEREMONIES, async () => {
      const started = await post(`${base}/${tenant}/journeys/bench/start`, {}, browser);
      if (started.status !== 200) return started.status;
      if (started.body.journeyStepId !== 'profile') return UNEXPECTED;
      const submitted = await post(
        `${base}/${tenant}/journeys/sessions/${started.body.sessionId}/submit`,
        { clientResponseOptionId: 'client_input', data: { nickname: 'bencher' } },
        browser,
      );
      if (submitted.status !== 200) return submitted.status;
      return submitted.body.journeyStepId === 'rejection' && submitted.body.data.code === 'BENCH_ACCEPTED' ? 200 : UNEXPECTED;
    }),
  );

  console.log(`Keyway bench on ${database.dialect}, ${CONCURRENCY} concurrent clients, loopback`);
  console.log('| path | ops | ops/s | p50 ms | p95 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.requests} | ${(r.requests / r.seconds).toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
    );
  }
} finally {
  await app.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
