import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/config.ts';
import { systemClock } from './shared/clock.ts';
import { openDatabase } from './storage/database.ts';
import { migrateToLatest } from './storage/migrate.ts';
import { startServer } from './server.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';
import { TENANT_ID_PATTERN } from './tenancy/permissions.ts';

const USAGE = `Usage: keyway <command>

Commands:
  serve                  start the server (API, hosted pages, docs) on $PORT (default 8080)
  migrate                bring the database schema up to date and exit
  init --tenant <id>     create the tenant if absent and a new admin API client;
                         prints {"tenant","clientId","clientSecret"} (the secret is shown once)

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
      const database = openDatabase(config.databaseUrl);
      try {
        const applied = await migrateToLatest(database);
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
      const database = openDatabase(config.databaseUrl);
      try {
        await migrateToLatest(database);
        const tenancy = new TenancyService({ db: database.db, clock: systemClock, accessTokenTtlSeconds: config.accessTokenTtlSeconds });
        console.log(JSON.stringify(await tenancy.initTenant(values.tenant, values.name ?? 'admin')));
      } finally {
        await database.close();
      }
      return 0;
    }
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exitCode = 78; // EX_CONFIG
    } else {
      console.error(error instanceof Error ? `keyway: ${error.message}` : error);
      process.exitCode = 1;
    }
  },
);
