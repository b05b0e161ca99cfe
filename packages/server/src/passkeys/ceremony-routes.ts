import type { TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/catalogue.ts';
import { emptyBodyIsEmptyObject } from '../http/optional-body.ts';
import { CeremonySessionIdParam, PolicyNameParam, RpIdParam, StoreNameSchema, UserExtIdParam, UserIdParam, pathParams } from '../http/path-params.ts';
import { actorOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import {
  AuthenticationResponseBody,
  AuthenticationResultSchema,
  RegistrationResponseBody,
  StartAuthenticationBody,
  StartRegistrationBody,
  StartedAuthenticationSchema,
  StartedRegistrationSchema,
} from './ceremony-schemas.ts';
import { PasskeySchema } from './passkey-record.ts';

/** TrustX's ceremony permissions (`IdentityStore:…`); a completion needs the non-ext permission of its ceremony. */
const REGISTER = 'IdentityStore:createPasskeyRegistrationForUser';
const REGISTER_BY_EXT_ID = 'IdentityStore:createPasskeyRegistrationForUserByExtId';
const AUTHENTICATE = 'IdentityStore:createPasskeyAuthenticationForUser';
const AUTHENTICATE_BY_EXT_ID = 'IdentityStore:createPasskeyAuthenticationForUserByExtId';

const START_REGISTRATION_ERRORS: ErrorCode[] = [
  'STORE_NOT_FOUND',
  'USER_NOT_FOUND',
  'RELYING_PARTY_NOT_FOUND',
  'POLICY_NOT_FOUND',
  'USER_DISABLED',
  'USER_HANDLE_CONFLICT',
];
const START_AUTHENTICATION_ERRORS: ErrorCode[] = [
  'STORE_NOT_FOUND',
  'USER_NOT_FOUND',
  'RELYING_PARTY_NOT_FOUND',
  'POLICY_NOT_FOUND',
  'USER_DISABLED',
  'PASSKEY_NOT_FOUND',
];
/** Session and common WebAuthn checks (WebAuthn §7.1 / §7.2), in the order they run. */
const COMPLETION_ERRORS: ErrorCode[] = [
  'STORE_NOT_FOUND',
  'SESSION_NOT_FOUND',
  'SESSION_ALREADY_USED',
  'CHALLENGE_EXPIRED',
  'USER_NOT_FOUND',
  'USER_DISABLED',
  'RELYING_PARTY_NOT_FOUND',
  'POLICY_NOT_FOUND',
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
const COMPLETE_REGISTRATION_ERRORS: ErrorCode[] = [
  ...COMPLETION_ERRORS,
  'SYNCED_PASSKEY_NOT_ALLOWED',
  'ALGORITHM_NOT_ALLOWED',
  'CREDENTIAL_PUBLIC_KEY_INVALID',
  'ATTESTATION_INVALID',
  'ATTESTATION_NOT_TRUSTED',
  'CREDENTIAL_ID_TOO_LONG',
  'CREDENTIAL_ALREADY_REGISTERED',
];
const COMPLETE_AUTHENTICATION_ERRORS: ErrorCode[] = [
  ...COMPLETION_ERRORS,
  'CREDENTIAL_NOT_ALLOWED',
  'USER_HANDLE_MISMATCH',
  'SIGNATURE_INVALID',
  'COUNTER_REGRESSION',
  'TENANT_NOT_FOUND',
];

export interface CeremonyRoutesOptions {
  services: Services;
  /** Registered a second time under `/api/identity-store/:tenantId` (TrustX's tenant paths); hidden from the docs. */
  tenantAlias?: boolean;
}

/** The four passkey ceremony endpoints, at the paths TrustX gives them, by user id and by external id. */
export async function ceremonyRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: CeremonyRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ceremonies = services.ceremonies;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (summary: string, description: string) => ({ tags: ['passkey ceremonies'], summary, description, ...(tenantAlias ? { hide: true } : {}) });
  const context = (request: FastifyRequest) => ({ via: 'api', requestId: request.id });

  const sessionParams = params({ storeName: StoreNameSchema, userId: UserIdParam, sessionId: CeremonySessionIdParam });

  // ── registration ──
  const registrationStart = (byExtId: boolean) => ({
    ...doc(
      `Start a passkey registration for a user by ${byExtId ? 'external id' : 'id'}`,
      'Builds PublicKeyCredentialCreationOptionsJSON from the registration policy and opens a single-use session that expires at the policy timeout.' +
        (byExtId ? ' With createUser, a user with this externalId is created when absent.' : ' createUser applies to the …/ext path only.'),
    ),
    body: StartRegistrationBody,
    response: { 200: StartedRegistrationSchema },
  });

  app.post(
    '/stores/:storeName/users/:userId/passkeys/relyingParties/:rpId/registrations/:regPolicyName',
    {
      schema: {
        operationId: 'startPasskeyRegistration',
        ...registrationStart(false),
        params: params({ storeName: StoreNameSchema, userId: UserIdParam, rpId: RpIdParam, regPolicyName: PolicyNameParam }),
      },
      config: { permission: REGISTER, errors: START_REGISTRATION_ERRORS },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (request) => {
      const { storeName, userId, rpId, regPolicyName } = request.params;
      const started = await ceremonies.startRegistration(actorOf(request), {
        ...request.body,
        createUser: false,
        storeName,
        user: { id: userId },
        rpId,
        policyName: regPolicyName,
        context: context(request),
      });
      return { clientRequest: started.clientRequest, sessionId: started.sessionId };
    },
  );

  app.post(
    '/stores/:storeName/users/:userExtId/passkeys/relyingParties/:rpId/registrations/:regPolicyName/ext',
    {
      schema: {
        operationId: 'startPasskeyRegistrationByExtId',
        ...registrationStart(true),
        params: params({ storeName: StoreNameSchema, userExtId: UserExtIdParam, rpId: RpIdParam, regPolicyName: PolicyNameParam }),
      },
      config: { permission: REGISTER_BY_EXT_ID, errors: [...START_REGISTRATION_ERRORS, 'EXT_ID_NOT_UNIQUE', 'USER_KEY_NOT_UNIQUE'] },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (request) => {
      const { storeName, userExtId, rpId, regPolicyName } = request.params;
      const started = await ceremonies.startRegistration(actorOf(request), {
        ...request.body,
        storeName,
        user: { externalId: userExtId },
        rpId,
        policyName: regPolicyName,
        context: context(request),
      });
      return { clientRequest: started.clientRequest, sessionId: started.sessionId };
    },
  );

  app.post(
    '/stores/:storeName/users/:userId/passkeys/registrations/sessions/:sessionId',
    {
      schema: {
        operationId: 'completePasskeyRegistration',
        ...doc(
          'Complete a passkey registration',
          'Verifies the browser’s PublicKeyCredential.toJSON() against the session (WebAuthn §7.1) and stores the passkey. Each failed check has its own code and changes nothing.',
        ),
        params: sessionParams,
        body: RegistrationResponseBody,
        response: { 201: PasskeySchema },
      },
      config: { permission: REGISTER, errors: COMPLETE_REGISTRATION_ERRORS },
    },
    async (request, reply) => {
      const { storeName, userId, sessionId } = request.params;
      const passkey = await ceremonies.completeRegistration(actorOf(request), {
        storeName,
        userId,
        sessionId,
        response: request.body as RegistrationResponseJSON,
      });
      return reply.code(201).send(passkey);
    },
  );

  // ── authentication ──
  const authenticationStart = (byExtId: boolean) => ({
    ...doc(
      `Start a passkey authentication for a user by ${byExtId ? 'external id' : 'id'}`,
      'Builds PublicKeyCredentialRequestOptionsJSON listing the user’s passkeys for the relying party and opens a single-use session that expires at the policy timeout.',
    ),
    body: StartAuthenticationBody,
    response: { 200: StartedAuthenticationSchema },
  });

  app.post(
    '/stores/:storeName/users/:userId/passkeys/relyingParties/:rpId/authentications/:authPolicyName',
    {
      schema: {
        operationId: 'startPasskeyAuthentication',
        ...authenticationStart(false),
        params: params({ storeName: StoreNameSchema, userId: UserIdParam, rpId: RpIdParam, authPolicyName: PolicyNameParam }),
      },
      config: { permission: AUTHENTICATE, errors: START_AUTHENTICATION_ERRORS },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (request) => {
      const { storeName, userId, rpId, authPolicyName } = request.params;
      const started = await ceremonies.startAuthentication(actorOf(request), {
        storeName,
        user: { id: userId },
        rpId,
        policyName: authPolicyName,
        context: context(request),
      });
      return { clientRequest: started.clientRequest, sessionId: started.sessionId };
    },
  );

  app.post(
    '/stores/:storeName/users/:userExtId/passkeys/relyingParties/:rpId/authentications/:authPolicyName/ext',
    {
      schema: {
        operationId: 'startPasskeyAuthenticationByExtId',
        ...authenticationStart(true),
        params: params({ storeName: StoreNameSchema, userExtId: UserExtIdParam, rpId: RpIdParam, authPolicyName: PolicyNameParam }),
      },
      config: { permission: AUTHENTICATE_BY_EXT_ID, errors: START_AUTHENTICATION_ERRORS },
      preValidation: emptyBodyIsEmptyObject,
    },
    async (request) => {
      const { storeName, userExtId, rpId, authPolicyName } = request.params;
      const started = await ceremonies.startAuthentication(actorOf(request), {
        storeName,
        user: { externalId: userExtId },
        rpId,
        policyName: authPolicyName,
        context: context(request),
      });
      return { clientRequest: started.clientRequest, sessionId: started.sessionId };
    },
  );

  app.post(
    '/stores/:storeName/users/:userId/passkeys/authentications/sessions/:sessionId',
    {
      schema: {
        operationId: 'completePasskeyAuthentication',
        ...doc(
          'Complete a passkey authentication',
          'Verifies the browser’s PublicKeyCredential.toJSON() against the session (WebAuthn §7.2), advances the signature counter and answers the user, the passkey and a signed ID token. Each failed check has its own code and changes nothing.',
        ),
        params: sessionParams,
        body: AuthenticationResponseBody,
        response: { 200: AuthenticationResultSchema },
      },
      config: { permission: AUTHENTICATE, errors: COMPLETE_AUTHENTICATION_ERRORS },
    },
    async (request) => {
      const { storeName, userId, sessionId } = request.params;
      const { user, credential, idToken } = await ceremonies.completeAuthentication(actorOf(request), {
        storeName,
        userId,
        sessionId,
        response: request.body as AuthenticationResponseJSON,
      });
      return { user, credential, idToken };
    },
  );
}
