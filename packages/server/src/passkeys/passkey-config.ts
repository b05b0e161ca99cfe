/**
 * The passkey configuration of a store, as the ceremony code consumes it.
 * Field names follow the WebAuthn dictionaries where one exists.
 */
export type AttestationConveyance = 'none' | 'indirect' | 'direct' | 'enterprise';
export type Requirement = 'discouraged' | 'preferred' | 'required';
export type Hint = 'security-key' | 'client-device' | 'hybrid';

export interface AndroidApp {
  packageName: string;
  /** SHA-256 fingerprints of the app's signing certificates, `AA:BB:…` upper-case hex */
  sha256CertFingerprints: string[];
}

export interface RelyingParty {
  /** The RP ID: a registrable domain (`example.com`) or `localhost` */
  id: string;
  name: string;
  /** The exact origins allowed to run ceremonies (`https://login.example.com`, `http://localhost:3000`) */
  origins: string[];
  /** Origins listed in /.well-known/webauthn (WebAuthn L3 §5.11 related origin requests) */
  relatedOrigins: string[];
  /** Top-level origins under which ceremonies may run in a cross-origin iframe (clientData.topOrigin); empty: never embedded */
  topOrigins: string[];
  androidApps: AndroidApp[];
  /** `TEAMID.bundle.id` entries for the webcredentials section of apple-app-site-association */
  appleAppIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface AttestationTrust {
  /** When true, a registration whose attestation does not chain to a trusted root is refused (`ATTESTATION_NOT_TRUSTED`). */
  requireTrustedAttestation: boolean;
  /** PEM root certificates trusted for attestation */
  rootCertificates: string[];
  /** Optional FIDO MDS3 BLOB source: a local file path or an https URL; its JWS signature is checked */
  metadata?: { file?: string; url?: string };
}

export interface RegistrationPolicySettings {
  attestation: AttestationConveyance;
  authenticatorAttachment?: 'platform' | 'cross-platform';
  residentKey: Requirement;
  userVerification: Requirement;
  /** COSE algorithm identifiers, in preference order; default [-8, -7, -257] */
  algorithms: number[];
  hints: Hint[];
  /** Ceremony timeout in milliseconds; the session expires then */
  timeout: number;
  /** Send the user's existing credentials as excludeCredentials */
  excludeCredentials: boolean;
  /** Accept synced (backup-eligible) passkeys; false = device-bound only */
  allowSyncedPasskeys: boolean;
  attestationTrust: AttestationTrust;
}

export interface RegistrationPolicy extends RegistrationPolicySettings {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface AuthenticationPolicySettings {
  userVerification: Requirement;
  timeout: number;
  /** Allow usernameless sign-in with discoverable credentials (empty allowCredentials) */
  allowDiscoverable: boolean;
  hints: Hint[];
}

export interface AuthenticationPolicy extends AuthenticationPolicySettings {
  name: string;
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_ALGORITHMS = [-8, -7, -257];
