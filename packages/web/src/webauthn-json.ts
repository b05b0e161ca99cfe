// WebAuthn Level 3 JSON methods (§5.1.8–5.1.10) where the browser has them, a small equivalent where not.
import { fromBase64Url, toBase64Url } from './base64url.ts';

/** The static methods as optional, so feature detection type-checks honestly. */
interface PublicKeyCredentialStatics {
  parseCreationOptionsFromJSON?(options: PublicKeyCredentialCreationOptionsJSON): PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON?(options: PublicKeyCredentialRequestOptionsJSON): PublicKeyCredentialRequestOptions;
}

/** `PublicKeyCredential.toJSON()`: a registration or an authentication response (base64url members). */
export interface CredentialJSON {
  id: string;
  rawId: string;
  type: string;
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
  response: Record<string, unknown>;
}

function statics(): PublicKeyCredentialStatics {
  return PublicKeyCredential as unknown as PublicKeyCredentialStatics;
}

function descriptors(list: PublicKeyCredentialDescriptorJSON[] | undefined): PublicKeyCredentialDescriptor[] | undefined {
  return list?.map((d) => ({
    ...d,
    type: d.type as PublicKeyCredentialType,
    id: fromBase64Url(d.id),
    transports: d.transports as AuthenticatorTransport[] | undefined,
  }));
}

/** Creation options JSON → the options `navigator.credentials.create` takes. */
export function parseCreationOptions(json: PublicKeyCredentialCreationOptionsJSON): PublicKeyCredentialCreationOptions {
  const native = statics().parseCreationOptionsFromJSON;
  if (typeof native === 'function') return native.call(PublicKeyCredential, json);
  const { challenge, user, excludeCredentials, attestation, ...rest } = json;
  return {
    ...rest,
    ...(attestation ? { attestation: attestation as AttestationConveyancePreference } : {}),
    challenge: fromBase64Url(challenge),
    user: { ...user, id: fromBase64Url(user.id) },
    ...(excludeCredentials ? { excludeCredentials: descriptors(excludeCredentials) } : {}),
  } as PublicKeyCredentialCreationOptions;
}

/** Request options JSON → the options `navigator.credentials.get` takes. */
export function parseRequestOptions(json: PublicKeyCredentialRequestOptionsJSON): PublicKeyCredentialRequestOptions {
  const native = statics().parseRequestOptionsFromJSON;
  if (typeof native === 'function') return native.call(PublicKeyCredential, json);
  const { challenge, allowCredentials, userVerification, ...rest } = json;
  return {
    ...rest,
    ...(userVerification ? { userVerification: userVerification as UserVerificationRequirement } : {}),
    challenge: fromBase64Url(challenge),
    ...(allowCredentials ? { allowCredentials: descriptors(allowCredentials) } : {}),
  } as PublicKeyCredentialRequestOptions;
}

/** Extension outputs may hold ArrayBuffers (prf, largeBlob): encode them as the JSON form does. */
function jsonValue(value: unknown): unknown {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return toBase64Url(value as ArrayBuffer);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
}

/** Level 2 getters, optional because older browsers lack some of them. */
interface AttestationResponseL2 {
  clientDataJSON: ArrayBuffer;
  attestationObject: ArrayBuffer;
  getTransports?(): string[];
  getPublicKey?(): ArrayBuffer | null;
  getPublicKeyAlgorithm?(): number;
  getAuthenticatorData?(): ArrayBuffer;
}

/** `credential.toJSON()` where present; otherwise the same JSON built by hand (§5.1, RegistrationResponseJSON / AuthenticationResponseJSON). */
export function credentialToJSON(credential: PublicKeyCredential): CredentialJSON {
  const native = (credential as { toJSON?: () => CredentialJSON }).toJSON;
  if (typeof native === 'function') return native.call(credential);
  const base = {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? null,
    clientExtensionResults: jsonValue(credential.getClientExtensionResults()) as Record<string, unknown>,
  };
  const response = credential.response;
  if ('attestationObject' in response) {
    const r = response as unknown as AttestationResponseL2;
    const publicKey = r.getPublicKey?.();
    const authenticatorData = r.getAuthenticatorData?.();
    return {
      ...base,
      response: {
        clientDataJSON: toBase64Url(r.clientDataJSON),
        attestationObject: toBase64Url(r.attestationObject),
        transports: r.getTransports?.() ?? [],
        ...(authenticatorData ? { authenticatorData: toBase64Url(authenticatorData) } : {}),
        ...(publicKey ? { publicKey: toBase64Url(publicKey) } : {}),
        ...(r.getPublicKeyAlgorithm ? { publicKeyAlgorithm: r.getPublicKeyAlgorithm() } : {}),
      },
    };
  }
  const r = response as AuthenticatorAssertionResponse;
  return {
    ...base,
    response: {
      clientDataJSON: toBase64Url(r.clientDataJSON),
      authenticatorData: toBase64Url(r.authenticatorData),
      signature: toBase64Url(r.signature),
      ...(r.userHandle ? { userHandle: toBase64Url(r.userHandle) } : {}),
    },
  };
}
