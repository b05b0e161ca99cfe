import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/catalogue.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import { refuseForeignStateChange } from '../http/browser-origin.ts';
import { TenantIdParam } from '../http/path-params.ts';
import { bindCeremonyBrowser, ceremonySecretOf } from './ceremony-binding.ts';
import type { ConsoleService, OpenedConsoleSession } from './console-service.ts';
import {
  AddPasskeyFinishBody,
  CreationOptionsAnswer,
  EmptyBody,
  EnrolmentFinishBody,
  EnrolmentOptionsBody,
  OperatorAnswer,
  OperatorPasskeysAnswer,
  RequestOptionsAnswer,
  SessionAnswer,
  SignInFinishBody,
} from './console-schemas.ts';

export const CONSOLE_COOKIE = 'keyway_console';

export interface ConsoleRoutesOptions {
  console: ConsoleService;
  /** KEYWAY_PUBLIC_URL: the only origin the console API answers, and whether cookies are Secure */
  publicUrl: string;
}

const TenantParams = Type.Object({ tenantId: TenantIdParam });
const PasskeyParams = Type.Object({ tenantId: TenantIdParam, passkeyId: Type.String({ minLength: 1, maxLength: 64 }) });

// Every route checks the caller's origin and that the path names a tenant.
const SAME_ORIGIN: ErrorCode[] = ['CSRF_REJECTED', 'TENANT_NOT_FOUND'];
const VERIFICATION: ErrorCode[] = [
  ...SAME_ORIGIN,
  'CONSOLE_CEREMONY_NOT_FOUND',
  'CONSOLE_CEREMONY_EXPIRED',
  'RESPONSE_MALFORMED',
  'CEREMONY_TYPE_MISMATCH',
  'CHALLENGE_MISMATCH',
  'ORIGIN_MISMATCH',
  'CROSS_ORIGIN_NOT_ALLOWED',
  'TOKEN_BINDING_NOT_SUPPORTED',
  'RP_ID_MISMATCH',
  'USER_PRESENCE_REQUIRED',
  'USER_VERIFICATION_REQUIRED',
  'BACKUP_STATE_INVALID',
];
const REGISTRATION: ErrorCode[] = [
  ...VERIFICATION,
  'ALGORITHM_NOT_ALLOWED',
  'CREDENTIAL_PUBLIC_KEY_INVALID',
  'ATTESTATION_INVALID',
  'CREDENTIAL_ID_TOO_LONG',
  'CREDENTIAL_ALREADY_REGISTERED',
];
const LINK: ErrorCode[] = ['CONSOLE_LINK_INVALID', 'CONSOLE_LINK_USED', 'CONSOLE_LINK_REVOKED', 'CONSOLE_LINK_EXPIRED'];

const BINDS =
  'Sets the keyway_console_ceremony cookie (HttpOnly, SameSite=Strict, path /{tenantId}/console; reused while it lives), which binds the ceremony to this browser.';
const FINISHES =
  'Only with the keyway_console_ceremony cookie of the browser that began the ceremony: without it, or with another browser’s, 400 CONSOLE_CEREMONY_NOT_FOUND and nothing changes.';

/**
 * Refuses (CSRF_REJECTED) a request the browser marks as coming from another site, and a state change whose Origin is
 * not the console's (KEYWAY_PUBLIC_URL): the console's API and the previews it frames answer the console only.
 */
export function refuseAllButTheConsole(request: FastifyRequest, consoleOrigin: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new KeywayError('CSRF_REJECTED', `Only the console itself (${consoleOrigin}) may call this API`);
  // A form the console submits (the page preview's) is a navigation, and the console's pages send no Referer
  // (Referrer-Policy: no-referrer), under which a navigation's Origin is serialised as `null` (Fetch, "append a request
  // Origin header"). The browser's own Sec-Fetch-Site: same-origin then says where it came from.
  if (site === 'same-origin' && request.headers.origin === 'null') return;
  refuseForeignStateChange(request, [consoleOrigin], 'CSRF_REJECTED');
}

/**
 * The console's browser API under `/{tenantId}/console/api`: no bearer token; the operator's browser
 * is identified by the HttpOnly `keyway_console` cookie (SameSite=Strict, path `/{tenantId}/console`),
 * and each passkey ceremony is bound to the browser that began it by the `keyway_console_ceremony`
 * cookie (same attributes) its options route sets; only that browser can finish it.
 * Same-origin only: no CORS, state changes only with the Origin of KEYWAY_PUBLIC_URL, and nothing
 * answered to a request the browser marks as from another site.
 */
