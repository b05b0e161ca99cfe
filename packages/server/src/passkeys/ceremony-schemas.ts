import { Type } from '@sinclair/typebox';
import { UserSchema } from '../identity/user-schemas.ts';
import { PasskeySchema } from './passkey-record.ts';

/**
 * Request and response shapes of the ceremony endpoints. The options are the standard
 * WebAuthn JSON dictionaries (L3 §5.1.9 `PublicKeyCredentialCreationOptionsJSON` /
 * `PublicKeyCredentialRequestOptionsJSON`); the completion bodies are `PublicKeyCredential.toJSON()`.
 * Completion bodies are checked loosely here (shape only, unknown members allowed, as browsers add
 * them over time); the verification answers precise ceremony codes for everything else.
 */

const Base64url = (description: string, maxLength = 16_384) => Type.String({ pattern: '^[A-Za-z0-9_-]*={0,2}$', maxLength, description });

export const StartRegistrationBody = Type.Object(
  {
    userName: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'user.name shown by authenticators; default the user’s e-mail, else userKey. With createUser, also the new user’s userKey',
      }),
    ),
    userDisplayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'user.displayName; default first and last name, else userName' })),
    userHandle: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,86}={0,2}$',
        description: 'base64url WebAuthn user handle of at most 64 bytes; used when the user has none yet (otherwise it must equal the one the user has)',
      }),
    ),
    createUser: Type.Optional(Type.Boolean({ description: 'With the …/ext path: create the user with this externalId when absent (TrustX “Create User”)' })),
  },
  { title: 'StartPasskeyRegistrationRequest', additionalProperties: false },
);

export const StartAuthenticationBody = Type.Object(
  {},
  { title: 'StartPasskeyAuthenticationRequest', additionalProperties: false, description: 'No parameters (TrustX sends {})' },
);

const Descriptor = Type.Object({
  type: Type.String({ description: '"public-key"' }),
  id: Type.String(),
  transports: Type.Optional(Type.Array(Type.String())),
});

// Members the WebAuthn dictionaries make optional are optional here too (Keyway always sends them).
export const CreationOptionsSchema = Type.Object(
  {
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
    user: Type.Object({ id: Type.String({ description: 'The user handle, base64url' }), name: Type.String(), displayName: Type.String() }),
    challenge: Type.String({ description: '32 random bytes, base64url' }),
    pubKeyCredParams: Type.Array(Type.Object({ type: Type.String({ description: '"public-key"' }), alg: Type.Integer() })),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(Type.Array(Descriptor)),
    authenticatorSelection: Type.Optional(
      Type.Object({
        authenticatorAttachment: Type.Optional(Type.String()),
        residentKey: Type.Optional(Type.String()),
        requireResidentKey: Type.Optional(Type.Boolean()),
        userVerification: Type.Optional(Type.String()),
      }),
    ),
    hints: Type.Optional(Type.Array(Type.String())),
    attestation: Type.Optional(Type.String()),
    extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
  },
  {
    title: 'PublicKeyCredentialCreationOptionsJSON',
    description: 'PublicKeyCredentialCreationOptionsJSON, for PublicKeyCredential.parseCreationOptionsFromJSON',
  },
);

export const RequestOptionsSchema = Type.Object(
  {
    challenge: Type.String({ description: '32 random bytes, base64url' }),
    timeout: Type.Optional(Type.Integer()),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(Descriptor)),
    userVerification: Type.Optional(Type.String()),
    hints: Type.Optional(Type.Array(Type.String())),
  },
  { title: 'PublicKeyCredentialRequestOptionsJSON', description: 'PublicKeyCredentialRequestOptionsJSON, for PublicKeyCredential.parseRequestOptionsFromJSON' },
);

export const StartedRegistrationSchema = Type.Object(
  { clientRequest: CreationOptionsSchema, sessionId: Type.String() },
  { title: 'StartedPasskeyRegistration' },
);
export const StartedAuthenticationSchema = Type.Object(
  { clientRequest: RequestOptionsSchema, sessionId: Type.String() },
  { title: 'StartedPasskeyAuthentication' },
);

const credentialFields = {
  id: Base64url('Credential ID', 2048),
  rawId: Base64url('Credential ID (same as id)', 2048),
  type: Type.String({ description: '"public-key"' }),
  authenticatorAttachment: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  clientExtensionResults: Type.Optional(Type.Object({}, { additionalProperties: true })),
};

export const RegistrationResponseBody = Type.Object(
  {
    ...credentialFields,
    response: Type.Object(
      {
        clientDataJSON: Base64url('CollectedClientData JSON'),
        attestationObject: Base64url('CBOR attestation object', 65_536),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 })),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(Base64url('SubjectPublicKeyInfo')),
        authenticatorData: Type.Optional(Base64url('Authenticator data', 65_536)),
      },
      { additionalProperties: true },
    ),
  },
  {
    title: 'RegistrationResponseJSON',
    additionalProperties: true,
    description: 'RegistrationResponseJSON: the browser’s PublicKeyCredential.toJSON() after navigator.credentials.create()',
  },
);

export const AuthenticationResponseBody = Type.Object(
  {
    ...credentialFields,
    response: Type.Object(
      {
        clientDataJSON: Base64url('CollectedClientData JSON'),
        authenticatorData: Base64url('Authenticator data', 65_536),
        signature: Base64url('Assertion signature'),
        userHandle: Type.Optional(Type.Union([Base64url('User handle', 128), Type.Null()])),
      },
      { additionalProperties: true },
    ),
  },
  {
    title: 'AuthenticationResponseJSON',
    additionalProperties: true,
    description: 'AuthenticationResponseJSON: the browser’s PublicKeyCredential.toJSON() after navigator.credentials.get()',
  },
);

export const AuthenticationResultSchema = Type.Object(
  {
    user: Type.Object(UserSchema.properties),
    credential: PasskeySchema,
    idToken: Type.String({
      description: 'ES256 JWT from the tenant’s signing key (JWKS at /{tenantId}/.well-known/jwks.json): sub = user id, aud = RP ID, amr from the credential',
    }),
  },
  { title: 'PasskeyAuthenticationResult' },
);
