// Load generator of `npm run bench` (run by bench/run.ts on its own core): drives sign-in or sign-up ceremonies over
// HTTP the way a browser does, against Keyway's self-service API or SimpleWebAuthn's example server, with the bench's
// own authenticator. Closed loop (each client starts its next ceremony when the last one ends) after a warm-up, or
// open loop (--rate N ceremonies started per second). Bounded: --seconds of measuring plus the warm-up, and at most
// --max ceremonies. Prints one JSON line.
//
//   node bench/load.ts --target keyway --base http://127.0.0.1:18510 --origin http://localhost:18510 \
//        --path /bench/identity/bench --mode signin --clients 16 --seconds 20 [--rate 300] [--seed s --users 1000000]
// Against the example: --target swa (no --path).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { assertion, attestation, newCredential, randomKey, seededKey, seededUser, type BenchKey, type HeldCredential } from './authenticator.ts';

const { values: a } = parseArgs({
  options: {
    target: { type: 'string' },
    base: { type: 'string' },
    origin: { type: 'string' },
    path: { type: 'string', default: '' },
    mode: { type: 'string', default: 'signin' },
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    rate: { type: 'string', default: '0' },
    max: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    users: { type: 'string', default: '0' },
  },
});
const CLIENTS = Number(a.clients);
const SECONDS = Number(a.seconds);
const WARMUP = Number(a.warmup);
const RATE = Number(a.rate);
const MAX = Number(a.max);
const SEEDED_USERS = Number(a.users);
const ORIGIN = a.origin!;
// Several bases (comma-separated): client n talks to base n mod count (nodes sharing one database).
const BASES = a.base!.split(',');
if (a.mode !== 'signin' && a.mode !== 'signup') throw new Error('--mode signin|signup');
if (a.seed !== undefined && (a.mode !== 'signin' || SEEDED_USERS < CLIENTS)) throw new Error('--seed needs --mode signin and --users ≥ --clients');
const RUN = randomBytes(4).toString('hex');

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the servers' JSON, read field by field
  json: any;
}

/** A browser: its own cookie jar and the credentials its authenticator holds. */
class Client {
  readonly n: number;
  cookies = new Map<string, string>();
  key: BenchKey = randomKey();
  credential: HeldCredential | undefined;
  ceremonies = 0;
  constructor(n: number) {
    this.n = n;
  }
  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { origin: ORIGIN };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(BASES[this.n % BASES.length]! + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  }
}

/** One ceremony's outcome: true, or the HTTP status that ended it (0: the answer was not what a browser needs). */
type Outcome = true | number;
const fail = (answer: Answer): Outcome => (answer.status >= 400 ? answer.status : 0);

const keyCache = new Map<number, BenchKey>();
function seededCredential(i: number): { identifier: string; credential: HeldCredential } {
  const user = seededUser(a.seed!, i);
  let key = keyCache.get(user.keyIndex);
  if (!key) keyCache.set(user.keyIndex, (key = seededKey(a.seed!, user.keyIndex)));
  return {
    identifier: user.identifier,
    credential: { id: Buffer.from(user.credentialId, 'base64url'), key, userHandle: user.userHandle, counter: 0, counts: false },
  };
}
// Seeded sign-ins: client c uses users ≡ c (mod clients), in a scattered order, so no credential is used by two
// clients at once and reads spread over the whole table.
function nextSeededUser(c: Client): number {
  const span = Math.floor(SEEDED_USERS / CLIENTS);
  const k = (c.ceremonies * 2_654_435_761 + c.n * 40_503) % span;
  return c.n + CLIENTS * k;
}

const targets = {
  keyway: {
    async signUp(c: Client, identifier: string): Promise<Outcome> {
      const begin = await c.call('POST', `${a.path}/register/webauthn/begin`, { identifier });
      if (begin.status !== 200) return fail(begin);
      c.credential = newCredential(c.key);
      const finish = await c.call('POST', `${a.path}/register/webauthn/finish`, attestation(c.credential, begin.json.publicKey, ORIGIN));
      return finish.status === 201 ? true : fail(finish);
    },
    async signIn(c: Client, identifier: string, credential: HeldCredential): Promise<Outcome> {
      const options = await c.call('POST', `${a.path}/login/webauthn/options`, { identifier });
      if (options.status !== 200) return fail(options);
      const offered = (options.json.publicKey.allowCredentials ?? []) as { id: string }[];
      if (!offered.some((d) => d.id === credential.id.toString('base64url'))) return 0;
      const finish = await c.call('POST', `${a.path}/login/webauthn/finish`, assertion(credential, options.json.publicKey, ORIGIN));
      return finish.status === 200 && typeof finish.json?.idToken === 'string' ? true : fail(finish);
    },
  },
  swa: {
    // The example has one hard-coded user; a client registers its one credential ID again and again (verified in
    // full each time, stored once), so the example's excludeCredentials stays as short as in sign-in.
    async signUp(c: Client): Promise<Outcome> {
      const options = await c.call('GET', '/generate-registration-options');
      if (options.status !== 200) return fail(options);
      c.credential ??= newCredential(c.key);
      const verified = await c.call('POST', '/verify-registration', attestation(c.credential, options.json, ORIGIN));
      return verified.json?.verified === true ? true : fail(verified);
    },
    async signIn(c: Client, _identifier: string, credential: HeldCredential): Promise<Outcome> {
      const options = await c.call('GET', '/generate-authentication-options');
      if (options.status !== 200) return fail(options);
      const verified = await c.call('POST', '/verify-authentication', assertion(credential, options.json, ORIGIN));
      return verified.json?.verified === true ? true : fail(verified);
    },
  },
};
const target = targets[a.target as keyof typeof targets];
if (!target) throw new Error('--target keyway|swa');

