import { Type, type Static, type TOptional, type TProperties, type TSchema } from '@sinclair/typebox';
import { DEFAULT_ALGORITHMS } from './passkey-config.ts';

/**
 * Request and response shapes of a store's passkey configuration: relying parties,
 * registration policies and authentication policies. Field names follow the WebAuthn dictionaries.
 * Shape and ranges are checked here; rules that span fields or need parsing (RP ID, origins,
 * algorithms, certificates) are checked by the services, which name the offending field.
 */

/** COSE algorithm identifiers @simplewebauthn/server verifies, with their names (IANA COSE registry). */
export const SUPPORTED_ALGORITHMS: Readonly<Record<number, string>> = {
  [-7]: 'ES256',
  [-8]: 'EdDSA',
  [-35]: 'ES384',
  [-36]: 'ES512',
  [-37]: 'PS256',
  [-38]: 'PS384',
  [-39]: 'PS512',
  [-257]: 'RS256',
  [-258]: 'RS384',
  [-259]: 'RS512',
  [-65535]: 'RS1',
};

export const MIN_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 600_000;
export const DEFAULT_TIMEOUT_MS = 300_000;

const withDefault = <T extends TSchema>(schema: T, value: unknown) => ({ ...schema, default: value }) as T;

/** A create body's fields: all optional, those named in `defaults` filled with that default when omitted. */
const optionalWithDefaults = <F extends TProperties>(fields: F, defaults: { readonly [K in keyof F]?: unknown }) =>
  Object.fromEntries(Object.entries(fields).map(([key, schema]) => [key, Type.Optional(key in defaults ? withDefault(schema, defaults[key]) : schema)])) as {
    [K in keyof F]: TOptional<F[K]>;
  };

/** A PATCH body: the same fields, all optional and without defaults (an omitted field is kept), at least one. */
const patchBody = <F extends TProperties>(fields: F) => Type.Object(optionalWithDefaults(fields, {}), { additionalProperties: false, minProperties: 1 });

// ── relying parties ──────────────────────────────────────────────────────

export const RpIdSchema = Type.String({
  minLength: 1,
  maxLength: 253,
  description: 'The RP ID: a registrable domain (example.com, login.example.com) or localhost; lower-case',
});
const Origin = Type.String({ minLength: 1, maxLength: 2048 });
const OriginList = (description: string) => Type.Array(Origin, { maxItems: 100, uniqueItems: true, description });

const AndroidAppSchema = Type.Object(
  {
    packageName: Type.String({
      pattern: '^[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)+$',
      maxLength: 255,
      description: 'Android application id, e.g. com.example.app',
    }),
    sha256CertFingerprints: Type.Array(Type.String({ pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$' }), {
      minItems: 1,
      maxItems: 20,
      uniqueItems: true,
      description: 'SHA-256 fingerprints of the signing certificates, AA:BB:… (stored upper-case)',
    }),
  },
  { additionalProperties: false },
);

const rpFields = {
  name: Type.String({ minLength: 1, maxLength: 256, description: 'Shown by authenticators as the RP name' }),
  origins: Type.Array(Origin, {
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    description:
      'Exact origins allowed to run ceremonies: https://host[:port] on the RP ID or a subdomain of it (http://localhost[:port] for development), a declared related origin, or android:apk-key-hash:<base64url SHA-256>',
  }),
  relatedOrigins: OriginList('Origins on other domains allowed to use this RP ID (WebAuthn L3 §5.11), served in /.well-known/webauthn'),
  topOrigins: OriginList(
    'Top-level web origins (https://host[:port]) of pages that may embed this RP’s ceremonies in a cross-origin iframe. A ceremony with clientDataJSON.crossOrigin true is accepted only with a topOrigin listed here; empty (the default): cross-origin ceremonies are refused',
  ),
  androidApps: Type.Array(AndroidAppSchema, { maxItems: 50, description: 'Apps served in /.well-known/assetlinks.json' }),
  appleAppIds: Type.Array(Type.String({ pattern: '^[A-Z0-9]{10}\\.[A-Za-z0-9][A-Za-z0-9.-]{0,154}$' }), {
    maxItems: 50,
    uniqueItems: true,
    description: 'TEAMID.bundle.id entries served in the webcredentials section of /.well-known/apple-app-site-association',
  }),
};

export const CreateRelyingPartyBody = Type.Object(
  {
    id: RpIdSchema,
    ...optionalWithDefaults(rpFields, { relatedOrigins: [], topOrigins: [], androidApps: [], appleAppIds: [] }),
    name: rpFields.name,
    origins: rpFields.origins,
  },
  { title: 'CreateRelyingPartyRequest', additionalProperties: false },
);
export type CreateRelyingPartyInput = Static<typeof CreateRelyingPartyBody>;

/** PATCH replaces the fields it names; the RP ID is the resource's identity and cannot change. */
export const UpdateRelyingPartyBody = patchBody(rpFields);
export type UpdateRelyingPartyInput = Static<typeof UpdateRelyingPartyBody>;

export const RelyingPartySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    origins: Type.Array(Type.String()),
    relatedOrigins: Type.Array(Type.String()),
    topOrigins: Type.Array(Type.String()),
    androidApps: Type.Array(Type.Object({ packageName: Type.String(), sha256CertFingerprints: Type.Array(Type.String()) })),
    appleAppIds: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'RelyingParty' },
);

// ── policies ─────────────────────────────────────────────────────────────

export const PolicyNameSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
  description: 'Letters, digits, _ and -, at most 64; used in ceremony paths',
});

