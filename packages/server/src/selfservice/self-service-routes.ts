import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/catalogue.ts';
import { allowReading, answerPreflight, refuseForeignStateChange } from '../http/browser-origin.ts';
import { emptyBodyIsEmptyObject } from '../http/optional-body.ts';
import { CredentialIdParam, StoreNameSchema, TenantIdParam } from '../http/path-params.ts';
import { AuthenticationResponseBody, RegistrationResponseBody } from '../passkeys/ceremony-schemas.ts';
import { BoundDeviceSchema, DeviceIdParam, ListDevicesQuery } from '../passkeys/device-schemas.ts';
import { PageOf } from '../http/common-schemas.ts';
import type { Services } from '../services.ts';
import type { BrowserRequest, OpenedSession, SelfServiceStore } from './self-service-service.ts';
import {
  CreationOptionsAnswer,
  DisownEmailAnswer,
  EmailVerificationDetailsAnswer,
  LoginOptionsBody,
  MeAnswer,
  MyPasskeySchema,
  MyPasskeysAnswer,
  RecoveryBeginAnswer,
  RecoveryBeginBody,
  RecoveryEmailAnswer,
  RecoveryEmailBody,
  RecoveryFinishAnswer,
  RecoveryFinishBody,
  RegisterBeginBody,
  SignUpChallengeAnswer,
  RenameBody,
  RequestOptionsAnswer,
  SignedInAnswer,
  SignedUpAnswer,
  VerifyEmailAnswer,
  VerifyEmailBody,
} from './self-service-schemas.ts';

export const FLOW_COOKIE = 'keyway_flow';
export const SESSION_COOKIE = 'keyway_session';
const FLOW_COOKIE_MAX_AGE_SECONDS = 3600;

export interface SelfServiceRoutesOptions {
  services: Services;
  /** KEYWAY_PUBLIC_URL: cookies are Secure unless it is http://localhost */
  publicUrl: string;
}

const StoreParams = Type.Object({ tenantId: TenantIdParam, storeName: StoreNameSchema });
const PasskeyParams = Type.Object({ tenantId: TenantIdParam, storeName: StoreNameSchema, credentialId: CredentialIdParam });

