import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config/config.ts';
import { installTemplates } from './journeys/templates.ts';
import { createServices } from './services.ts';
import { systemClock } from './shared/clock.ts';
import { generateMasterKeyText } from './secrets/master-key.ts';
import { MasterKeyError } from './secrets/master-key-check.ts';
import { createKeyFile, readKeyFile } from './secrets/master-key-source.ts';
import { rotateMasterKey } from './secrets/rotate-master-key.ts';
import { startServer } from './server.ts';
import { openKeywayDatabase } from './startup.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';
import { TENANT_ID_PATTERN } from './tenancy/permissions.ts';

const USAGE = `Usage: keyway <command>

Commands:
  serve                  start the server (API, hosted pages, docs) on $PORT (default 8080)
  migrate                bring the database schema up to date and exit
  init --tenant <id>     create the tenant if absent and a new admin API client;
                         prints {"tenant","clientId","clientSecret"} (the secret is shown once)
  journeys install-templates --tenant <id> [--store <name>] [--relying-party <rpId>]
           [--registration-policy <name>] [--authentication-policy <name>]
                         install (create or update and publish) the built-in journey templates
                         and their custom forms; each option defaults to the tenant's only one
  keys generate-master   print a new random master key (for KEYWAY_MASTER_KEY or a key file)
  keys rotate-master --new-key-file <path>
                         re-wrap every stored secret's data key under the master key in <path>
                         (created, mode 0600, if absent) in one transaction; the current key is
                         the configured one. Stop Keyway first, then start it with the new key.

Configuration comes from environment variables; see the README.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await startServer(config);
      return -1; // keep running
    case 'migrate': {
      const { database, applied } = await openKeywayDatabase(config);
      try {
        console.error(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'init': {
      const { values } = parseArgs({ args: rest, options: { tenant: { type: 'string' }, name: { type: 'string' } }, strict: true });
      if (!values.tenant || !new RegExp(TENANT_ID_PATTERN).test(values.tenant)) {
        console.error('init: --tenant <id> is required: lowercase letters, digits and hyphens, at most 63 characters');
        return 2;
      }
      const { database } = await openKeywayDatabase(config);
      try {
        const tenancy = new TenancyService({ db: database.db, clock: systemClock, accessTokenTtlSeconds: config.accessTokenTtlSeconds });
        console.log(JSON.stringify(await tenancy.initTenant(values.tenant, values.name ?? 'admin')));
      } finally {
        await database.close();
      }
      return 0;
    }
    case 'journeys':
      return journeysCommand(config, rest);
    case 'keys':
      return keysCommand(config, rest);
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

/** `keyway journeys install-templates --tenant <id> [--store <name>] …` (issue 5 §9). */
async function journeysCommand(config: Config, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'install-templates') {
    console.error(`journeys: unknown subcommand ${sub ?? '(none)'}; try install-templates\n\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { tenant: { type: 'string' }, store: { type: 'string' }, 'relying-party': { type: 'string' }, 'registration-policy': { type: 'string' }, 'authentication-policy': { type: 'string' } },
    strict: true,
  });
  if (!values.tenant || !new RegExp(TENANT_ID_PATTERN).test(values.tenant)) {
    console.error('journeys install-templates: --tenant <id> is required');
    return 2;
  }
  const { database, masterKey } = await openKeywayDatabase(config);
  try {
    const services = createServices({ config, database, clock: systemClock, masterKey });
    // Without --store, the tenant's only identity store (a choice among several is the operator's).
    let store = values.store;
    if (store === undefined) {
      const stores = await services.identity.listStores(values.tenant, { limit: 2 });
      if (stores.items.length !== 1) {
        console.error(`journeys install-templates: the tenant has ${stores.items.length === 0 ? 'no identity store; create one first' : 'several identity stores; name one with --store <name>'}`);
        return 2;
      }
      store = stores.items[0]!.name;
    }
    const settings = { relyingPartyId: values['relying-party'], registrationPolicy: values['registration-policy'], authenticationPolicy: values['authentication-policy'] };
    const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const results = await installTemplates(services, { tenantId: values.tenant, actor: 'cli' }, store, { settings: given });
    console.log(JSON.stringify({ items: results }));
  } finally {
    await database.close();
  }
  return 0;
}

/**
 * `keyway keys generate-master` and `keyway keys rotate-master --new-key-file <path>`. The current
 * master key is the configured one (KEYWAY_MASTER_KEY, KEYWAY_MASTER_KEY_FILE or the default key
 * file); the new one comes from a file, so it never appears in the process list or shell history.
 */
async function keysCommand(config: Config, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'generate-master') {
    console.log(generateMasterKeyText());
    return 0;
  }
  if (sub !== 'rotate-master') {
    console.error(`keys: unknown subcommand ${sub ?? '(none)'}; try rotate-master or generate-master\n\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { 'new-key-file': { type: 'string' } }, strict: true });
  const file = values['new-key-file'];
  if (!file) {
    console.error('keys rotate-master: --new-key-file <path> is required (a file holding the new master key; created if absent)');
    return 2;
  }
  const existing = readKeyFile(file, '--new-key-file');
  const newKey = existing ?? createKeyFile(file);
  try {
    const { database, masterKey } = await openKeywayDatabase(config);
    try {
      const { rewrapped } = await rotateMasterKey(database.db, masterKey, newKey, systemClock.now().getTime());
      console.log(JSON.stringify({ previousKeyId: masterKey.id, keyId: newKey.id, rewrapped }));
      console.error(`master key rotated: start Keyway with the key in ${file} (KEYWAY_MASTER_KEY_FILE, or its content as KEYWAY_MASTER_KEY); the previous key is refused from now on`);
    } finally {
      await database.close();
    }
  } catch (error) {
    // Nothing was rotated: a key file made for this run would only mislead.
    if (!existing) rmSync(file, { force: true });
    throw error;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exitCode = 78; // EX_CONFIG
    } else if (error instanceof MasterKeyError) {
      console.error(`master key error: ${error.message}`);
      process.exitCode = 78;
    } else {
      console.error(error instanceof Error ? `keyway: ${error.message}` : error);
      process.exitCode = 1;
    }
  },
);
