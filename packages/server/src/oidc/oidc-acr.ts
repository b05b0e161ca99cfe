/**
 * The authentication context classes this OpenID Provider offers (OpenID Connect Core §2 `acr`, requested with
 * `acr_values`), each defined by the RFC 8176 `amr` facts Keyway derives from the passkey used
 * (tokens/signing-key-service.ts `amrFor`): a class is met when the sign-in's `amr` shows it.
 */
export const ACR_CLASSES = {
  /** Any passkey sign-in (user presence, possession of the key). */
  'urn:keyway:acr:passkey': (amr: readonly string[]) => amr.includes('user'),
  /** The authenticator verified the user (PIN or biometric) on top of possession. */
  'urn:keyway:acr:mfa': (amr: readonly string[]) => amr.includes('mfa'),
  /** A device-bound passkey (not synced): its key never leaves the authenticator. */
  'urn:keyway:acr:device-bound': (amr: readonly string[]) => amr.includes('hwk') || amr.includes('pop'),
  /** A device-bound passkey whose attestation chained to a trusted root: hardware-secured. */
  'urn:keyway:acr:attested': (amr: readonly string[]) => amr.includes('hwk'),
} as const;

export type AcrClass = keyof typeof ACR_CLASSES;
export const ACR_VALUES = Object.keys(ACR_CLASSES) as AcrClass[];
export const DEFAULT_ACR: AcrClass = 'urn:keyway:acr:passkey';

/**
 * The class to state for a sign-in: the first requested one it meets; without `acr_values`, the default one. Answers
 * undefined when classes were requested and none is met (the caller refuses: `unmet_authentication_requirements`).
 */
export function acrFor(requested: string | undefined, amr: readonly string[]): AcrClass | undefined {
  const wanted = (requested ?? '').split(' ').filter((value): value is AcrClass => value in ACR_CLASSES);
  if (requested === undefined || requested.trim() === '') return DEFAULT_ACR;
  return wanted.find((value) => ACR_CLASSES[value](amr));
}
