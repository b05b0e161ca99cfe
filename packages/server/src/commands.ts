// The commands themselves, loaded by cli/main.ts once the command line and the configuration are
// known to be right.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Invocation } from './cli/arguments.ts';
import { EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME } from './cli/exit-codes.ts';
import { ConfigError, type Config } from './config/config.ts';
import { OperatorService } from './console/operator-service.ts';
import { KeywayError } from './errors/keyway-error.ts';
import { COMMAND_LINE } from './journeys/user-acts.ts';
import { installTemplates } from './journeys/templates.ts';
import { nextSteps } from './quickstart/next-steps.ts';
import { quickstartPage } from './quickstart/quickstart-page.ts';
import { runQuickstart } from './quickstart/quickstart.ts';
import { MasterKeyError } from './secrets/master-key-check.ts';
import { createKeyFile, readKeyFile } from './secrets/master-key-source.ts';
import { rotateMasterKey } from './secrets/rotate-master-key.ts';
import { startServer } from './server.ts';
import { createServices } from './services.ts';
import { systemClock } from './shared/clock.ts';
import { releaseStartUpMemorySoon } from './shared/release-start-up-memory.ts';
import { openKeywayDatabase } from './startup.ts';
import type { Database } from './storage/database.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';

type DatabaseCommand = Exclude<Invocation, { command: 'help' | 'version' | 'keys generate-master' }>;

/** Runs a command; resolves with its exit code, or undefined for the server, which keeps running. */
export async function runCommand(invocation: DatabaseCommand, config: Config): Promise<number | undefined> {
  switch (invocation.command) {
    case 'serve':
      await startServer(config);
      releaseStartUpMemorySoon();
      return undefined;
    case 'migrate': {
      const { database, applied } = await openKeywayDatabase(config);
      try {
        console.error(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await database.close();
      }
      return EXIT_OK;
    }
    case 'init': {
      const { database } = await openKeywayDatabase(config);
      try {
        const tenancy = new TenancyService({ db: database.db, clock: systemClock, accessTokenTtlSeconds: config.accessTokenTtlSeconds });
        const created = await tenancy.initTenant(invocation.tenant, invocation.name);
        // The console's first owner enrols with this link (one-time, 24 hours).
        const invitation = await operators(config, database).invite(undefined, { tenantId: invocation.tenant, actor: 'cli' }, 'owner');
        console.log(JSON.stringify({ ...created, consoleEnrollmentUrl: invitation.url }));
      } finally {
        await database.close();
      }
      return EXIT_OK;
    }
    case 'console invite': {
      const { database } = await openKeywayDatabase(config);
      try {
        const invitation = await operators(config, database).invite(undefined, { tenantId: invocation.tenant, actor: 'cli' }, invocation.role);
        console.log(JSON.stringify({ url: invitation.url }));
      } finally {
        await database.close();
      }
      return EXIT_OK;
    }
    case 'quickstart':
      return quickstartCommand(config, invocation);
    case 'journeys install-templates':
      return installTemplatesCommand(config, invocation);
    case 'keys rotate-master':
      return rotateMasterCommand(config, invocation.newKeyFile);
  }
}

function operators(config: Config, database: Database): OperatorService {
  return new OperatorService({ db: database.db, clock: systemClock, publicUrl: config.publicUrl });
}

/** How a failure is told (configuration and master key errors name their kind, others start with `keyway:`) and its exit code. */
export function failureOf(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ConfigError) return { message: `configuration error: ${error.message}`, exitCode: EXIT_CONFIG };
  if (error instanceof MasterKeyError) return { message: `master key error: ${error.message}`, exitCode: EXIT_CONFIG };
  if (error instanceof KeywayError) {
    const fields = error.errors?.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
    return { message: `keyway: ${error.code}: ${error.detail}${fields ? ` (${fields})` : ''}`, exitCode: EXIT_RUNTIME };
  }
  return { message: `keyway: ${error instanceof Error ? error.message : String(error)}`, exitCode: EXIT_RUNTIME };
}

async function quickstartCommand(config: Config, invocation: Extract<Invocation, { command: 'quickstart' }>): Promise<number> {
  const { database, masterKey } = await openKeywayDatabase(config);
  try {
    const services = createServices({ config, database, clock: systemClock, masterKey });
    const result = await runQuickstart(services, {
      tenant: invocation.tenant,
      store: invocation.store,
      origins: invocation.origins,
      publicUrl: config.publicUrl,
    });
    const page = quickstartPage({ keywayUrl: config.publicUrl, tenant: invocation.tenant, store: invocation.store });
    if (invocation.page !== undefined) {
      mkdirSync(path.dirname(path.resolve(invocation.page)), { recursive: true });
      writeFileSync(invocation.page, page);
    }
    console.log(nextSteps(result, { publicUrl: config.publicUrl, pageOrigin: invocation.origins[0]!, pageFile: invocation.page, page }));
  } finally {
    await database.close();
  }
  return EXIT_OK;
}

async function installTemplatesCommand(config: Config, invocation: Extract<Invocation, { command: 'journeys install-templates' }>): Promise<number> {
  const { database, masterKey } = await openKeywayDatabase(config);
  try {
    const services = createServices({ config, database, clock: systemClock, masterKey });
    // Without --store, the tenant's only identity store (a choice among several is the operator's).
    let store = invocation.store;
    if (store === undefined) {
      const stores = await services.identity.listStores(invocation.tenant, { limit: 2 });
      if (stores.items.length !== 1) {
        console.error(
          `keyway: journeys install-templates: the tenant has ${stores.items.length === 0 ? 'no identity store; create one first' : 'several identity stores; name one with --store <name>'}`,
        );
        return EXIT_RUNTIME;
      }
      store = stores.items[0]!.name;
    }
    const settings = {
      relyingPartyId: invocation.relyingParty,
      registrationPolicy: invocation.registrationPolicy,
      authenticationPolicy: invocation.authenticationPolicy,
    };
    const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    const results = await installTemplates(services, { tenantId: invocation.tenant, actor: 'cli' }, store, { settings: given, publisher: COMMAND_LINE });
    console.log(JSON.stringify({ items: results }));
  } finally {
    await database.close();
  }
  return EXIT_OK;
}

/**
 * `keyway keys rotate-master --new-key-file <path>`. The current master key is the configured one
 * (KEYWAY_MASTER_KEY, KEYWAY_MASTER_KEY_FILE or the default key file); the new one comes from a
 * file, so it never appears in the process list or shell history.
 */
async function rotateMasterCommand(config: Config, file: string): Promise<number> {
  const existing = readKeyFile(file, '--new-key-file');
  const newKey = existing ?? createKeyFile(file);
  try {
    const { database, masterKey } = await openKeywayDatabase(config);
    try {
      const { rewrapped } = await rotateMasterKey(database.db, masterKey, newKey, systemClock.now().getTime());
      console.log(JSON.stringify({ previousKeyId: masterKey.id, keyId: newKey.id, rewrapped }));
      console.error(
        `master key rotated: start Keyway with the key in ${file} (KEYWAY_MASTER_KEY_FILE, or its content as KEYWAY_MASTER_KEY); the previous key is refused from now on`,
      );
    } finally {
      await database.close();
    }
  } catch (error) {
    // Nothing was rotated: a key file made for this run would only mislead.
    if (!existing) rmSync(file, { force: true });
    throw error;
  }
  return EXIT_OK;
}
