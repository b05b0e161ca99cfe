import type {
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { CredentialDescriptor } from './credential-store.ts';
import type { AuthenticationPolicy, RegistrationPolicy, RelyingParty } from './passkey-config.ts';

/**
 * The standard WebAuthn JSON options (WebAuthn L3 §5.4 / §5.5, `…JSON` forms of §5.1.9), built by
 * hand from the policy so every field the policy sets reaches the browser exactly
 * (`@simplewebauthn/server`'s generators cannot express `indirect` attestation or arbitrary hints).
 * The result is usable as-is with `PublicKeyCredential.parseCreationOptionsFromJSON` /
 * `parseRequestOptionsFromJSON`.
 */

function descriptors(credentials: readonly CredentialDescriptor[]): PublicKeyCredentialDescriptorJSON[] {
  return credentials.map((c) => ({
    type: 'public-key',
    id: c.id,
    ...(c.transports.length > 0 ? { transports: c.transports as AuthenticatorTransport[] } : {}),
  }));
}

export interface CreationOptionsInput {
  rp: RelyingParty;
  policy: RegistrationPolicy;
  challenge: string;
  user: { id: string; name: string; displayName: string };
  /** The user's existing passkeys for this RP (sent only when the policy excludes them) */
  existing: readonly CredentialDescriptor[];
}

export function creationOptions({ rp, policy, challenge, user, existing }: CreationOptionsInput): PublicKeyCredentialCreationOptionsJSON {
  return {
    rp: { name: rp.name, id: rp.id },
    user,
    challenge,
    pubKeyCredParams: policy.algorithms.map((alg) => ({ type: 'public-key', alg })),
    timeout: policy.timeout,
    // §5.4: excludeCredentials stops an authenticator from registering a second credential for the account.
    excludeCredentials: policy.excludeCredentials ? descriptors(existing) : [],
    authenticatorSelection: {
      ...(policy.authenticatorAttachment === undefined ? {} : { authenticatorAttachment: policy.authenticatorAttachment }),
      residentKey: policy.residentKey,
      requireResidentKey: policy.residentKey === 'required',
      userVerification: policy.userVerification,
    },
    hints: [...policy.hints],
    attestation: policy.attestation,
    // credProps tells whether the credential became discoverable (recorded with the credential).
    extensions: { credProps: true },
  };
}

export interface RequestOptionsInput {
  rpId: string;
  policy: AuthenticationPolicy;
  challenge: string;
  /** The named user's passkeys for this RP; empty for a discoverable (usernameless) sign-in */
  allowed: readonly CredentialDescriptor[];
}

export function requestOptions({ rpId, policy, challenge, allowed }: RequestOptionsInput): PublicKeyCredentialRequestOptionsJSON {
  return {
    challenge,
    timeout: policy.timeout,
    rpId,
    allowCredentials: descriptors(allowed),
    userVerification: policy.userVerification,
    hints: [...policy.hints],
  };
}
