import type { CredentialKeyCache } from './credential-key-cache.ts';
import type { verifyAuthentication } from './authentication-verification.ts';
import type { verifyRegistration } from './registration-verification.ts';

/**
 * The WebAuthn verifiers, loaded by the first ceremony that needs them instead of at start. They bring SimpleWebAuthn
 * and, through it, its certificate and ASN.1 stack (@peculiar): about 0.4 s of CPU and 20 MB that a server does not
 * need to start answering, nor ever if it never verifies a ceremony. Each loads once; afterwards a call costs
 * awaiting a settled promise.
 */
let authentication: Promise<{ verifyAuthentication: typeof verifyAuthentication; CredentialKeyCache: typeof CredentialKeyCache }> | undefined;
let registration: Promise<{ verifyRegistration: typeof verifyRegistration }> | undefined;

/** The assertion verifier (WebAuthn §7.2) and the imported-key cache it verifies with. */
export function authenticationVerifier(): Promise<{ verifyAuthentication: typeof verifyAuthentication; CredentialKeyCache: typeof CredentialKeyCache }> {
  authentication ??= Promise.all([import('./authentication-verification.ts'), import('./credential-key-cache.ts')]).then(([verifier, cache]) => ({
    verifyAuthentication: verifier.verifyAuthentication,
    CredentialKeyCache: cache.CredentialKeyCache,
  }));
  return authentication;
}

/** The registration verifier (WebAuthn §7.1, attestation included). */
export function registrationVerifier(): Promise<{ verifyRegistration: typeof verifyRegistration }> {
  registration ??= import('./registration-verification.ts').then((verifier) => ({ verifyRegistration: verifier.verifyRegistration }));
  return registration;
}
