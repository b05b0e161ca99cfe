// What this browser can do, asked the Level 3 way (getClientCapabilities, §5.1.7) with the Level 2
// probes as fallback. Nothing here throws: an unknown answer is "no".

interface CapabilityStatics {
  getClientCapabilities?(): Promise<Record<string, boolean>>;
  isConditionalMediationAvailable?(): Promise<boolean>;
  isUserVerifyingPlatformAuthenticatorAvailable?(): Promise<boolean>;
}

function statics(): CapabilityStatics | undefined {
  return typeof PublicKeyCredential === 'function' ? (PublicKeyCredential as unknown as CapabilityStatics) : undefined;
}

/** WebAuthn is usable at all: the API exists and the page is a secure context. */
export function isWebAuthnAvailable(): boolean {
  return typeof window !== 'undefined' && window.isSecureContext && statics() !== undefined && typeof navigator.credentials?.get === 'function';
}

/** The browser's client capabilities (§5.1.7), or {} when it cannot say. */
export async function clientCapabilities(): Promise<Record<string, boolean>> {
  const get = statics()?.getClientCapabilities;
  if (typeof get !== 'function') return {};
  try {
    return { ...(await get.call(PublicKeyCredential)) };
  } catch {
    return {};
  }
}

/** Passkey autofill: conditional mediation for `get` (capability `conditionalGet`, else isConditionalMediationAvailable). */
export async function isAutofillAvailable(): Promise<boolean> {
  if (!isWebAuthnAvailable()) return false;
  const capabilities = await clientCapabilities();
  if (typeof capabilities.conditionalGet === 'boolean') return capabilities.conditionalGet;
  const probe = statics()?.isConditionalMediationAvailable;
  if (typeof probe !== 'function') return false;
  try {
    return await probe.call(PublicKeyCredential);
  } catch {
    return false;
  }
}

/** A platform authenticator that verifies the user (Touch ID, Windows Hello, Android screen lock…). */
export async function isPlatformAuthenticatorAvailable(): Promise<boolean> {
  if (!isWebAuthnAvailable()) return false;
  const capabilities = await clientCapabilities();
  if (typeof capabilities.userVerifyingPlatformAuthenticator === 'boolean') return capabilities.userVerifyingPlatformAuthenticator;
  try {
    return (await statics()?.isUserVerifyingPlatformAuthenticatorAvailable?.call(PublicKeyCredential)) ?? false;
  } catch {
    return false;
  }
}