const clients = Array.from({ length: CLIENTS }, (_, n) => new Client(n));
const identifierOf = (c: Client) => `bench-${RUN}-${c.n}`;

// Sign-in without a seeded data set: each client first signs up once (its user and passkey).
if (a.mode === 'signin' && a.seed === undefined) {
  for (const c of clients) {
    const outcome = await target.signUp(c, identifierOf(c));
    if (outcome !== true) throw new Error(`set-up sign-up of client ${c.n} answered ${outcome}`);
  }
}

async function ceremony(c: Client): Promise<Outcome> {
  c.ceremonies++;
  if (a.mode === 'signup') {
    c.cookies.clear(); // every sign-up is a new browser
    return target.signUp(c, `${identifierOf(c)}-${c.ceremonies}`);
  }
  if (a.seed !== undefined) {
    const { identifier, credential } = seededCredential(nextSeededUser(c));
    c.cookies.clear();
    return target.signIn(c, identifier, credential);
  }
  return target.signIn(c, identifierOf(c), c.credential!);
}

const latencies: number[] = [];
// Split by outcome: the ceremonies served to the end, and those the server refused (429/503) — a refusal is meant to
// be quick, and its latency must not hide or flatter the admitted ones'.
const admittedLatencies: number[] = [];
const refusedLatencies: number[] = [];
const statuses = new Map<number, number>();
let ok = 0;
let failed = 0;
let overload = 0;
let started = 0;
let measuring = false;
let stop = false;

async function one(c: Client): Promise<void> {
  started++;
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    outcome = await ceremony(c);
  } catch {
    outcome = -1; // no answer (connection refused or reset)
  }
  if (!measuring) return;
  const elapsed = performance.now() - t0;
  latencies.push(elapsed);
  if (outcome === true) {
    ok++;
    admittedLatencies.push(elapsed);
  } else {
    if (outcome === 429 || outcome === 503) refusedLatencies.push(elapsed);
    failed++;
    statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
  }
}

async function closedLoop(c: Client): Promise<void> {
  while (!stop && started < MAX) await one(c);
}

/** Open loop: a ceremony every 1/RATE s on an idle client; with none idle the server is behind (counted, not sent). */
async function openLoop(): Promise<void> {
  const idle = [...clients];
  const interval = 1000 / RATE;
  let next = performance.now();
  const running = new Set<Promise<void>>();
  while (!stop && started < MAX) {
    const now = performance.now();
    if (now < next) {
      await new Promise((resolve) => setTimeout(resolve, next - now));
      continue;
    }
    next += interval;
    const c = idle.pop();
    if (!c) {
      if (measuring) overload++;
      continue;
    }
    const p: Promise<void> = one(c).then(() => {
      idle.push(c);
      running.delete(p);
    });
    running.add(p);
  }
  await Promise.all(running);
}

const loops = RATE > 0 ? [openLoop()] : clients.map(closedLoop);
await new Promise((resolve) => setTimeout(resolve, WARMUP * 1000));
measuring = true;
const t0 = performance.now();
await Promise.race([new Promise((resolve) => setTimeout(resolve, SECONDS * 1000)), Promise.all(loops)]);
measuring = false;
const seconds = (performance.now() - t0) / 1000;
stop = true;
await Promise.all(loops);

const percentile = (list: number[], p: number) => {
  list.sort((x, y) => x - y);
  return list.length > 0 ? +list[Math.min(list.length - 1, Math.floor(list.length * p))]!.toFixed(2) : null;
};
const pct = (p: number) => percentile(latencies, p);
console.log(
  JSON.stringify({
    target: a.target,
    mode: a.mode,
    clients: CLIENTS,
    rate: RATE,
    users: a.seed === undefined ? CLIENTS : SEEDED_USERS,
    seconds: +seconds.toFixed(1),
    ok,
    failed,
    perSecond: +(ok / seconds).toFixed(1),
    p50: pct(0.5),
    p99: pct(0.99),
    // Failures by status: 429 and 503 are the server shedding load; 0 a wrong answer; -1 no answer.
    statuses: Object.fromEntries(statuses),
    // Ceremonies served to the end (ok) and refused with 429/503 (shed): their own rates and latencies.
    okP50: percentile(admittedLatencies, 0.5),
    okP99: percentile(admittedLatencies, 0.99),
    shedPerSecond: +(refusedLatencies.length / seconds).toFixed(1),
    shedP50: percentile(refusedLatencies, 0.5),
    shedP99: percentile(refusedLatencies, 0.99),
    overload,
  }),
);