export async function consoleRoutes(fastify: FastifyInstance, { console: service, publicUrl }: ConsoleRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const origin = new URL(publicUrl).origin;
  const secure = new URL(publicUrl).protocol === 'https:';
  const tags = ['console sign-in'];

  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    refuseAllButTheConsole(request, origin);
    // A tenant that does not exist has no console: 404, not an empty success (e.g. a sign-out).
    const tenantId = (request.params as { tenantId?: string } | undefined)?.tenantId;
    if (tenantId !== undefined && !(await service.tenantExists(tenantId))) throw new KeywayError('TENANT_NOT_FOUND', `No tenant ${tenantId}`);
  });

  const tenantOf = (request: FastifyRequest) => (request.params as { tenantId: string }).tenantId;
  const cookieOf = (request: FastifyRequest) => parseCookie(request.headers.cookie ?? '')[CONSOLE_COOKIE];
  const setCookie = (reply: FastifyReply, tenantId: string, session: OpenedConsoleSession | undefined) => {
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: CONSOLE_COOKIE,
        value: session?.token ?? '',
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: `/${tenantId}/console`,
        maxAge: session?.maxAgeSeconds ?? 0,
      }),
    );
  };

  /** Binds the ceremony this request begins to its browser: the secret to store (hashed), the cookie set on the answer. */
  const bindCeremony = (request: FastifyRequest, reply: FastifyReply): string => {
    const { secret, setCookie: cookie } = bindCeremonyBrowser(request.headers.cookie, tenantOf(request), secure);
    reply.header('set-cookie', cookie);
    return secret;
  };
  const ceremonyOf = (request: FastifyRequest) => ({ requestId: request.id, ceremonySecret: ceremonySecretOf(request.headers.cookie) });

  // ── enrolment ──
  app.post(
    '/enrolment/options',
    {
      schema: {
        operationId: 'consoleEnrolmentOptions',
        tags,
        summary: 'Begin enrolling an operator from a one-time link: creation options for a passkey for Keyway',
        description: BINDS,
        params: TenantParams,
        body: EnrolmentOptionsBody,
        response: { 200: CreationOptionsAnswer },
      },
      config: { errors: [...SAME_ORIGIN, ...LINK, 'RATE_LIMITED'] },
    },
    async (request, reply) => ({
      publicKey: await service.enrolmentOptions(request.params.tenantId, request.body, { clientIp: request.ip, ceremonySecret: bindCeremony(request, reply) }),
    }),
  );

  app.post(
    '/enrolment/finish',
    {
      schema: {
        operationId: 'consoleEnrolmentFinish',
        tags,
        summary: 'Finish enrolling: verifies the passkey (WebAuthn §7.1), consumes the link, creates the operator and signs the browser in',
        description: FINISHES,
        params: TenantParams,
        body: EnrolmentFinishBody,
        response: { 201: OperatorAnswer },
      },
      config: { errors: [...REGISTRATION, ...LINK] },
    },
    async (request, reply) => {
      const body = request.body as unknown as { token: string; credential: RegistrationResponseJSON };
      const opened = await service.enrolmentFinish(request.params.tenantId, body, ceremonyOf(request));
      setCookie(reply, request.params.tenantId, opened);
      return reply.code(201).send({ operator: opened.operator });
    },
  );

  // ── sign-in ──
  app.post(
    '/sign-in/options',
    {
      schema: {
        operationId: 'consoleSignInOptions',
        tags,
        summary: 'Begin an operator sign-in: request options for a discoverable passkey (usernameless)',
        description: BINDS,
        params: TenantParams,
        body: EmptyBody,
        response: { 200: RequestOptionsAnswer },
      },
      config: { errors: [...SAME_ORIGIN, 'TENANT_NOT_FOUND', 'RATE_LIMITED'] },
    },
    async (request, reply) => ({
      publicKey: await service.signInOptions(request.params.tenantId, { clientIp: request.ip, ceremonySecret: bindCeremony(request, reply) }),
    }),
  );

  app.post(
    '/sign-in/finish',
    {
      schema: {
        operationId: 'consoleSignInFinish',
        tags,
        summary: 'Finish an operator sign-in: verifies the assertion (WebAuthn §7.2) and signs the browser in (replacing its previous session)',
        description: FINISHES,
        params: TenantParams,
        body: SignInFinishBody,
        response: { 200: OperatorAnswer },
      },
      config: { errors: [...VERIFICATION, 'CREDENTIAL_NOT_FOUND', 'USER_HANDLE_MISMATCH', 'SIGNATURE_INVALID', 'COUNTER_REGRESSION'] },
    },
    async (request, reply) => {
      const opened = await service.signInFinish(request.params.tenantId, request.body.credential as unknown as AuthenticationResponseJSON, {
        ...ceremonyOf(request),
        sessionCookie: cookieOf(request),
      });
      setCookie(reply, request.params.tenantId, opened);
      return { operator: opened.operator };
    },
  );

  app.post(
    '/sign-out',
    {
      schema: {
        operationId: 'consoleSignOut',
        tags,
        summary: 'Sign out: ends the session and its access tokens',
        params: TenantParams,
        response: { 204: Type.Null() },
      },
      config: { errors: SAME_ORIGIN },
    },
    async (request, reply) => {
      await service.signOut(request.params.tenantId, cookieOf(request), request.id);
      setCookie(reply, request.params.tenantId, undefined);
      return reply.code(204).send(null);
    },
  );

  // ── the session ──
  app.get(
    '/session',
    {
      schema: {
        operationId: 'consoleSession',
        tags,
        summary: 'The signed-in operator, their permissions and a new access token (5 minutes) for the admin API',
        params: TenantParams,
        response: { 200: SessionAnswer },
      },
      config: { errors: [...SAME_ORIGIN, 'CONSOLE_SIGN_IN_REQUIRED'] },
    },
    async (request) => service.session(tenantOf(request), cookieOf(request)),
  );

  // ── the operator's own passkeys ──
  app.get(
    '/passkeys',
    {
      schema: {
        operationId: 'consoleListPasskeys',
        tags,
        summary: 'The signed-in operator’s passkeys',
        params: TenantParams,
        response: { 200: OperatorPasskeysAnswer },
      },
      config: { errors: [...SAME_ORIGIN, 'CONSOLE_SIGN_IN_REQUIRED'] },
    },
    async (request) => ({ items: await service.passkeys(tenantOf(request), cookieOf(request)) }),
  );

  app.post(
    '/passkeys/options',
    {
      schema: {
        operationId: 'consoleAddPasskeyOptions',
        tags,
        summary: 'Begin adding a passkey to the signed-in operator',
        description: `Needs a sign-in from the last 5 minutes (else 403 REAUTHENTICATION_REQUIRED: sign in again, then retry). ${BINDS}`,
        params: TenantParams,
        body: EmptyBody,
        response: { 200: CreationOptionsAnswer },
      },
      config: { errors: [...SAME_ORIGIN, 'CONSOLE_SIGN_IN_REQUIRED', 'REAUTHENTICATION_REQUIRED'] },
    },
    async (request, reply) => ({ publicKey: await service.addPasskeyOptions(tenantOf(request), cookieOf(request), bindCeremony(request, reply)) }),
  );

  app.post(
    '/passkeys/finish',
    {
      schema: {
        operationId: 'consoleAddPasskeyFinish',
        tags,
        summary: 'Finish adding a passkey (WebAuthn §7.1); answers the operator’s passkeys',
        description: FINISHES,
        params: TenantParams,
        body: AddPasskeyFinishBody,
        response: { 201: OperatorPasskeysAnswer },
      },
      config: { errors: [...REGISTRATION, 'CONSOLE_SIGN_IN_REQUIRED', 'REAUTHENTICATION_REQUIRED'] },
    },
    async (request, reply) => {
      const items = await service.addPasskeyFinish(
        tenantOf(request),
        cookieOf(request),
        request.body.credential as unknown as RegistrationResponseJSON,
        ceremonyOf(request),
      );
      return reply.code(201).send({ items });
    },
  );

  app.delete(
    '/passkeys/:passkeyId',
    {
      schema: {
        operationId: 'consoleDeletePasskey',
        tags,
        summary: 'Delete one of the signed-in operator’s passkeys (not the last); the other console sessions opened with it end, with their access tokens',
        params: PasskeyParams,
        response: { 204: Type.Null() },
      },
      config: { errors: [...SAME_ORIGIN, 'CONSOLE_SIGN_IN_REQUIRED', 'OPERATOR_PASSKEY_NOT_FOUND', 'LAST_OPERATOR_PASSKEY'] },
    },
    async (request, reply) => {
      await service.deletePasskey(request.params.tenantId, cookieOf(request), request.params.passkeyId, request.id);
      return reply.code(204).send(null);
    },
  );
}
