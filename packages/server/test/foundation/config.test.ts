import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, UnknownVariableError } from '../../src/config/config.ts';
import { didYouMean } from '../../src/shared/did-you-mean.ts';

const KEY = 'dGVzdC1tYXN0ZXIta2V5LWZvci1rZXl3YXktdGVzdHM';

test('defaults: port 8080, SQLite under ./data, public URL on localhost', () => {
  const config = loadConfig({}, '/srv/keyway');
  assert.equal(config.port, 8080);
  assert.equal(config.databaseUrl, `sqlite:${path.resolve('/srv/keyway', 'data/keyway.db')}`);
  assert.equal(config.publicUrl, 'http://localhost:8080');
  assert.equal(config.accessTokenTtlSeconds, 3600);
  assert.equal(config.rateLimitTokenPerIp, 60);
  assert.equal(config.rateLimitTokenPerClient, 20);
});

test('SMTP: unset by default; STARTTLS on 587 unless told otherwise; a password is never echoed', () => {
  assert.equal(loadConfig({}).smtp, undefined);
  assert.deepEqual(loadConfig({ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'Acme <no-reply@acme.example>' }).smtp, {
    host: 'smtp.example.com',
    port: 587,
    security: 'starttls',
    user: undefined,
    password: undefined,
    from: 'Acme <no-reply@acme.example>',
  });
  const tls = loadConfig({
    KEYWAY_SMTP_HOST: 'smtp.example.com',
    KEYWAY_SMTP_FROM: 'a@example.com',
    KEYWAY_SMTP_SECURITY: 'tls',
    KEYWAY_SMTP_USER: 'u',
    KEYWAY_SMTP_PASSWORD: 'p4ss',
  });
  assert.equal(tls.smtp?.port, 465);
  assert.equal(tls.smtp?.password, 'p4ss');
  assert.equal(
    loadConfig({ KEYWAY_SMTP_HOST: '127.0.0.1', KEYWAY_SMTP_FROM: 'a@example.com', KEYWAY_SMTP_SECURITY: 'none', KEYWAY_SMTP_PORT: '2525' }).smtp?.port,
    2525,
  );
  assert.throws(
    () => loadConfig({ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'a@example.com', KEYWAY_SMTP_PASSWORD: 'hunter2' }),
    (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2'),
  );
});

test('token endpoint limits are configurable', () => {
  const config = loadConfig({ KEYWAY_RATE_LIMIT_TOKEN_PER_IP: '500', KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT: '7' });
  assert.equal(config.rateLimitTokenPerIp, 500);
  assert.equal(config.rateLimitTokenPerClient, 7);
});

test('load shedding: a 25 ms queueing-delay target by default, configurable, 0 turns it off', () => {
  assert.equal(loadConfig({}).shedDelayTargetMs, 25);
  assert.equal(loadConfig({ KEYWAY_SHED_DELAY_TARGET_MS: '80' }).shedDelayTargetMs, 80);
  assert.equal(loadConfig({ KEYWAY_SHED_DELAY_TARGET_MS: '0' }).shedDelayTargetMs, 0);
});

test('audit events: kept for ever by default (0), else for KEYWAY_AUDIT_RETENTION_DAYS days', () => {
  assert.equal(loadConfig({}).auditRetentionDays, 0);
  assert.equal(loadConfig({ KEYWAY_AUDIT_RETENTION_DAYS: '0' }).auditRetentionDays, 0);
  assert.equal(loadConfig({ KEYWAY_AUDIT_RETENTION_DAYS: '1' }).auditRetentionDays, 1);
  assert.equal(loadConfig({ KEYWAY_AUDIT_RETENTION_DAYS: '400' }).auditRetentionDays, 400);
  assert.equal(loadConfig({ KEYWAY_AUDIT_RETENTION_DAYS: '36500' }).auditRetentionDays, 36_500);
});

test('accepts PostgreSQL URLs and https public URLs', () => {
  const config = loadConfig({
    KEYWAY_DATABASE_URL: 'postgres://u:p@db:5432/keyway',
    KEYWAY_PUBLIC_URL: 'https://id.example.com',
    PORT: '9000',
    KEYWAY_MASTER_KEY: KEY,
  });
  assert.equal(config.databaseUrl, 'postgres://u:p@db:5432/keyway');
  assert.equal(config.publicUrl, 'https://id.example.com');
  assert.equal(config.port, 9000);
});

test('KEYWAY_TRUST_PROXY: nobody by default, a hop count (true is one), or the proxies’ addresses; never every hop', () => {
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(loadConfig({ KEYWAY_TRUST_PROXY: 'false' }).trustProxy, false);
  assert.equal(loadConfig({ KEYWAY_TRUST_PROXY: '0' }).trustProxy, false);
  assert.equal(loadConfig({ KEYWAY_TRUST_PROXY: 'true' }).trustProxy, 1);
  assert.equal(loadConfig({ KEYWAY_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(loadConfig({ KEYWAY_TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,fd00::/8' }).trustProxy, ['10.0.0.1', '10.1.0.0/16', 'fd00::/8']);
});

const bad: Array<[Record<string, string>, string, RegExp]> = [
  [{ PORT: 'eighty' }, 'PORT', /integer from 0 to 65535/],
  [{ PORT: '70000' }, 'PORT', /integer/],
  [{ KEYWAY_DATABASE_URL: 'mysql://x' }, 'KEYWAY_DATABASE_URL', /sqlite:<file path> or postgres/],
  [{ KEYWAY_PUBLIC_URL: 'http://id.example.com' }, 'KEYWAY_PUBLIC_URL', /https/],
  [{ KEYWAY_PUBLIC_URL: 'https://id.example.com/app' }, 'KEYWAY_PUBLIC_URL', /without path/],
  [{ KEYWAY_LOG_LEVEL: 'loud' }, 'KEYWAY_LOG_LEVEL', /info/],
  [{ KEYWAY_ACCESS_TOKEN_TTL: '5' }, 'KEYWAY_ACCESS_TOKEN_TTL', /from 60/],
  [{ KEYWAY_TRUST_PROXY: 'yes' }, 'KEYWAY_TRUST_PROXY', /"false", a number of proxy hops from 1 to 10/],
  [{ KEYWAY_TRUST_PROXY: '11' }, 'KEYWAY_TRUST_PROXY', /from 1 to 10/],
  [{ KEYWAY_TRUST_PROXY: '10.0.0.1/33' }, 'KEYWAY_TRUST_PROXY', /CIDR ranges/],
  [{ KEYWAY_TRUST_PROXY: '10.0.0.1, proxy.internal' }, 'KEYWAY_TRUST_PROXY', /CIDR ranges/],
  [{ KEYWAY_RATE_LIMIT_TOKEN_PER_IP: '0' }, 'KEYWAY_RATE_LIMIT_TOKEN_PER_IP', /integer from 1 to 1000000/],
  [{ KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT: 'many' }, 'KEYWAY_RATE_LIMIT_TOKEN_PER_CLIENT', /integer from 1 to 1000000/],
  [{ KEYWAY_LOG_FORMAT: 'pretty' }, 'KEYWAY_LOG_FORMAT', /auto\|human\|json/],
  [{ KEYWAY_LOG_CLIENT_IP: 'no' }, 'KEYWAY_LOG_CLIENT_IP', /true\|false, got "no"/],
  [{ KEYWAY_SHED_DELAY_TARGET_MS: '25ms' }, 'KEYWAY_SHED_DELAY_TARGET_MS', /integer from 0 to 10000/],
  [{ KEYWAY_AUDIT_RETENTION_DAYS: '90d' }, 'KEYWAY_AUDIT_RETENTION_DAYS', /integer from 0 to 36500, got "90d"/],
  [{ KEYWAY_AUDIT_RETENTION_DAYS: '-1' }, 'KEYWAY_AUDIT_RETENTION_DAYS', /integer from 0 to 36500/],
  [{ KEYWAY_AUDIT_RETENTION_DAYS: '36501' }, 'KEYWAY_AUDIT_RETENTION_DAYS', /integer from 0 to 36500/],
  [{ KEYWAY_AUDIT_RETENTION_DAYS: '1.5' }, 'KEYWAY_AUDIT_RETENTION_DAYS', /integer from 0 to 36500/],
  [{ KEYWAY_MASTER_KEY: 'c2hvcnQ' }, 'KEYWAY_MASTER_KEY', /43 base64url characters encoding 32 random bytes .*got "7 characters that are not one"/],
  [{ KEYWAY_MASTER_KEY: `${KEY.slice(0, 42)}+` }, 'KEYWAY_MASTER_KEY', /43 base64url characters/],
  // 43 characters whose last one carries bits beyond the 32 bytes: not the canonical form of a key.
  [{ KEYWAY_MASTER_KEY: `${KEY.slice(0, 42)}N` }, 'KEYWAY_MASTER_KEY', /43 base64url characters/],
  [{ KEYWAY_MASTER_KEY: KEY, KEYWAY_MASTER_KEY_FILE: '/etc/keyway.key' }, 'KEYWAY_MASTER_KEY_FILE', /one master key source/],
  [{ KEYWAY_MASTER_KEY_FILE: '/nonexistent/keyway.key' }, 'KEYWAY_MASTER_KEY_FILE', /a readable file holding the master key, got "\/nonexistent\/keyway.key"/],
  [{ KEYWAY_DATABASE_URL: 'postgres://db/keyway' }, 'KEYWAY_MASTER_KEY', /when KEYWAY_DATABASE_URL is PostgreSQL, got nothing/],
  [{ KEYWAY_SMTP_FROM: 'a@example.com' }, 'KEYWAY_SMTP_HOST', /when KEYWAY_SMTP_FROM is set/],
  [{ KEYWAY_SMTP_HOST: 'smtp.example.com' }, 'KEYWAY_SMTP_FROM', /the From address/],
  [{ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'a@example.com\r\nBcc: x@evil.example' }, 'KEYWAY_SMTP_FROM', /the From address/],
  [{ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'a@example.com', KEYWAY_SMTP_SECURITY: 'ssl' }, 'KEYWAY_SMTP_SECURITY', /tls\|starttls\|none/],
  [{ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'a@example.com', KEYWAY_SMTP_SECURITY: 'none' }, 'KEYWAY_SMTP_SECURITY', /not on this machine/],
  [{ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'a@example.com', KEYWAY_SMTP_USER: 'keyway' }, 'KEYWAY_SMTP_PASSWORD', /set together/],
  [{ KEYWAY_SMTP_HOST: 'smtp.example.com', KEYWAY_SMTP_FROM: 'a@example.com', KEYWAY_SMTP_PORT: '0' }, 'KEYWAY_SMTP_PORT', /integer from 1 to 65535/],
];
for (const [env, variable, expected] of bad) {
  test(`${variable}=${Object.values(env)[0]} stops start-up naming the variable`, () => {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.variable, variable);
        assert.ok(error.message.startsWith(`${variable}: expected`), error.message);
        assert.match(error.message, expected);
        return true;
      },
    );
  });
}

test('the master key: never echoed in an error; the default is a key file beside the SQLite database', () => {
  assert.throws(
    () => loadConfig({ KEYWAY_MASTER_KEY: `${KEY.slice(0, 40)}!!!` }),
    (error: Error) => !error.message.includes(KEY.slice(0, 40)),
  );
  const config = loadConfig({}, '/srv/keyway');
  assert.deepEqual(config.masterKey, { source: 'default key file', file: '/srv/keyway/data/keyway-master.key' });
  const given = loadConfig({ KEYWAY_MASTER_KEY: KEY }).masterKey;
  assert.equal(given.source, 'KEYWAY_MASTER_KEY');
  assert.ok(!JSON.stringify(given).includes(KEY) && !JSON.stringify(given).includes('dGVzd'), 'the key serialises as its id only');
});

test('a PostgreSQL password never appears in a configuration error', () => {
  assert.throws(
    () => loadConfig({ KEYWAY_DATABASE_URL: 'mysql://user:hunter2@db/x' }),
    (error: Error) => !error.message.includes('hunter2'),
  );
});

test('an unknown KEYWAY_* variable stops start-up with the closest variable Keyway reads, never its value', () => {
  const cases: Array<[string, string | undefined]> = [
    ['KEYWAY_DATABSE_URL', 'KEYWAY_DATABASE_URL'],
    ['KEYWAY_PORT', 'PORT'],
    ['KEYWAY_HOST', 'HOST'],
    ['KEYWAY_log_level', 'KEYWAY_LOG_LEVEL'],
    ['KEYWAY_AUDIT_RETENTION_DAY', 'KEYWAY_AUDIT_RETENTION_DAYS'],
    ['KEYWAY_SOMETHING_ELSE', undefined],
  ];
  for (const [name, suggestion] of cases) {
    assert.throws(
      () => loadConfig({ [name]: 'hunter2' }),
      (error: unknown) => {
        assert.ok(error instanceof UnknownVariableError && error instanceof ConfigError);
        assert.equal(error.variable, name);
        assert.ok(
          error.message.startsWith(
            `${name}: unknown variable${suggestion === undefined ? ';' : ` (did you mean ${suggestion}?);`} Keyway reads KEYWAY_PUBLIC_URL, `,
          ),
          error.message,
        );
        assert.ok(!error.message.includes('hunter2'));
        return true;
      },
    );
  }
});

test('the log format: auto by default, human or json when set', () => {
  assert.equal(loadConfig({}).logFormat, 'auto');
  assert.equal(loadConfig({ KEYWAY_LOG_FORMAT: 'json' }).logFormat, 'json');
  assert.equal(loadConfig({ KEYWAY_LOG_FORMAT: 'human' }).logFormat, 'human');
});

test('the client address in request logs: on by default, KEYWAY_LOG_CLIENT_IP=false leaves it out', () => {
  assert.equal(loadConfig({}).logClientIp, true);
  assert.equal(loadConfig({ KEYWAY_LOG_CLIENT_IP: 'true' }).logClientIp, true);
  assert.equal(loadConfig({ KEYWAY_LOG_CLIENT_IP: 'false' }).logClientIp, false);
});

test('did you mean: close names only, case ignored', () => {
  assert.equal(didYouMean('serv', ['serve', 'migrate']), 'serve');
  assert.equal(didYouMean('MIGRATE', ['serve', 'migrate']), 'migrate');
  assert.equal(didYouMean('deploy', ['serve', 'migrate', 'init']), undefined);
  assert.equal(didYouMean('x', ['serve']), undefined);
  assert.equal(didYouMean('', ['serve']), undefined);
  assert.equal(didYouMean('serve', []), undefined);
});
