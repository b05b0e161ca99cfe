// The browser half of the operator's passkey ceremonies, with the SDK's WebAuthn JSON helpers
// (Level 3 parse*FromJSON / toJSON where the browser has them, WebAuthn §5.1.8–5.1.10).
import { credentialToJSON, parseCreationOptions, parseRequestOptions, type CredentialJSON } from '../../../web/src/webauthn-json.ts';

export async function createPasskey(publicKey: PublicKeyCredentialCreationOptionsJSON): Promise<CredentialJSON> {
  const credential = await navigator.credentials.create({ publicKey: parseCreationOptions(publicKey) });
  if (!credential) throw new DOMException('No credential', 'NotAllowedError');
  return credentialToJSON(credential as PublicKeyCredential);
}

export async function getPasskey(publicKey: PublicKeyCredentialRequestOptionsJSON): Promise<CredentialJSON> {
  const credential = await navigator.credentials.get({ publicKey: parseRequestOptions(publicKey) });
  if (!credential) throw new DOMException('No credential', 'NotAllowedError');
  return credentialToJSON(credential as PublicKeyCredential);
}

/** The user cancelled or the prompt timed out: not an error worth a code. */
export function isCancelled(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'NotAllowedError' || error.name === 'AbortError');
}
