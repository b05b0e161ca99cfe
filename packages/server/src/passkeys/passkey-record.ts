import { Type, type Static } from '@sinclair/typebox';
import type { Selectable } from 'kysely';
import type { CredentialsTable } from '../storage/schema.ts';
import { describeAuthenticator } from './authenticator-catalog.ts';
import type { DescribeAuthenticator } from './authenticator-directory.ts';

/** A user's passkey as the API shows it (the WebAuthn credential record). Never the public key. */
export const PasskeySchema = Type.Object(
  {
    credentialId: Type.String({ description: 'The WebAuthn credential ID, base64url' }),
    name: Type.Union([Type.String(), Type.Null()], { description: 'User-editable name; defaults to the authenticator’s name when the AAGUID is known' }),
    rpId: Type.String(),
    userId: Type.String(),
    aaguid: Type.String({ description: 'The authenticator model (all zeros when it does not say)' }),
    authenticatorName: Type.Optional(Type.String({ description: 'The passkey provider behind the AAGUID, when known (display only)' })),
    authenticatorIconLight: Type.Optional(
      Type.String({
        description: 'The provider’s icon for light backgrounds, when known: a data:image/… URI (never a URL), at most 48 KiB (display only)',
      }),
    ),
    authenticatorIconDark: Type.Optional(Type.String({ description: 'The provider’s icon for dark backgrounds, when known; as authenticatorIconLight' })),
    backupEligible: Type.Boolean({ description: 'BE: the passkey can be synced' }),
    backedUp: Type.Boolean({ description: 'BS: the passkey is synced (as of its last use)' }),
    deviceType: Type.Union([Type.Literal('singleDevice'), Type.Literal('multiDevice')]),
    transports: Type.Array(Type.String()),
    counter: Type.Integer({ description: 'The signature counter as of the last use' }),
    algorithm: Type.Integer({ description: 'COSE algorithm of the credential key' }),
    userVerified: Type.Boolean({ description: 'UV at registration' }),
    attestationFormat: Type.String(),
    attestationVerified: Type.Boolean({ description: 'The attestation chained to a root the registration policy trusts' }),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'Passkey' },
);
export type Passkey = Static<typeof PasskeySchema>;

/** The API's passkey; `describe` names the provider (by default from the bundled catalogue, which has no icons). */
export function toPasskey(row: Selectable<CredentialsTable>, describe: DescribeAuthenticator = describeAuthenticator): Passkey {
  const authenticator = describe(row.aaguid);
  return {
    credentialId: row.credential_id,
    name: row.name,
    rpId: row.rp_id,
    userId: row.user_id,
    aaguid: row.aaguid,
    ...(authenticator ? { authenticatorName: authenticator.name } : {}),
    ...(authenticator?.iconLight ? { authenticatorIconLight: authenticator.iconLight } : {}),
    ...(authenticator?.iconDark ? { authenticatorIconDark: authenticator.iconDark } : {}),
    backupEligible: row.backup_eligible === 1,
    backedUp: row.backed_up === 1,
    deviceType: row.backup_eligible === 1 ? 'multiDevice' : 'singleDevice',
    transports: JSON.parse(row.transports) as string[],
    counter: Number(row.sign_count),
    algorithm: row.algorithm,
    userVerified: row.user_verified === 1,
    attestationFormat: row.attestation_format,
    attestationVerified: row.attestation_verified === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)).toISOString(),
  };
}
