import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { MASTER_KEY_FORMAT, MasterKey, parseMasterKey } from '../secrets/master-key.ts';
import { didYouMeanSuffix } from '../shared/did-you-mean.ts';
import { isAddressOrRange, type TrustProxy } from './trust-proxy.ts';

/** Validated runtime configuration. Built once at start-up from environment variables (12-factor). */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `human`: one readable line per event (for a terminal); `json`: pino's JSON lines; `auto`: human when stdout is a terminal. */
  logFormat: 'auto' | 'human' | 'json';
  /** Whether request log lines carry the client's address (`remoteAddress`), which is personal data; KEYWAY_LOG_CLIENT_IP. */
  logClientIp: boolean;
  accessTokenTtlSeconds: number;
  bodyLimitBytes: number;
  /**
   * Whom `X-Forwarded-For` is believed from: false (nobody: the socket's address is the client's), a number of proxy
   * hops in front of Keyway, or the addresses/CIDR ranges of the proxies (trust-proxy.ts).
   */
  trustProxy: TrustProxy;
  /** Directory that MDS3 metadata file sources must come from; undefined: only https sources. */
  trustDir: string | undefined;
  /** Self-service begin/options/finish calls allowed per client IP and minute. */
  rateLimitPerIp: number;
  /** Self-service begin/options/finish calls allowed per identifier and client address and minute (ten times this per identifier from all addresses together). */
  rateLimitPerIdentifier: number;
  /** POST /oauth2/token requests allowed per client address and minute. */
  rateLimitTokenPerIp: number;
  /** POST /oauth2/token requests allowed per client id and minute. */
  rateLimitTokenPerClient: number;
  /** Requests a node serves at once; more are answered 503 SERVER_BUSY at once (http/admission-control.ts) */
  maxConcurrentRequests: number;
  /** Queueing delay (ms) above which, standing for 100 ms, a node sheds requests with 503 (http/queue-delay-shedder.ts); 0: never. */
  shedDelayTargetMs: number;
  /** On SIGTERM/SIGINT, how long in-flight requests may take before their connections are cut (server.ts). */
  shutdownGraceSeconds: number;
  /** How long a client may take to send a whole request, headers and body; then 408 and the connection is closed. */
  requestTimeoutSeconds: number;
  /** Days audit events are kept, then the retention sweep deletes them; 0: kept for ever (KEYWAY_AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  /** Where the master key that seals stored secrets comes from (see secrets/master-key-source.ts). */
  masterKey: MasterKeySetting;
  /** The SMTP server e-mails go out through (lost-passkey links, address verification, one-time codes); undefined: no e-mail. */
  smtp: SmtpConfig | undefined;
}

/**
 * An SMTP relay. `security`: `tls` speaks TLS from the first byte (port 465), `starttls` upgrades and refuses a
 * server that cannot (port 587), `none` sends in clear and is only accepted for a relay on this machine.
 */
export interface SmtpConfig {
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  user: string | undefined;
  password: string | undefined;
  /** The From address, e.g. `Keyway <no-reply@example.com>` */
  from: string;
}

/**
 * The master key: given (KEYWAY_MASTER_KEY, or a KEYWAY_MASTER_KEY_FILE read here), or, with an
 * embedded SQLite file and nothing configured, a key file beside the database that is created on
 * first start. An in-memory SQLite database gets a key that lives as long as the process.
 */
