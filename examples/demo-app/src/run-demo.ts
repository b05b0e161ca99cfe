// `npm run demo`: Keyway (embedded SQLite under ./data/ unless KEYWAY_DATABASE_URL says otherwise) and the demo
// application, configured for each other: the tenant `demo`, its store `customers` with passkey self-service (as
// `keyway quickstart` sets it up), and an OpenID Connect client for the demo whose secret is new on every run.
import { loadConfig } from '../../../packages/server/src/config/config.ts';
import { runQuickstart } from '../../../packages/server/src/quickstart/quickstart.ts';
import { startServer } from '../../../packages/server/src/server.ts';
import { createServices } from '../../../packages/server/src/services.ts';
import { systemClock } from '../../../packages/server/src/shared/clock.ts';
import { openKeywayDatabase } from '../../../packages/server/src/startup.ts';
import { startDemoApp } from './demo-app.ts';

const TENANT = 'demo';
const STORE = 'customers';
const CLIENT_NAME = 'Keyway demo application';
const demoUrl = process.env.DEMO_URL ?? 'http://localhost:3000';

const config = loadConfig(process.env);
const { database, masterKey } = await openKeywayDatabase(config);
let client: { clientId: string; clientSecret: string };
try {
  const services = createServices({ config, database, clock: systemClock, masterKey });
  await runQuickstart(services, { tenant: TENANT, store: STORE, origins: [config.publicUrl], publicUrl: config.publicUrl });
  const actor = { tenantId: TENANT, actor: 'demo' };
  const existing = (await services.oidcClients.list(TENANT, { limit: 200 })).items.find((c) => c.name === CLIENT_NAME);
  const registered = existing
    ? await services.oidcClients.rotateSecret(actor, existing.clientId)
    : await services.oidcClients.create(actor, {
        name: CLIENT_NAME,
        store: STORE,
        redirectUris: [`${demoUrl}/callback`],
        postLogoutRedirectUris: [`${demoUrl}/`],
        firstParty: true,
      });
  client = { clientId: registered.clientId, clientSecret: registered.clientSecret! };
} finally {
  await database.close();
}

await startServer(config);
const issuer = `${config.publicUrl}/${TENANT}`;
await startDemoApp(
  { issuer, clientId: client.clientId, clientSecret: client.clientSecret, baseUrl: demoUrl, allowHttp: new URL(issuer).protocol === 'http:' },
  Number(new URL(demoUrl).port || 80),
);
console.log(`\nKeyway demo: open ${demoUrl} and choose "Sign in with Keyway" (issuer ${issuer}, client ${client.clientId}).\n`);