/** Every public route can answer these besides its own codes. */
const COMMON: ErrorCode[] = ['SELF_SERVICE_DISABLED'];
const STATEFUL: ErrorCode[] = [...COMMON, 'CSRF_REJECTED'];
const LIMITED: ErrorCode[] = [...STATEFUL, 'RATE_LIMITED'];
const FINISH: ErrorCode[] = [
  ...LIMITED,
  'FLOW_NOT_FOUND',
  'SESSION_NOT_FOUND',
  'SESSION_ALREADY_USED',
  'CHALLENGE_EXPIRED',
  'USER_DISABLED',
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
const REGISTRATION_FINISH: ErrorCode[] = [
  ...FINISH,
  'SYNCED_PASSKEY_NOT_ALLOWED',
  'ALGORITHM_NOT_ALLOWED',
  'CREDENTIAL_PUBLIC_KEY_INVALID',
  'ATTESTATION_INVALID',
  'ATTESTATION_NOT_TRUSTED',
  'CREDENTIAL_ID_TOO_LONG',
  'CREDENTIAL_ALREADY_REGISTERED',
];

/**
 * The browser self-service API of a store under `/{tenantId}/identity/{storeName}`: no bearer
 * token; the browser is identified by HttpOnly cookies. Every request first resolves the store (404
 * SELF_SERVICE_DISABLED when self-service is off, exactly as for an unknown store), answers CORS only for the RP's
 * origins, and refuses state-changing requests from anywhere else (CSRF).
 */
export async function selfServiceRoutes(fastify: FastifyInstance, { services, publicUrl }: SelfServiceRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const selfService = services.selfService;
  const secure = new URL(publicUrl).protocol === 'https:';
  const targets = new WeakMap<FastifyRequest, SelfServiceStore>();
  const doc = (summary: string, description?: string) => ({ tags: ['self-service'], summary, ...(description ? { description } : {}) });

  app.addHook('onRequest', async (request, reply) => {
    const { tenantId, storeName } = request.params as { tenantId?: string; storeName?: string };
    const target = await selfService.resolve(String(tenantId), String(storeName));
    targets.set(request, target);
    const origin = request.headers.origin;
    reply.header('vary', 'Origin');
    // Only the relying party's own origins may read answers, with credentials (cookies); the SDK
    // reads Retry-After of a 429 to tell the user when to try again.
    if (origin !== undefined && target.origins.includes(origin)) allowReading(reply, origin, { credentials: true, exposeHeaders: ['retry-after'] });
    // And only they may change state.
    refuseForeignStateChange(request, target.origins, 'CSRF_REJECTED');
  });

  const browser = (request: FastifyRequest): BrowserRequest => {
    const cookies = parseCookie(request.headers.cookie ?? '');
    const { tenantId, storeName } = request.params as { tenantId: string; storeName: string };
    return {
      tenantId,
      storeName,
      requestId: request.id,
      clientIp: request.ip,
      userAgent: request.headers['user-agent'],
      flowToken: cookies[FLOW_COOKIE],
      sessionToken: cookies[SESSION_COOKIE],
      target: targets.get(request),
    };
  };
  const setFlowCookie = (reply: FastifyReply, request: FastifyRequest, token: string) => {
    const { tenantId, storeName } = request.params as { tenantId: string; storeName: string };
    reply.header(
      'set-cookie',
      stringifySetCookie({
        name: FLOW_COOKIE,
        value: token,
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: `/${tenantId}/identity/${storeName}`,
        maxAge: FLOW_COOKIE_MAX_AGE_SECONDS,
      }),
    );
  };
  const setSessionCookie = (reply: FastifyReply, request: FastifyRequest, session: OpenedSession | undefined) => {
    const { tenantId } = request.params as { tenantId: string };
    const maxAge = session?.maxAgeSeconds ?? 0;
    reply.header(
      'set-cookie',
      stringifySetCookie({ name: SESSION_COOKIE, value: session?.token ?? '', httpOnly: true, sameSite: 'lax', secure, path: `/${tenantId}`, maxAge }),
    );
  };

  // CORS preflight (Fetch §4.8) for every path of the store: allowed only for the RP's origins (headers set above).
  app.options('/*', { schema: { hide: true } }, async (request, reply) => {
    const origin = request.headers.origin;
    const target = targets.get(request);
    if (origin !== undefined && target?.origins.includes(origin))
      answerPreflight(reply, { methods: ['GET', 'POST', 'PATCH', 'DELETE'], headers: ['content-type'] });
    return reply.code(204).send();
  });

  // ── sign-up ──
  app.post(
    '/register/challenge',
    {
      schema: {
        operationId: 'signUpChallenge',
        ...doc(
          'A sign-up challenge',
          'A proof-of-work challenge (ALTCHA format): find `number` ≤ `maxnumber` with SHA-256(salt ‖ number) = challenge, and send base64 of {algorithm, challenge, number, salt, signature} as `challenge` to …/register/webauthn/begin. Needed when the store’s `signUpChallenge` is on; @keyway/web does it by itself.',
        ),
        params: StoreParams,
        response: { 200: SignUpChallengeAnswer },
      },
      config: { errors: [...LIMITED, 'SIGN_UP_DISABLED'] },
    },
    async (request) => selfService.signUpChallenge(browser(request)),
  );

  app.post(
    '/register/webauthn/begin',
    {
      schema: {
        operationId: 'beginSignUp',
        ...doc(
          'Begin a sign-up',
          'Creation options for a new account whose userKey is the identifier; sets the keyway_flow cookie that binds the ceremony to this browser.',
        ),
        params: StoreParams,
        body: RegisterBeginBody,
        response: { 200: CreationOptionsAnswer },
      },
      config: {
        errors: [...LIMITED, 'SIGN_UP_DISABLED', 'IDENTIFIER_TAKEN', 'USER_HANDLE_CONFLICT', 'SIGN_UP_CHALLENGE_REQUIRED', 'SIGN_UP_CHALLENGE_INVALID'],
      },
    },
    async (request, reply) => {
      const started = await selfService.registerBegin(browser(request), request.body);
      setFlowCookie(reply, request, started.flowToken);
      return { publicKey: started.publicKey };
    },
  );

  app.post(
    '/register/webauthn/finish',
    {
      schema: {
        operationId: 'finishSignUp',
        ...doc('Finish a sign-up', 'Verifies the new passkey (WebAuthn §7.1), activates the account and signs the browser in (keyway_session cookie).'),
        params: StoreParams,
        body: RegistrationResponseBody,
        response: { 201: SignedUpAnswer },
      },
      config: { errors: [...REGISTRATION_FINISH, 'IDENTIFIER_TAKEN'], admission: 'continuation' },
    },
    async (request, reply) => {
      const signedUp = await selfService.registerFinish(browser(request), request.body as RegistrationResponseJSON);
      setSessionCookie(reply, request, signedUp.session);
      return reply.code(201).send(signedUp.body);
    },
  );

  // ── sign-in ──
  app.post(
    '/login/webauthn/options',
    {
      schema: {
        operationId: 'beginSignIn',
        ...doc(
          'Begin a sign-in',
          'With an identifier: its passkeys in allowCredentials (an unknown identifier answers the same shape, with stable decoys). Without: a discoverable (usernameless / autofill) request. Sets the keyway_flow cookie.',
        ),
        params: StoreParams,
        body: LoginOptionsBody,
        response: { 200: RequestOptionsAnswer },
      },
      config: { errors: [...LIMITED, 'DISCOVERABLE_NOT_ALLOWED'] },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (request, reply) => {
      const started = await selfService.loginOptions(browser(request), request.body);
      setFlowCookie(reply, request, started.flowToken);
      return { publicKey: started.publicKey };
    },
  );

  app.post(
    '/login/webauthn/finish',
    {
      schema: {
        operationId: 'finishSignIn',
        ...doc(
          'Finish a sign-in',
          'Verifies the assertion (WebAuthn §7.2) and signs the browser in: a new keyway_session cookie; the previous session of this browser ends.',
        ),
        params: StoreParams,
        body: AuthenticationResponseBody,
        response: { 200: SignedInAnswer },
      },
      config: {
        errors: [...FINISH, 'CREDENTIAL_NOT_FOUND', 'CREDENTIAL_NOT_ALLOWED', 'USER_HANDLE_MISMATCH', 'SIGNATURE_INVALID', 'COUNTER_REGRESSION'],
        admission: 'continuation',
      },
    },
    async (request, reply) => {
      const signedIn = await selfService.loginFinish(browser(request), request.body as AuthenticationResponseJSON);
      setSessionCookie(reply, request, signedIn.session);
      return signedIn.body;
    },
  );

  // ── session ──
  app.post(
    '/logout',
    {
      schema: {
        operationId: 'signOut',
        ...doc('Sign out', 'Ends the session server-side and clears the cookie.'),
        params: StoreParams,
        response: { 204: Type.Null() },
      },
      config: { errors: STATEFUL },
    },
    async (request, reply) => {
      await selfService.logout(browser(request));
      setSessionCookie(reply, request, undefined);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      schema: { operationId: 'getMe', ...doc('The signed-in user and session'), params: StoreParams, response: { 200: MeAnswer } },
      config: { errors: [...COMMON, 'SESSION_REQUIRED'] },
    },
    async (request) => selfService.me(browser(request)),
  );

  app.delete(
    '/me',
    {
      schema: {
        operationId: 'deleteMyAccount',
        ...doc(
          'Delete my account',
          'The signed-in user deletes their own account, as an administrator’s deletion does and in one transaction: the account, its passkeys, bound devices, sessions (every browser’s), recovery and verification links and queued e-mails, and what the OpenID Provider issued for it (the sign-ins at the store’s applications end; refresh tokens stop working). It cannot be undone; the identifier can sign up again. Needs a sign-in from the last 5 minutes and the store’s `selfService.accountDeletion` (on unless set to false: else 403 ACCOUNT_DELETION_DISABLED). Audited as `user.delete` by the `self-service` actor. Clears the keyway_session cookie.',
        ),
        params: StoreParams,
        response: { 204: Type.Null() },
      },
      config: { errors: [...STATEFUL, 'SESSION_REQUIRED', 'ACCOUNT_DELETION_DISABLED', 'REAUTHENTICATION_REQUIRED'] },
    },
    async (request, reply) => {
      await selfService.deleteAccount(browser(request));
      setSessionCookie(reply, request, undefined);
      return reply.code(204).send(null);
    },
  );

  // ── my passkeys ──
  app.get(
    '/me/passkeys',
    {
      schema: {
        operationId: 'listMyPasskeys',
        ...doc('My passkeys', 'With rpId, userId (user handle) and allCredentialIds for the WebAuthn Signal API.'),
        params: StoreParams,
        response: { 200: MyPasskeysAnswer },
      },
      config: { errors: [...COMMON, 'SESSION_REQUIRED'] },
    },
    async (request) => selfService.myPasskeys(browser(request)),
  );

  app.patch(
    '/me/passkeys/:credentialId',
    {
      schema: {
        operationId: 'renameMyPasskey',
        ...doc('Rename one of my passkeys'),
        params: PasskeyParams,
        body: RenameBody,
        response: { 200: MyPasskeySchema },
      },
      config: { errors: [...STATEFUL, 'SESSION_REQUIRED', 'PASSKEY_NOT_FOUND'] },
    },
    async (request) => selfService.renamePasskey(browser(request), request.params.credentialId, request.body.name),
  );

  app.delete(
    '/me/passkeys/:credentialId',
    {
      schema: {
        operationId: 'deleteMyPasskey',
        ...doc('Delete one of my passkeys', 'Needs a sign-in from the last 5 minutes; the last passkey is never deleted.'),
        params: PasskeyParams,
        response: { 204: Type.Null() },
      },
      config: { errors: [...STATEFUL, 'SESSION_REQUIRED', 'REAUTHENTICATION_REQUIRED', 'PASSKEY_NOT_FOUND', 'LAST_PASSKEY'] },
    },
    async (request, reply) => {
      await selfService.deletePasskey(browser(request), request.params.credentialId);
      return reply.code(204).send(null);
    },
  );

  // ── my bound devices (device binding) ──
  app.get(
    '/me/devices',
    {
      schema: {
        operationId: 'listMyDevices',
        ...doc('My bound devices', 'Browsers bound to me at passkey registration, oldest first; revoked ones with revokedAt.'),
        params: StoreParams,
        querystring: ListDevicesQuery,
        response: { 200: PageOf(BoundDeviceSchema) },
      },
      config: { errors: [...COMMON, 'SESSION_REQUIRED', 'INVALID_CURSOR'] },
    },
    async (request) => {
      const { user } = await selfService.me(browser(request));
      return services.devices.list(request.params.tenantId, request.params.storeName, user.id, request.query);
    },
  );

  app.delete(
    '/me/devices/:deviceId',
    {
      schema: {
        operationId: 'revokeMyDevice',
        ...doc('Revoke one of my bound devices', 'It is no longer recognised as mine and leaves my ID tokens’ device_keys.'),
        params: Type.Object({ tenantId: TenantIdParam, storeName: StoreNameSchema, deviceId: DeviceIdParam }),
        response: { 204: Type.Null() },
      },
      config: { errors: [...STATEFUL, 'SESSION_REQUIRED', 'DEVICE_NOT_FOUND'] },
    },
    async (request, reply) => {
      const { user } = await selfService.me(browser(request));
      const { tenantId, storeName, deviceId } = request.params;
      await services.devices.revoke({ tenantId, actor: 'self-service', requestId: request.id }, { storeName, userId: user.id, deviceId });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/me/passkeys/register/begin',
    {
      schema: {
        operationId: 'beginPasskeyRegistration',
        ...doc(
          'Begin adding a passkey to my account',
          'Needs a sign-in from the last 5 minutes (a stolen session cookie must not plant a lasting passkey). Sets the keyway_flow cookie.',
        ),
        params: StoreParams,
        response: { 200: CreationOptionsAnswer },
      },
      config: { errors: [...LIMITED, 'SESSION_REQUIRED', 'REAUTHENTICATION_REQUIRED', 'USER_DISABLED', 'USER_HANDLE_CONFLICT'] },
    },
    async (request, reply) => {
      const started = await selfService.addPasskeyBegin(browser(request));
      setFlowCookie(reply, request, started.flowToken);
      return { publicKey: started.publicKey };
    },
  );

  app.post(
    '/me/passkeys/register/finish',
    {
      schema: {
        operationId: 'finishPasskeyRegistration',
        ...doc('Finish adding a passkey to my account'),
        params: StoreParams,
        body: RegistrationResponseBody,
        response: { 201: MyPasskeySchema },
      },
      config: { errors: [...REGISTRATION_FINISH, 'SESSION_REQUIRED', 'REAUTHENTICATION_REQUIRED'] },
    },
    async (request, reply) => reply.code(201).send(await selfService.addPasskeyFinish(browser(request), request.body as RegistrationResponseJSON)),
  );

  // ── recovery ──
  const LINK: ErrorCode[] = ['RECOVERY_LINK_NOT_FOUND', 'RECOVERY_LINK_USED', 'RECOVERY_LINK_EXPIRED'];
  app.post(
    '/recovery/begin',
    {
      schema: {
        operationId: 'beginRecovery',
        ...doc('Begin an account recovery', 'Creation options for a new passkey of the recovery link’s user; the link is not used up yet.'),
        params: StoreParams,
        body: RecoveryBeginBody,
        response: { 200: RecoveryBeginAnswer },
      },
      config: { errors: [...LIMITED, ...LINK, 'USER_DISABLED', 'USER_HANDLE_CONFLICT'] },
    },
    async (request, reply) => {
      const started = await selfService.recoveryBegin(browser(request), request.body.token);
      setFlowCookie(reply, request, started.flowToken);
      return { publicKey: started.publicKey, user: started.user };
    },
  );

  app.post(
    '/recovery/email',
    {
      schema: {
        operationId: 'requestRecoveryEmail',
        ...doc(
          'E-mail a recovery link (“I lost my passkey”)',
          'Sends a one-time link to the recovery page to the store’s account with this e-mail address, if there is one: when several accounts share the address, to the one whose address is verified, and to none when that leaves more than one. The answer is 202 either way (no account enumeration); rate-limited per client address and per e-mail address. At most 3 e-mails to one address in 15 minutes (across client addresses and nodes): beyond, still 202, and nothing is sent. 503 EMAIL_NOT_CONFIGURED when the server has no SMTP server.',
        ),
        params: StoreParams,
        body: RecoveryEmailBody,
        response: { 202: RecoveryEmailAnswer },
      },
      config: { errors: [...LIMITED, 'EMAIL_NOT_CONFIGURED'] },
    },
    async (request, reply) => {
      const { capped } = await selfService.requestRecoveryEmail(browser(request), request.body);
      // Not an error for the client (it is told nothing), but worth seeing: someone may be flooding an inbox.
      if (capped)
        request.log.info({ tenantId: request.params.tenantId, storeName: request.params.storeName }, 'lost-passkey e-mail not sent: too many for this address');
      return reply.code(202).send({ accepted: true as const });
    },
  );

  // ── e-mail verification: the page shows what the link is about, then the reader confirms or disowns ──
  const EMAIL_LINK: ErrorCode[] = ['EMAIL_VERIFICATION_NOT_FOUND', 'EMAIL_VERIFICATION_USED', 'EMAIL_VERIFICATION_EXPIRED'];
  app.post(
    '/email/verify/inspect',
    {
      schema: {
        operationId: 'inspectEmailVerification',
        ...doc(
          'What an e-mail verification link is about',
          'Without using the link (nothing changes): the account it was sent for — its identifier and when it was created — and whether its address is verified already, so that the page can ask whether the reader created it before anything happens (a click on an unexpected e-mail, or a mail scanner following it, must not verify someone else’s account). The token goes in the body, never in a URL. Refused like …/email/verify; rate-limited per client address and per link.',
        ),
        params: StoreParams,
        body: VerifyEmailBody,
        response: { 200: EmailVerificationDetailsAnswer },
      },
      config: { errors: [...LIMITED, ...EMAIL_LINK] },
    },
    async (request) => selfService.inspectEmailVerification(browser(request), request.body.token),
  );

  app.post(
    '/email/verify',
    {
      schema: {
        operationId: 'verifyEmail',
        ...doc(
          'Verify an e-mail address',
          'The reader of the one-time link e-mailed at sign-up (when the store’s selfService.verifyEmail is on) confirms the account is theirs: its address becomes verified (`emailVerified` in the admin API) and the link is used up. 404 EMAIL_VERIFICATION_NOT_FOUND also when the account’s address has changed since.',
        ),
        params: StoreParams,
        body: VerifyEmailBody,
        response: { 200: VerifyEmailAnswer },
      },
      config: { errors: [...LIMITED, ...EMAIL_LINK] },
    },
    async (request) => selfService.verifyEmail(browser(request), request.body.token),
  );

  app.post(
    '/email/disown',
    {
      schema: {
        operationId: 'disownEmail',
        ...doc(
          'Disown an e-mail address (“I did not sign up”)',
          'The reader of the verification link says they did not create the account that bears their address (someone may have signed up with it, and a passkey of their own, to take over the account its owner would create later). Allowed only while the address is still the account’s and not verified (409 EMAIL_ALREADY_VERIFIED; 404 EMAIL_VERIFICATION_NOT_FOUND when the address changed). When the account’s userKey is the address (every self-service sign-up of a store that verifies addresses) the account is deleted — passkeys, sessions, recovery links and whatever the OpenID Provider issued for it — and the address can sign up anew (`accountDeleted`; the link goes with the account, so it then answers EMAIL_VERIFICATION_NOT_FOUND). When the userKey is something else, the account stays and only loses the address (`emailRemoved`). One transaction, the link used up, audited as `selfservice.email.disown`; 409 EDIT_CONFLICT when the account changed meanwhile (try again).',
        ),
        params: StoreParams,
        body: VerifyEmailBody,
        response: { 200: DisownEmailAnswer },
      },
      config: { errors: [...LIMITED, ...EMAIL_LINK, 'EMAIL_ALREADY_VERIFIED', 'EDIT_CONFLICT'] },
    },
    async (request) => selfService.disownEmail(browser(request), request.body.token),
  );

  app.post(
    '/recovery/finish',
    {
      schema: {
        operationId: 'finishRecovery',
        ...doc(
          'Finish an account recovery',
          'Stores the new passkey and uses up the link in one transaction (it works once), revokes the account’s other outstanding recovery links, optionally deletes the other passkeys and ends the other sessions, and signs the browser in. Through a link the lost-passkey e-mail carried, to an account whose e-mail address is not verified, the other passkeys and sessions are removed whatever `revokeOthers` says (someone else may have signed up with the address and a passkey of their own), and the address becomes verified; `revokedBecause` says which.',
        ),
        params: StoreParams,
        body: RecoveryFinishBody,
        response: { 201: RecoveryFinishAnswer },
      },
      config: { errors: [...REGISTRATION_FINISH, ...LINK] },
    },
    async (request, reply) => {
      const recovered = await selfService.recoveryFinish(browser(request), {
        ...request.body,
        credential: request.body.credential as RegistrationResponseJSON,
      });
      setSessionCookie(reply, request, recovered.session);
      return reply.code(201).send(recovered.body);
    },
  );
}