export type MasterKeySetting =
  | { source: 'KEYWAY_MASTER_KEY'; key: MasterKey }
  | { source: 'KEYWAY_MASTER_KEY_FILE'; file: string; key: MasterKey }
  | { source: 'default key file'; file: string }
  | { source: 'in-memory database'; key: MasterKey };

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, expected: string, actual: string | undefined) {
    super(`${variable}: expected ${expected}, got ${actual === undefined ? 'nothing' : JSON.stringify(actual)}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** A KEYWAY_* variable Keyway does not read: a typo, told without its value (which may be a secret). */
export class UnknownVariableError extends ConfigError {
  constructor(variable: string, message: string) {
    super(variable, '', undefined);
    this.message = `${variable}: ${message}`;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable Keyway reads; any other KEYWAY_* variable is a typo and stops start-up. */
export const CONFIG_VARIABLES = [
  'PORT',
  'HOST',
  'KEYWAY_PUBLIC_URL',
  'KEYWAY_DATABASE_URL',
  'KEYWAY_LOG_LEVEL',
  'KEYWAY_LOG_FORMAT',
  'KEYWAY_LOG_CLIENT_IP',
  'KEYWAY_ACCESS_TOKEN_TTL',
  'KEYWAY_BODY_LIMIT',
  'KEYWAY_TRUST_PROXY',
  'KEYWAY_TRUST_DIR',
  'KEYWAY_RATE_LIMIT_PER_IP',
  'KEYWAY_RATE_LIMIT_PER_IDENTIFIER',
  'KEYWAY_RATE_LIMIT_TOKEN_PER_IP',
  'KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT',
  'KEYWAY_MAX_CONCURRENT_REQUESTS',
  'KEYWAY_SHED_DELAY_TARGET_MS',
  'KEYWAY_SHUTDOWN_GRACE',
  'KEYWAY_REQUEST_TIMEOUT',
  'KEYWAY_AUDIT_RETENTION_DAYS',
  'KEYWAY_MASTER_KEY',
  'KEYWAY_MASTER_KEY_FILE',
  'KEYWAY_SMTP_HOST',
  'KEYWAY_SMTP_PORT',
  'KEYWAY_SMTP_SECURITY',
  'KEYWAY_SMTP_USER',
  'KEYWAY_SMTP_PASSWORD',
  'KEYWAY_SMTP_FROM',
] as const;

/** The name of the key file created beside an SQLite database when no master key is configured. */
export const DEFAULT_MASTER_KEY_FILE = 'keyway-master.key';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['auto', 'human', 'json'] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

/**
 * KEYWAY_TRUST_PROXY: `false` (default), a hop count (`1`…`10`; `true` is one hop, the single reverse proxy of the usual
 * deployment), or a comma-separated list of the proxies' addresses or CIDR ranges. Never "trust every hop": then the
 * leftmost X-Forwarded-For entry, which the client writes, would be the client IP that rate limits count.
 */
function trustProxy(env: Env, name: string): TrustProxy {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return 1;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops >= 1 && hops <= 10) return hops;
  } else {
    const proxies = raw.split(',').map((entry) => entry.trim());
    if (proxies.every(isAddressOrRange)) return proxies;
  }
  throw new ConfigError(name, '"false", a number of proxy hops from 1 to 10 ("true" is 1), or the proxies\' addresses or CIDR ranges, comma-separated', raw);
}

function databaseUrl(env: Env, cwd: string): string {
  const raw = env.KEYWAY_DATABASE_URL || 'sqlite:./data/keyway.db';
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length);
    if (file === '') throw new ConfigError('KEYWAY_DATABASE_URL', 'sqlite:<file path> or postgres://…', raw);
    return file === ':memory:' ? raw : `sqlite:${path.resolve(cwd, file)}`;
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('KEYWAY_DATABASE_URL', 'a valid postgres:// URL', '<unparseable URL>');
    }
    return raw;
  }
  throw new ConfigError('KEYWAY_DATABASE_URL', 'sqlite:<file path> or postgres://…', raw.replace(/\/\/[^@/]*@/, '//***@'));
}

function publicUrl(env: Env, port: number): string {
  const raw = env.KEYWAY_PUBLIC_URL || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('KEYWAY_PUBLIC_URL', 'an absolute http(s) URL such as https://id.example.com', raw);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    // WebAuthn only works in secure contexts: plain http is only acceptable on localhost.
    throw new ConfigError('KEYWAY_PUBLIC_URL', 'https:// (http:// only for localhost)', raw);
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError('KEYWAY_PUBLIC_URL', 'an origin without path, query or fragment', raw);
  }
  return url.origin;
}

function directory(env: Env, name: string, cwd: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const resolved = path.resolve(cwd, raw);
  try {
    if (statSync(resolved).isDirectory()) return realpathSync(resolved);
  } catch {
    // reported below
  }
  throw new ConfigError(name, 'an existing directory', raw);
}

function masterKey(env: Env, cwd: string, database: string): MasterKeySetting {
  const inline = env.KEYWAY_MASTER_KEY;
  const file = env.KEYWAY_MASTER_KEY_FILE;
  if (inline && file) throw new ConfigError('KEYWAY_MASTER_KEY_FILE', 'to be unset when KEYWAY_MASTER_KEY is set (one master key source)', file);
  if (inline) {
    const key = parseMasterKey(inline);
    // The value is a secret: never echoed, only its length.
    if (!key) throw new ConfigError('KEYWAY_MASTER_KEY', MASTER_KEY_FORMAT, `${inline.length} characters that are not one`);
    return { source: 'KEYWAY_MASTER_KEY', key };
  }
  if (file) {
    const resolved = path.resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(resolved, 'utf8');
    } catch {
      throw new ConfigError('KEYWAY_MASTER_KEY_FILE', 'a readable file holding the master key', resolved);
    }
    const key = parseMasterKey(text);
    if (!key) throw new ConfigError('KEYWAY_MASTER_KEY_FILE', `a file holding ${MASTER_KEY_FORMAT}`, `${resolved} with other content`);
    return { source: 'KEYWAY_MASTER_KEY_FILE', file: resolved, key };
  }
  if (database === 'sqlite::memory:') return { source: 'in-memory database', key: new MasterKey(randomBytes(32)) };
  if (database.startsWith('sqlite:'))
    return { source: 'default key file', file: path.join(path.dirname(database.slice('sqlite:'.length)), DEFAULT_MASTER_KEY_FILE) };
  // A server database has no natural place for a key file, and a key stored in the database would protect nothing.
  throw new ConfigError(
    'KEYWAY_MASTER_KEY',
    `${MASTER_KEY_FORMAT}, or KEYWAY_MASTER_KEY_FILE naming a file that holds one, when KEYWAY_DATABASE_URL is PostgreSQL`,
    undefined,
  );
}

const SMTP_SECURITY = ['tls', 'starttls', 'none'] as const;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

function smtp(env: Env): SmtpConfig | undefined {
  const host = env.KEYWAY_SMTP_HOST;
  if (host === undefined || host === '') {
    const stray = (['KEYWAY_SMTP_PORT', 'KEYWAY_SMTP_SECURITY', 'KEYWAY_SMTP_USER', 'KEYWAY_SMTP_PASSWORD', 'KEYWAY_SMTP_FROM'] as const).find(
      (name) => env[name] !== undefined && env[name] !== '',
    );
    if (stray) throw new ConfigError('KEYWAY_SMTP_HOST', `the SMTP server's host name when ${stray} is set`, host);
    return undefined;
  }
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(host)) throw new ConfigError('KEYWAY_SMTP_HOST', 'a host name or IP address', host);
  const security = env.KEYWAY_SMTP_SECURITY || 'starttls';
  if (!(SMTP_SECURITY as readonly string[]).includes(security)) throw new ConfigError('KEYWAY_SMTP_SECURITY', SMTP_SECURITY.join('|'), security);
  // Links that let someone register a passkey must not cross a network in clear.
  if (security === 'none' && !LOCAL_HOSTS.has(host.replace(/^\[|\]$/g, '')))
    throw new ConfigError('KEYWAY_SMTP_SECURITY', 'tls or starttls for a relay that is not on this machine', security);
  const user = env.KEYWAY_SMTP_USER || undefined;
  const password = env.KEYWAY_SMTP_PASSWORD || undefined;
  if ((user === undefined) !== (password === undefined))
    throw new ConfigError(
      user === undefined ? 'KEYWAY_SMTP_USER' : 'KEYWAY_SMTP_PASSWORD',
      'to be set together with the other (SMTP authentication)',
      undefined,
    );
  const from = env.KEYWAY_SMTP_FROM;
  // A display name and an address, or an address alone; no line breaks (header injection).
  if (!from || !/^(?:[^<>\r\n\0]{0,100}<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/.test(from))
    throw new ConfigError('KEYWAY_SMTP_FROM', 'the From address, e.g. "Example <no-reply@example.com>" or no-reply@example.com', from);
  return {
    host,
    port: integer(env, 'KEYWAY_SMTP_PORT', security === 'tls' ? 465 : 587, 1, 65535),
    security: security as SmtpConfig['security'],
    user,
    password,
    from,
  };
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const unknown = Object.keys(env).filter(
    (name) =>
      name.startsWith('KEYWAY_') &&
      !name.startsWith('KEYWAY_TEST_') &&
      !(CONFIG_VARIABLES as readonly string[]).includes(name) &&
      name !== 'KEYWAY_CHROMIUM_PATH',
  );
  if (unknown.length > 0) {
    const name = unknown[0]!;
    // The variable Keyway reads that the typo is closest to, if any (PORT and HOST as KEYWAY_PORT, …).
    const suggestion =
      didYouMeanSuffix(name, CONFIG_VARIABLES) ||
      didYouMeanSuffix(
        name.slice('KEYWAY_'.length),
        CONFIG_VARIABLES.filter((v) => !v.startsWith('KEYWAY_')),
      );
    throw new UnknownVariableError(name, `unknown variable${suggestion}; Keyway reads ${CONFIG_VARIABLES.filter((v) => v.startsWith('KEYWAY_')).join(', ')}`);
  }
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const logLevel = env.KEYWAY_LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('KEYWAY_LOG_LEVEL', LOG_LEVELS.join('|'), logLevel);
  }
  const logFormat = env.KEYWAY_LOG_FORMAT || 'auto';
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    throw new ConfigError('KEYWAY_LOG_FORMAT', LOG_FORMATS.join('|'), logFormat);
  }
  const logClientIp = env.KEYWAY_LOG_CLIENT_IP || 'true';
  if (logClientIp !== 'true' && logClientIp !== 'false') throw new ConfigError('KEYWAY_LOG_CLIENT_IP', 'true|false', logClientIp);
  const database = databaseUrl(env, cwd);
  return {
    port,
    host: env.HOST || '127.0.0.1',
    publicUrl: publicUrl(env, port),
    databaseUrl: database,
    logLevel: logLevel as Config['logLevel'],
    logFormat: logFormat as Config['logFormat'],
    logClientIp: logClientIp === 'true',
    accessTokenTtlSeconds: integer(env, 'KEYWAY_ACCESS_TOKEN_TTL', 3600, 60, 86_400),
    bodyLimitBytes: integer(env, 'KEYWAY_BODY_LIMIT', 256 * 1024, 1024, 10 * 1024 * 1024),
    trustProxy: trustProxy(env, 'KEYWAY_TRUST_PROXY'),
    trustDir: directory(env, 'KEYWAY_TRUST_DIR', cwd),
    rateLimitPerIp: integer(env, 'KEYWAY_RATE_LIMIT_PER_IP', 30, 1, 1_000_000),
    rateLimitPerIdentifier: integer(env, 'KEYWAY_RATE_LIMIT_PER_IDENTIFIER', 10, 1, 1_000_000),
    rateLimitTokenPerIp: integer(env, 'KEYWAY_RATE_LIMIT_TOKEN_PER_IP', 60, 1, 1_000_000),
    rateLimitTokenPerClient: integer(env, 'KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT', 20, 1, 1_000_000),
    maxConcurrentRequests: integer(env, 'KEYWAY_MAX_CONCURRENT_REQUESTS', 256, 1, 100_000),
    shedDelayTargetMs: integer(env, 'KEYWAY_SHED_DELAY_TARGET_MS', 25, 0, 10_000),
    shutdownGraceSeconds: integer(env, 'KEYWAY_SHUTDOWN_GRACE', 10, 0, 600),
    requestTimeoutSeconds: integer(env, 'KEYWAY_REQUEST_TIMEOUT', 30, 1, 600),
    auditRetentionDays: integer(env, 'KEYWAY_AUDIT_RETENTION_DAYS', 0, 0, 36_500),
    masterKey: masterKey(env, cwd, database),
    smtp: smtp(env),
  };
}