const Requirement = Type.Union([Type.Literal('discouraged'), Type.Literal('preferred'), Type.Literal('required')]);
const Hints = Type.Array(Type.Union([Type.Literal('security-key'), Type.Literal('client-device'), Type.Literal('hybrid')]), {
  maxItems: 3,
  uniqueItems: true,
  description: 'WebAuthn L3 hints, in preference order',
});
const Timeout = Type.Integer({
  minimum: MIN_TIMEOUT_MS,
  maximum: MAX_TIMEOUT_MS,
  description: 'Ceremony timeout in milliseconds (10 s to 10 min); the session expires then',
});

const AttestationTrustSchema = Type.Object(
  {
    requireTrustedAttestation: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Refuse registrations whose attestation does not chain to a trusted root (needs attestation direct or enterprise)',
      }),
    ),
    rootCertificates: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 20_000, 'x-multiline': true }), {
        maxItems: 32,
        uniqueItems: true,
        default: [],
        description: 'PEM X.509 CA certificates, one per entry',
      }),
    ),
    metadata: Type.Optional(
      Type.Object(
        {
          file: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Path of a FIDO MDS3 BLOB on the server' })),
          url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'https URL of a FIDO MDS3 BLOB' })),
        },
        { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'A FIDO MDS3 BLOB source: exactly one of file or url' },
      ),
    ),
  },
  { additionalProperties: false },
);

const registrationFields = {
  attestation: Type.Union([Type.Literal('none'), Type.Literal('indirect'), Type.Literal('direct'), Type.Literal('enterprise')], {
    description: 'Attestation conveyance',
  }),
  authenticatorAttachment: Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]),
  residentKey: Requirement,
  userVerification: Requirement,
  algorithms: Type.Array(Type.Integer(), {
    minItems: 1,
    maxItems: 16,
    uniqueItems: true,
    description: `COSE algorithm identifiers in preference order; supported: ${Object.entries(SUPPORTED_ALGORITHMS)
      .map(([id, name]) => `${id} (${name})`)
      .join(', ')}`,
  }),
  hints: Hints,
  timeout: Timeout,
  excludeCredentials: Type.Boolean({ description: 'Send the user’s existing credentials as excludeCredentials' }),
  allowSyncedPasskeys: Type.Boolean({ description: 'Accept synced (backup-eligible) passkeys; false = device-bound only' }),
  attestationTrust: AttestationTrustSchema,
};

export const REGISTRATION_DEFAULTS = {
  attestation: 'none',
  residentKey: 'preferred',
  userVerification: 'preferred',
  algorithms: DEFAULT_ALGORITHMS,
  hints: [],
  timeout: DEFAULT_TIMEOUT_MS,
  excludeCredentials: true,
  allowSyncedPasskeys: true,
  attestationTrust: { requireTrustedAttestation: false, rootCertificates: [] },
} as const;

export const CreateRegistrationPolicyBody = Type.Object(
  {
    name: PolicyNameSchema,
    ...optionalWithDefaults(registrationFields, REGISTRATION_DEFAULTS),
  },
  { title: 'CreateRegistrationPolicyRequest', additionalProperties: false },
);
export type CreateRegistrationPolicyInput = Static<typeof CreateRegistrationPolicyBody>;

/** PATCH replaces the top-level fields it names (null clears authenticatorAttachment); the result is validated whole. */
export const UpdateRegistrationPolicyBody = patchBody({
  ...registrationFields,
  authenticatorAttachment: Type.Union([registrationFields.authenticatorAttachment, Type.Null()]),
});
export type UpdateRegistrationPolicyInput = Static<typeof UpdateRegistrationPolicyBody>;

export const RegistrationPolicySchema = Type.Object(
  {
    name: Type.String(),
    attestation: Type.String(),
    authenticatorAttachment: Type.Optional(Type.String()),
    residentKey: Type.String(),
    userVerification: Type.String(),
    algorithms: Type.Array(Type.Integer()),
    hints: Type.Array(Type.String()),
    timeout: Type.Integer(),
    excludeCredentials: Type.Boolean(),
    allowSyncedPasskeys: Type.Boolean(),
    attestationTrust: Type.Object({
      requireTrustedAttestation: Type.Boolean(),
      rootCertificates: Type.Array(Type.String()),
      metadata: Type.Optional(Type.Object({ file: Type.Optional(Type.String()), url: Type.Optional(Type.String()) })),
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'RegistrationPolicy' },
);

const authenticationFields = {
  userVerification: Requirement,
  timeout: Timeout,
  allowDiscoverable: Type.Boolean({ description: 'Allow usernameless sign-in with discoverable credentials (empty allowCredentials)' }),
  hints: Hints,
};

export const AUTHENTICATION_DEFAULTS = {
  userVerification: 'preferred',
  timeout: DEFAULT_TIMEOUT_MS,
  allowDiscoverable: true,
  hints: [],
} as const;

export const CreateAuthenticationPolicyBody = Type.Object(
  {
    name: PolicyNameSchema,
    ...optionalWithDefaults(authenticationFields, AUTHENTICATION_DEFAULTS),
  },
  { title: 'CreateAuthenticationPolicyRequest', additionalProperties: false },
);
export type CreateAuthenticationPolicyInput = Static<typeof CreateAuthenticationPolicyBody>;

export const UpdateAuthenticationPolicyBody = patchBody(authenticationFields);
export type UpdateAuthenticationPolicyInput = Static<typeof UpdateAuthenticationPolicyBody>;

export const AuthenticationPolicySchema = Type.Object(
  {
    name: Type.String(),
    userVerification: Type.String(),
    timeout: Type.Integer(),
    allowDiscoverable: Type.Boolean(),
    hints: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'AuthenticationPolicy' },
);
