// The "relying party's web page": a tiny static HTTP server on 127.0.0.1 whose page is loaded as
// http://localhost:<port> (a secure context, so WebAuthn is available with RP ID `localhost`).
// The page runs WebAuthn with the browser's native JSON methods, exactly as an application would:
// parseCreationOptionsFromJSON → navigator.credentials.create → credential.toJSON() (and likewise for get).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';

/** What the page hands back: the credential's `toJSON()`, or the DOMException's name and message. */
export type CeremonyResult<T = PageCredentialJSON> = { ok: true; credential: T } | { ok: false; error: { name: string; message: string } };

/** `PublicKeyCredential.toJSON()` (RegistrationResponseJSON / AuthenticationResponseJSON). */
export interface PageCredentialJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
  response: Record<string, unknown> & { clientDataJSON: string; userHandle?: string; authenticatorData?: string; attestationObject?: string };
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Keyway e2e relying party</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; max-width: 60rem; }
  h1 { font-size: 1.3rem; }
  pre { background: #f4f4f4; padding: .75rem; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
  .ok { color: #0a6b2c; } .error { color: #a11; }
</style>
</head>
<body>
<h1>Keyway e2e relying party</h1>
<p>Origin: <code id="origin"></code></p>
<p id="status">No ceremony yet.</p>
<pre id="detail"></pre>
<script>
  document.getElementById('origin').textContent = location.origin;
  function show(kind, result) {
    const status = document.getElementById('status');
    if (result.ok) {
      status.className = 'ok';
      status.textContent = kind + ' succeeded: credential ' + result.credential.id;
    } else {
      status.className = 'error';
      status.textContent = kind + ' failed: ' + result.error.name;
    }
    document.getElementById('detail').textContent = JSON.stringify(result, null, 2);
    return result;
  }
  function failure(err) {
    return { ok: false, error: { name: (err && err.name) || 'Error', message: (err && err.message) || String(err) } };
  }
  window.keywayCreate = async (clientRequest) => {
    try {
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(clientRequest);
      const credential = await navigator.credentials.create({ publicKey });
      return show('Registration', { ok: true, credential: credential.toJSON() });
    } catch (err) {
      return show('Registration', failure(err));
    }
  };
  window.keywayGet = async (clientRequest) => {
    try {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(clientRequest);
      const credential = await navigator.credentials.get({ publicKey });
      return show('Sign-in', { ok: true, credential: credential.toJSON() });
    } catch (err) {
      return show('Sign-in', failure(err));
    }
  };
</script>
</body>
</html>
`;

export interface RelyingPartyPageServer {
  /** `http://localhost:<port>` — the page's origin as the browser sees it */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the page on 127.0.0.1 at a random port; every path answers the same page. */
export async function startRelyingPartyPage(): Promise<RelyingPartyPageServer> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(PAGE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

interface KeywayPageWindow {
  keywayCreate(clientRequest: unknown): Promise<CeremonyResult>;
  keywayGet(clientRequest: unknown): Promise<CeremonyResult>;
}

/** Runs `navigator.credentials.create` in the page with the server's `clientRequest` (creation options JSON). */
export function createCredentialInPage(page: Page, clientRequest: unknown): Promise<CeremonyResult> {
  return page.evaluate((options) => (window as unknown as KeywayPageWindow).keywayCreate(options), clientRequest);
}

/** Runs `navigator.credentials.get` in the page with the server's `clientRequest` (request options JSON). */
export function getAssertionInPage(page: Page, clientRequest: unknown): Promise<CeremonyResult> {
  return page.evaluate((options) => (window as unknown as KeywayPageWindow).keywayGet(options), clientRequest);
}

/** The credential of a successful ceremony, or a failed assertion naming the browser's error. */
export function expectCredential(result: CeremonyResult, what: string): PageCredentialJSON {
  if (!result.ok) throw new Error(`${what}: the browser refused with ${result.error.name}: ${result.error.message}`);
  return result.credential;
}
