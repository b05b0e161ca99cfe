// "Sign in with Keyway": a relying party that knows nothing of Keyway but its issuer URL, its client id and secret,
// and its redirect URI. openid-client does the protocol (discovery, PKCE, state, nonce, the code exchange, ID token
// validation, userinfo, RP-initiated logout); this file is the small web application around it.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as oidc from 'openid-client';

export interface DemoAppOptions {
  /** The tenant's issuer: `{KEYWAY_PUBLIC_URL}/{tenantId}` */
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE alone) */
  clientSecret?: string | undefined;
  /** Where this application is reached, e.g. http://localhost:3000 (its redirect URI is `${baseUrl}/callback`) */
  baseUrl: string;
  /** Shown in the page title, to tell two demo applications apart */
  title?: string;
  /** Allows plain http to Keyway (only for Keyway on localhost) */
  allowHttp?: boolean;
}

interface BrowserSession {
  pending?: { verifier: string; state: string; nonce: string };
  tokens?: { idToken: string; accessToken: string; claims: Record<string, unknown>; userinfo: Record<string, unknown> };
}

/** Starts the application (its own HTTP server); answers the server once it listens on `port`. */
export async function startDemoApp(options: DemoAppOptions, port: number, host = '127.0.0.1'): Promise<Server> {
  const discoveryOptions = options.allowHttp ? { execute: [oidc.allowInsecureRequests] } : undefined;
  const auth = options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None();
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, auth, discoveryOptions);
  const redirectUri = `${options.baseUrl}/callback`;
  // One in-memory session per browser, by an HttpOnly cookie: enough for a demo (a real application has its own).
  const sessions = new Map<string, BrowserSession>();
  const title = options.title ?? 'Keyway demo';
  // Cookies do not keep ports apart: two demo applications on one host each need their own name.
  const cookieName = `demo_session_${new URL(options.baseUrl).port || '80'}`;
  const cookiePattern = new RegExp(`(?:^|;\\s*)${cookieName}=([A-Za-z0-9_-]+)`);

  const sessionOf = (req: IncomingMessage, res: ServerResponse): BrowserSession => {
    const id = cookiePattern.exec(req.headers.cookie ?? '')?.[1];
    if (id && sessions.has(id)) return sessions.get(id)!;
    const fresh = randomBytes(16).toString('base64url');
    sessions.set(fresh, {});
    res.setHeader('set-cookie', `${cookieName}=${fresh}; HttpOnly; SameSite=Lax; Path=/`);
    return sessions.get(fresh)!;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', options.baseUrl);
    const session = sessionOf(req, res);
    if (url.pathname === '/' && req.method === 'GET') return send(res, 200, homePage(title, session));
    if (url.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      const pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
      session.pending = pending;
      const parameters: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      };
      // ?prompt=login asks for the passkey again; ?prompt=none signs in only if Keyway already knows the browser.
      const prompt = url.searchParams.get('prompt');
      if (prompt === 'login' || prompt === 'none') parameters.prompt = prompt;
      // ?login_hint=… pre-fills the username on Keyway's sign-in page.
      const loginHint = url.searchParams.get('login_hint');
      if (loginHint) parameters.login_hint = loginHint;
      return redirect(res, oidc.buildAuthorizationUrl(config, parameters).href);
    }
    if (url.pathname === '/callback') {
      const pending = session.pending;
      delete session.pending;
      if (!pending) return send(res, 400, page(title, '<p>No sign-in in progress. <a href="/">Start again</a>.</p>'));
      if (url.searchParams.has('error')) {
        return send(
          res,
          200,
          page(title, `<p id="sign-in-error">Not signed in: ${escapeHtml(url.searchParams.get('error') ?? '')}</p><p><a href="/">Back</a></p>`),
        );
      }
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      const claims = tokens.claims()! as Record<string, unknown>;
      const userinfo = (await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub))) as Record<string, unknown>;
      session.tokens = { idToken: tokens.id_token!, accessToken: tokens.access_token, claims, userinfo };
      return redirect(res, '/');
    }
    if (url.pathname === '/logout' && req.method === 'POST') {
      const idToken = session.tokens?.idToken;
      delete session.tokens;
      if (!idToken) return redirect(res, '/');
      // RP-initiated logout: Keyway ends its session (every application's) and comes back here.
      return redirect(res, oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: `${options.baseUrl}/` }).href);
    }
    return send(res, 404, page(title, '<p>Not found.</p>'));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, page(title, `<p id="sign-in-error">Something went wrong: ${escapeHtml(error instanceof Error ? error.message : String(error))}</p>`));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

function homePage(title: string, session: BrowserSession): string {
  if (!session.tokens) {
    return page(title, `<p>You are not signed in.</p><p><a id="sign-in" class="button" href="/login">Sign in with Keyway</a></p>`);
  }
  const { claims, userinfo, idToken } = session.tokens;
  const [header, payload] = idToken
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown);
  const rows = Object.entries({ ...claims, ...userinfo })
    .map(
      ([name, value]) =>
        `<tr><th scope="row">${escapeHtml(name)}</th><td data-claim="${escapeHtml(name)}">${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value))}</td></tr>`,
    )
    .join('');
  return page(
    title,
    `<p id="signed-in">Signed in as <strong>${escapeHtml(String(userinfo.preferred_username ?? claims.sub))}</strong>.</p>
<h2>Claims</h2><table>${rows}</table>
<h2>ID token</h2><pre id="id-token-header">${escapeHtml(JSON.stringify(header, null, 2))}</pre><pre id="id-token-payload">${escapeHtml(JSON.stringify(payload, null, 2))}</pre>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="icon" href="data:,"></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' }).end();
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
