// WebAuthn Signal API (Level 3 §5.1.10): tell the user's passkey provider what the server knows, so
// it can hide or update stale passkeys. Best effort: absent in the browser or refused → nothing.

interface SignalStatics {
  signalUnknownCredential?(options: { rpId: string; credentialId: string }): Promise<void>;
  signalAllAcceptedCredentials?(options: { rpId: string; userId: string; allAcceptedCredentialIds: string[] }): Promise<void>;
  signalCurrentUserDetails?(options: { rpId: string; userId: string; name: string; displayName: string }): Promise<void>;
}

type SignalName = keyof SignalStatics;

/** Which signals this browser has. */
export function supportedSignals(): SignalName[] {
  if (typeof PublicKeyCredential !== 'function') return [];
  const s = PublicKeyCredential as unknown as SignalStatics;
  return (['signalUnknownCredential', 'signalAllAcceptedCredentials', 'signalCurrentUserDetails'] as const).filter((name) => typeof s[name] === 'function');
}

async function send<N extends SignalName>(name: N, options: Parameters<NonNullable<SignalStatics[N]>>[0]): Promise<boolean> {
  if (typeof PublicKeyCredential !== 'function') return false;
  const method = (PublicKeyCredential as unknown as SignalStatics)[name] as ((o: typeof options) => Promise<void>) | undefined;
  if (typeof method !== 'function') return false;
  try {
    await method.call(PublicKeyCredential, options);
    return true;
  } catch {
    // A signal is a hint; a refusal (e.g. a SecurityError for a foreign RP ID) must not fail the flow.
    return false;
  }
}

/** The server does not know this credential (it was deleted): the provider may remove it. */
export function signalUnknownCredential(rpId: string, credentialId: string): Promise<boolean> {
  return send('signalUnknownCredential', { rpId, credentialId });
}

/** The complete list of this user's credentials: the provider may hide the others. `userId` is the base64url user handle. */
export function signalAllAcceptedCredentials(rpId: string, userId: string, allAcceptedCredentialIds: string[]): Promise<boolean> {
  return send('signalAllAcceptedCredentials', { rpId, userId, allAcceptedCredentialIds });
}

/** The user's current name and display name, so the passkey shows them. */
export function signalCurrentUserDetails(rpId: string, userId: string, name: string, displayName: string): Promise<boolean> {
  return send('signalCurrentUserDetails', { rpId, userId, name, displayName });
}
