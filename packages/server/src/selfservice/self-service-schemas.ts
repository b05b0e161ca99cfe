import { Type } from '@sinclair/typebox';
import { UserSchema } from '../identity/user-schemas.ts';
import { CreationOptionsSchema, RegistrationResponseBody, RequestOptionsSchema } from '../passkeys/ceremony-schemas.ts';
import { MAX_PASSKEY_NAME_LENGTH } from '../passkeys/credential-service.ts';
import { PasskeySchema } from '../passkeys/passkey-record.ts';
import { MAX_IDENTIFIER_LENGTH } from './self-service-service.ts';

/** Request and response shapes of the browser self-service API (SecureAuth-style WebAuthn begin/finish). */

const User = Type.Object({
  ...UserSchema.properties,
  displayName: Type.String({ description: 'The sign-up display name; else first and last name; else userKey' }),
});

export const SignUpChallengeAnswer = Type.Object(
  {
    algorithm: Type.Literal('SHA-256'),
    challenge: Type.String({ description: 'hex SHA-256 of salt ‖ number' }),
    maxnumber: Type.Integer({ description: 'The number is at most this' }),
    salt: Type.String({ description: 'Random, with the expiry: `…?expires=<Unix seconds>`' }),
    signature: Type.String({ description: 'hex HMAC-SHA256 of the challenge under the tenant’s key' }),
  },
  { title: 'SignUpChallenge', additionalProperties: false },
);

export const RegisterBeginBody = Type.Object(
  {
    identifier: Type.String({
      minLength: 1,
      maxLength: MAX_IDENTIFIER_LENGTH,
      format: 'identifier',
      description: 'The new account’s userKey (trimmed), e.g. an e-mail address; unique by its comparison form (NFKC, lower-cased)',
    }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Shown by authenticators; default the identifier' })),
    challenge: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: 'With signUpChallenge on: the solved challenge of POST …/register/challenge, base64 of {algorithm, challenge, number, salt, signature}',
      }),
    ),
  },
  { title: 'BeginSignUpRequest', additionalProperties: false },
);

export const LoginOptionsBody = Type.Object(
  {
    identifier: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_IDENTIFIER_LENGTH,
        format: 'identifier',
        description: 'Absent: a discoverable (usernameless / autofill) sign-in; matched by comparison form (NFKC, lower-cased)',
      }),
    ),
  },
  { title: 'BeginSignInRequest', additionalProperties: false },
);

export const CreationOptionsAnswer = Type.Object({ publicKey: CreationOptionsSchema });
export const RequestOptionsAnswer = Type.Object({ publicKey: RequestOptionsSchema });

export const SignedUpAnswer = Type.Object({ user: User, credential: PasskeySchema });
export const SignedInAnswer = Type.Object({
  user: User,
  credential: PasskeySchema,
  idToken: Type.String({ description: 'ES256 JWT from the tenant’s signing key: sub = user id, aud = RP ID' }),
});

export const MeAnswer = Type.Object({
  user: User,
  session: Type.Object({
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    authenticatedAt: Type.String({ format: 'date-time' }),
  }),
});

export const MyPasskeySchema = Type.Object(
  {
    id: Type.String({ description: 'The WebAuthn credential ID, base64url' }),
    name: Type.Union([Type.String(), Type.Null()]),
    authenticatorName: Type.Union([Type.String(), Type.Null()], { description: 'The passkey provider behind the AAGUID, when known' }),
    authenticatorIcon: Type.Union([Type.String(), Type.Null()], { description: 'data: URI of the provider’s icon, when the catalogue has one' }),
    synced: Type.Boolean({ description: 'Backed up (BS) as of the last use' }),
    backupEligible: Type.Boolean(),
    transports: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    current: Type.Boolean({ description: 'The passkey this session signed in with' }),
    device: Type.Union([Type.String(), Type.Null()], {
      description: 'Where the passkey was created (“Chrome on Android”), from the browser that registered it; null when unknown',
    }),
  },
  { title: 'MyPasskey' },
);

export const MyPasskeysAnswer = Type.Object({
  items: Type.Array(MyPasskeySchema),
  rpId: Type.String(),
  userId: Type.Union([Type.String(), Type.Null()], {
    description: 'The WebAuthn user handle (base64url), for signalAllAcceptedCredentials / signalCurrentUserDetails',
  }),
  allCredentialIds: Type.Array(Type.String()),
});

export const RenameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_PASSKEY_NAME_LENGTH }) },
  { title: 'RenamePasskeyRequest', additionalProperties: false },
);

