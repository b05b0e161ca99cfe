import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Validated runtime configuration. Built once at start-up from environment variables (12-factor). */
export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  accessTokenTtlSeconds: number;
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** Directory that MDS3 metadata file sources must come from; undefined: only https sources. */
  trustDir: string | undefined;
  /** Self-service begin/options/finish calls allowed per client IP and minute (issue 4). */
  rateLimitPerIp: number;
  /** Self-service begin/options/finish calls allowed per identifier and minute (issue 4). */
  rateLimitPerIdentifier: number;
  /** POST /oauth2/token requests allowed per client address and minute. */
  rateLimitTokenPerIp: number;
  /** POST /oauth2/token requests allowed per client id and minute. */
  rateLimitTokenPerClient: number;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, expected: string, actual: string | undefined) {
    super(`${variable}: expected ${expected}, got ${actual === undefined ? 'nothing' : JSON.stringify(actual)}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable Keyway reads; any other KEYWAY_* variable is a typo and stops start-up. */
export const CONFIG_VARIABLES = [
  'PORT', 'HOST', 'KEYWAY_PUBLIC_URL', 'KEYWAY_DATABASE_URL', 'KEYWAY_LOG_LEVEL',
  'KEYWAY_ACCESS_TOKEN_TTL', 'KEYWAY_BODY_LIMIT', 'KEYWAY_TRUST_PROXY', 'KEYWAY_TRUST_DIR',
  'KEYWAY_RATE_LIMIT_PER_IP', 'KEYWAY_RATE_LIMIT_PER_IDENTIFIER',
  'KEYWAY_RATE_LIMIT_TOKEN_PER_IP', 'KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT',
] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, '"true" or "false"', raw);
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

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith('KEYWAY_') && !name.startsWith('KEYWAY_TEST_') && !(CONFIG_VARIABLES as readonly string[]).includes(name) && name !== 'KEYWAY_CHROMIUM_PATH',
  );
  if (unknown.length > 0) {
    throw new ConfigError(unknown[0]!, `one of ${CONFIG_VARIABLES.filter((v) => v.startsWith('KEYWAY_')).join(', ')}`, env[unknown[0]!]);
  }
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const logLevel = env.KEYWAY_LOG_LEVEL || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('KEYWAY_LOG_LEVEL', LOG_LEVELS.join('|'), logLevel);
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    publicUrl: publicUrl(env, port),
    databaseUrl: databaseUrl(env, cwd),
    logLevel: logLevel as Config['logLevel'],
    accessTokenTtlSeconds: integer(env, 'KEYWAY_ACCESS_TOKEN_TTL', 3600, 60, 86_400),
    bodyLimitBytes: integer(env, 'KEYWAY_BODY_LIMIT', 256 * 1024, 1024, 10 * 1024 * 1024),
    trustProxy: boolean(env, 'KEYWAY_TRUST_PROXY', false),
    trustDir: directory(env, 'KEYWAY_TRUST_DIR', cwd),
    rateLimitPerIp: integer(env, 'KEYWAY_RATE_LIMIT_PER_IP', 30, 1, 1_000_000),
    rateLimitPerIdentifier: integer(env, 'KEYWAY_RATE_LIMIT_PER_IDENTIFIER', 10, 1, 1_000_000),
    rateLimitTokenPerIp: integer(env, 'KEYWAY_RATE_LIMIT_TOKEN_PER_IP', 60, 1, 1_000_000),
    rateLimitTokenPerClient: integer(env, 'KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT', 20, 1, 1_000_000),
  };
}
