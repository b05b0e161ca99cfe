import path from 'node:path';
import type { QuickstartResult } from './quickstart.ts';

export interface NextStepsOptions {
  publicUrl: string;
  /** Where the page's origin is served from (the first --origin). */
  pageOrigin: string;
  /** The page written by --page, relative to the working directory; undefined: printed only. */
  pageFile: string | undefined;
  page: string;
}

/**
 * What `keyway quickstart` prints: what it set up, then what to do next. Every command in it is
 * complete (no variable the reader must have set), so it works when pasted into a fresh shell.
 */
export function nextSteps(result: QuickstartResult, { publicUrl, pageOrigin, pageFile, page }: NextStepsOptions): string {
  const base = `${publicUrl}/${result.tenant}/identity/${result.store}`;
  const journeyCounts = ['created', 'updated', 'unchanged']
    .map((status) => [status, result.journeys.filter((j) => j.status === status).length] as const)
    .filter(([, n]) => n > 0);
  const rows: [string, string, string][] = [
    ['tenant', result.tenant, result.tenantStatus],
    ['store', result.store, result.storeStatus],
    ['relying party', `${result.relyingParty.id} (origins ${result.relyingParty.origins.join(', ')})`, result.relyingParty.status],
    ['registration policy', result.registrationPolicy.name, result.registrationPolicy.status],
    ['authentication policy', result.authenticationPolicy.name, result.authenticationPolicy.status],
    ['self-service', 'enabled, sign-up allowed', result.selfServiceStatus],
    ['journey templates', result.journeys.map((j) => j.journeyId).join(', '), journeyCounts.map(([status, n]) => `${n} ${status}`).join(', ')],
    ['admin API client', result.client.clientId, result.client.status === 'created' ? 'created' : 'new secret (the previous one and its tokens stop working)'],
  ];
  const width = Math.max(...rows.map(([what]) => what.length));
  const port = new URL(pageOrigin).port || '80';
  const serveCommand = pageFile === undefined ? undefined : `npx node examples/serve.ts ${path.dirname(pageFile)}${port === '3000' ? '' : ` --port ${port}`}`;
  return [
    `Keyway quickstart: tenant ${result.tenant}, store ${result.store}`,
    ...rows.map(([what, value, status]) => `  ${what.padEnd(width)}  ${value}  [${status}]`),
    '',
    `1. Start Keyway, if it is not running (it keeps the terminal; same PORT and KEYWAY_* settings as this command):`,
    '     npm start',
    '',
    '2. Hosted pages (a passkey needs no password; http://localhost is a secure context):',
    `     sign up      ${base}/signup`,
    `     sign in      ${base}/signin`,
    `     my passkeys  ${base}/passkeys`,
    `     journeys     ${publicUrl}/${result.tenant}/journeys/trustx-passkey-registration (also trustx-passkey-authentication, mosaic-passkey-sign-in)`,
    `     API docs     ${publicUrl}/docs`,
    '',
    '3. An admin API token, in any shell (needs curl and sed, not jq; valid for an hour: the second line again makes a new one):',
    `     KEYWAY=${publicUrl} CLIENT_ID=${result.client.clientId} CLIENT_SECRET=${result.client.clientSecret}`,
    `     TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials $KEYWAY/oauth2/token | sed -n 's/.*"access_token":"\\([^"]*\\)".*/\\1/p')`,
    `     curl -s -H "Authorization: Bearer $TOKEN" $KEYWAY/api/identity-store/stores/${result.store}`,
    '',
    serveCommand === undefined
      ? `4. Your own page, on another origin (${pageOrigin}): save the page below as index.html in a folder and serve that folder on ${pageOrigin}, e.g. npx node examples/serve.ts <folder>${port === '3000' ? '' : ` --port ${port}`}`
      : `4. Your own page, on another origin: written to ${pageFile}; serve it (in another terminal) and open ${pageOrigin}:\n     ${serveCommand}`,
    '',
    page.trimEnd().replace(/^/gm, '     '),
    '',
  ].join('\n');
}