const RecoveryToken = Type.String({ minLength: 1, maxLength: 128, description: 'The token from the recovery link’s fragment' });
export const RecoveryBeginBody = Type.Object({ token: RecoveryToken }, { title: 'BeginRecoveryRequest', additionalProperties: false });
export const RecoveryBeginAnswer = Type.Object({ publicKey: CreationOptionsSchema, user: Type.Object({ userKey: Type.String(), displayName: Type.String() }) });
export const RecoveryFinishBody = Type.Object(
  {
    token: RecoveryToken,
    credential: RegistrationResponseBody,
    revokeOthers: Type.Boolean({
      description:
        'Delete the account’s other passkeys and end its other sessions. An e-mailed link to an account whose address is not verified does this in any case (and verifies the address)',
    }),
  },
  { title: 'FinishRecoveryRequest', additionalProperties: false },
);
export const RecoveryFinishAnswer = Type.Object({
  user: User,
  credential: PasskeySchema,
  revokedPasskeys: Type.Integer({ description: 'The account’s other passkeys deleted' }),
  revokedSessions: Type.Integer({ description: 'The account’s other browser sessions ended' }),
  revokedRecoveryLinks: Type.Integer({ description: 'The account’s other outstanding recovery links revoked (every recovery revokes them)' }),
  revokedBecause: Type.Union([Type.Literal('requested'), Type.Literal('emailUnverified'), Type.Null()], {
    description:
      'Why they were revoked: `requested` (revokeOthers), `emailUnverified` (an e-mailed link to an address nobody had verified: the account’s other access may be someone else’s), null: nothing was',
  }),
});

// ── admin ──
export const RecoveryLinkBody = Type.Object(
  { ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800, description: 'Default: the store’s selfService.recoveryLinkTtlSeconds' })) },
  { title: 'CreateRecoveryLinkRequest', additionalProperties: false },
);
export const RecoveryLinkAnswer = Type.Object({
  id: Type.String(),
  url: Type.String({ description: '<KEYWAY_PUBLIC_URL>/{tenantId}/identity/{storeName}/recover#<token>; the token is shown only here' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
export const BrowserSessionSchema = Type.Object(
  {
    id: Type.String(),
    userId: Type.String(),
    credentialId: Type.Union([Type.String(), Type.Null()], { description: 'The passkey it signed in with' }),
    clientIp: Type.Union([Type.String(), Type.Null()]),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    authenticatedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { title: 'BrowserSession' },
);

export const RecoveryEmailBody = Type.Object(
  {
    email: Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'The e-mail address of the account' }),
    language: Type.Optional(
      Type.String({
        pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$',
        maxLength: 35,
        description: 'The e-mail’s language when the account names none (e.g. the page’s)',
      }),
    ),
  },
  { title: 'RecoveryEmailRequest', additionalProperties: false },
);
export const RecoveryEmailAnswer = Type.Object(
  { accepted: Type.Literal(true, { description: 'Always true: the answer does not tell whether the address has an account' }) },
  { title: 'RecoveryEmailAnswer' },
);

export const VerifyEmailBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 128, description: 'The token from the verification link’s fragment' }) },
  { title: 'VerifyEmailRequest', additionalProperties: false },
);
export const VerifyEmailAnswer = Type.Object({ email: Type.String({ description: 'The address now verified' }) }, { title: 'VerifyEmailAnswer' });
export const EmailVerificationDetailsAnswer = Type.Object(
  {
    email: Type.String({ description: 'The address the link was sent to, which is still the account’s' }),
    userKey: Type.String({ description: 'The account’s identifier (at a sign-up of a store that verifies addresses: the address as typed)' }),
    createdAt: Type.String({ format: 'date-time', description: 'When the account was created' }),
    emailVerified: Type.Boolean({ description: 'Whether the address is verified already (then …/email/disown refuses)' }),
    userKeyIsEmail: Type.Boolean({
      description: 'Whether the account’s userKey is this address: then …/email/disown deletes the account, else it only removes the address from it',
    }),
  },
  { title: 'EmailVerificationDetails' },
);
export const DisownEmailAnswer = Type.Object(
  {
    email: Type.String({ description: 'The address the link was sent to' }),
    outcome: Type.Union([Type.Literal('accountDeleted'), Type.Literal('emailRemoved')], {
      description:
        '`accountDeleted`: the account, whose identifier is this address, is deleted with its passkeys and sessions; `emailRemoved`: the account (whose identifier is something else) stays, without this address',
    }),
  },
  { title: 'DisownEmailAnswer' },
);
