// The demo application on its own: KEYWAY_ISSUER, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET (absent for a public client),
// DEMO_URL (default http://localhost:3000). `npm run demo` at the repository's root sets all of this up for you.
import { startDemoApp } from './demo-app.ts';

const issuer = process.env.KEYWAY_ISSUER;
const clientId = process.env.DEMO_CLIENT_ID;
if (!issuer || !clientId) {
  console.error('Set KEYWAY_ISSUER (e.g. http://localhost:8080/demo) and DEMO_CLIENT_ID (and DEMO_CLIENT_SECRET for a confidential client)');
  process.exit(2);
}
const baseUrl = process.env.DEMO_URL ?? 'http://localhost:3000';
const port = Number(new URL(baseUrl).port || 80);
await startDemoApp({ issuer, clientId, clientSecret: process.env.DEMO_CLIENT_SECRET, baseUrl, allowHttp: new URL(issuer).protocol === 'http:' }, port);
console.log(`Demo application on ${baseUrl}`);
