import { SettingsService } from '@simplewebauthn/server';
import { convertAAGUIDToString, decodeAttestationObject, isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { decodeProtectedHeader } from 'jose';
import { KeywayError } from '../errors/keyway-error.ts';
import { normalizeAaguid } from './authenticator-catalog.ts';
import { X509Certificate, certificateKeyIdentifiers, describeCertificate, parseCertificate, validateCertificateChain } from './certificate-chain.ts';
import type { MetadataEntry, MetadataProvider } from './mds-blob.ts';
import type { AttestationTrust } from './passkey-config.ts';

/**
 * Attestation trust per registration policy.
 *
 * Division of labour with @simplewebauthn/server 14:
 * - SimpleWebAuthn verifies the attestation *statement*: the signature over authData‖clientDataHash
 *   with x5c[0] (or the credential key for self attestation) and each format's own rules (packed
 *   certificate requirements, TPM certInfo/pubArea, Apple nonce, Android key description, …).
 * - Keyway decides whether x5c chains to a root the *policy* trusts (this module).
 *
 * SimpleWebAuthn validates x5c against root certificates held in a process-wide `SettingsService`
 * (with Apple, Google and GlobalSign roots pre-installed). Per-policy roots through that global
 * would race between concurrent registrations under different policies, so Keyway empties it once
 * at start-up (`disableLibraryTrustAnchors`). What SimpleWebAuthn then does, from
 * node_modules/@simplewebauthn/server/esm:
 * - registration/verifyRegistrationResponse.js:154 reads `SettingsService.getRootCertificates({ identifier: fmt })`
 *   and passes it to the format verifier;
 * - helpers/validateCertificatePath.js:11-14: `if (trustAnchorsPEM.length === 0) return true` — "We have
 *   no trust anchors to chain back to, so skip path validation". So packed (verifyAttestationPacked.js:90),
 *   fido-u2f (verifyAttestationFIDOU2F.js:36), apple (verifyAttestationApple.js:18), tpm
 *   (tpm/verifyAttestationTPM.js:239) and android-safetynet (verifyAttestationAndroidSafetyNet.js:88)
 *   verify signatures and format rules but no chain;
 * - android-key is the exception: verifyAttestationAndroidKey.js:90-93 always validates x5c against
 *   its own last certificate (so x5c must contain its root), and line 104 skips the "is it a Google
 *   root" check when the list is empty;
 * - the MDS-backed branches (`MetadataService.getStatement`) stay off: Keyway never initialises
 *   SimpleWebAuthn's global MetadataService, so it answers `undefined` for every AAGUID.
 * SimpleWebAuthn still reads the global clock for leaf validity (packed, tpm) and SafetyNet
 * timestamps; that is the ceremony's concern. This module takes `now` explicitly.
 *
 * `assessAttestation` answers "does this attestation chain to one of the policy's trusted roots,
 * or to the FIDO metadata entry's roots for this authenticator". `none` and self attestation carry
 * no certificate and are never verified. The caller decides what to do with the answer
 * (`requireTrustedAttestation` → ATTESTATION_NOT_TRUSTED) and stores it as attestation_verified.
 */

export const LIBRARY_FORMATS = ['packed', 'fido-u2f', 'tpm', 'android-key', 'android-safetynet', 'apple'] as const;
let libraryAnchorsDisabled = false;

/**
 * Empties SimpleWebAuthn's global root certificates for every attestation format, once per process,
 * so no request can see another policy's roots (nor SimpleWebAuthn's bundled ones). The `mds`
 * identifier is left alone: Keyway does not use SimpleWebAuthn's MDS code, and emptying it would
 * make that code skip BLOB chain validation for anyone who did.
 */
export function disableLibraryTrustAnchors(): void {
  if (libraryAnchorsDisabled) return;
  for (const identifier of LIBRARY_FORMATS) SettingsService.setRootCertificates({ identifier, certificates: [] });
  libraryAnchorsDisabled = true;
}

export interface AssessAttestationInput {
  /** The attestationObject bytes, or base64url as in the browser's registration JSON */
  attestationObject: Uint8Array | string;
  /** Optional cross-check: the format the caller believes it verified */
  fmt?: string;
  /** Optional cross-check: the AAGUID the caller read from authData */
  aaguid?: string;
  trust: AttestationTrust;
  /** The time certificates must be valid at (the ceremony clock) */
  now: Date;
  /** Where `trust.metadata` BLOBs come from; required when the policy names one */
  metadata?: MetadataProvider;
}

export interface AttestationAssessment {
  verified: boolean;
  /** Why not (or, when verified by metadata, nothing); safe to log, not meant for end users */
  reason?: string;
  /** Which trust list the chain ended in */
  trustedBy?: 'policy' | 'metadata';
  /** Subject of the trust anchor the chain ended in */
  anchor?: string;
  /** The FIDO metadata description of the authenticator model, when the BLOB has an entry */
  authenticatorDescription?: string;
}

const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/**
 * Status reports after which an authenticator model's attestation is not trusted (MDS3 §3.1.4).
 * Conservative: one such report anywhere in the history is enough, except an
 * ATTESTATION_KEY_COMPROMISE report that names a different attestation certificate.
 */
const UNTRUSTED_STATUSES = new Set([
  'REVOKED',
  'ATTESTATION_KEY_COMPROMISE',
  'USER_VERIFICATION_BYPASS',
  'USER_KEY_REMOTE_COMPROMISE',
  'USER_KEY_PHYSICAL_COMPROMISE',
]);

function decode(input: Uint8Array | string): { fmt: string; attStmt: Map<string, unknown>; aaguid: string } {
  const bytes = typeof input === 'string' ? isoBase64URL.toBuffer(input) : new Uint8Array(input);
  const decoded = decodeAttestationObject(bytes);
  const fmt = decoded.get('fmt');
  const attStmt = decoded.get('attStmt') as unknown as Map<string, unknown>;
  const authData = parseAuthenticatorData(decoded.get('authData'));
  if (typeof fmt !== 'string' || !(attStmt instanceof Map)) throw new TypeError('not an attestation object');
  return { fmt, attStmt, aaguid: authData.aaguid ? convertAAGUIDToString(authData.aaguid) : ZERO_AAGUID };
}

/** The attestation certificate chain (leaf first) of a statement, or a reason there is none. */
function attestationChain(fmt: string, attStmt: Map<string, unknown>): X509Certificate[] | string {
  if (fmt === 'none') return 'attestation format none carries no attestation';
  let x5c: unknown;
  if (fmt === 'android-safetynet') {
    const response = attStmt.get('response');
    if (!(response instanceof Uint8Array)) return 'android-safetynet statement has no response';
    try {
      x5c = decodeProtectedHeader(new TextDecoder().decode(response)).x5c;
    } catch {
      return 'android-safetynet response is not a JWS';
    }
  } else if ((LIBRARY_FORMATS as readonly string[]).includes(fmt)) {
    x5c = attStmt.get('x5c');
  } else {
    return `unsupported attestation format ${fmt}`;
  }
  if (!Array.isArray(x5c) || x5c.length === 0) return `${fmt} self attestation (no x5c) does not chain to any root`;
  try {
    // Parsed afresh, not through the anchor cache: attestation certificates differ per device.
    return x5c.map((item: unknown) => {
      if (typeof item === 'string') return new X509Certificate(Buffer.from(item, 'base64'));
      if (item instanceof Uint8Array) return new X509Certificate(new Uint8Array(item));
      throw new TypeError('x5c entry is neither bytes nor base64');
    });
  } catch {
    return `${fmt} x5c contains an unreadable certificate`;
  }
}

function untrustedStatus(entry: MetadataEntry, chain: X509Certificate[]): string | undefined {
  for (const report of entry.statusReports) {
    if (!UNTRUSTED_STATUSES.has(report.status)) continue;
    if (report.status === 'ATTESTATION_KEY_COMPROMISE' && report.certificate) {
      const named = report.certificate.replace(/\s+/g, '');
      const affected = chain.some((certificate) => Buffer.from(certificate.rawData).toString('base64') === named);
      if (!affected) continue;
    }
    return `FIDO metadata reports ${report.status}${report.effectiveDate ? ` since ${report.effectiveDate}` : ''} for this authenticator`;
  }
  return undefined;
}

/** Whether the attestation chains to a root the policy (or FIDO metadata, when configured) trusts. */
export async function assessAttestation(input: AssessAttestationInput): Promise<AttestationAssessment> {
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(input.attestationObject);
  } catch {
    return { verified: false, reason: 'the attestation object cannot be decoded' };
  }
  const { fmt, attStmt, aaguid } = decoded;
  if (input.fmt !== undefined && input.fmt !== fmt) return { verified: false, reason: `attestation format is ${fmt}, not ${input.fmt}` };
  if (input.aaguid !== undefined && (normalizeAaguid(input.aaguid) ?? input.aaguid) !== aaguid) {
    return { verified: false, reason: `AAGUID is ${aaguid}, not ${input.aaguid}` };
  }
  const chain = attestationChain(fmt, attStmt);
  if (typeof chain === 'string') return { verified: false, reason: chain };

  const reasons: string[] = [];
  const policyAnchors: X509Certificate[] = [];
  for (const [index, pem] of input.trust.rootCertificates.entries()) {
    try {
      policyAnchors.push(parseCertificate(pem));
    } catch {
      reasons.push(`trusted root ${index} is not a certificate`);
    }
  }
  if (policyAnchors.length > 0) {
    const result = await validateCertificateChain(chain, policyAnchors, input.now);
    if (result.ok) return { verified: true, trustedBy: 'policy', anchor: describeCertificate(result.anchor) };
    reasons.push(result.reason);
  } else if (reasons.length === 0) {
    reasons.push('the policy has no trusted root certificates');
  }

  const source = input.trust.metadata;
  if (source && (source.file || source.url)) {
    const fromMetadata = await assessWithMetadata(chain, aaguid, source, input);
    if (fromMetadata.verified) return fromMetadata;
    reasons.push(fromMetadata.reason!);
    if (fromMetadata.authenticatorDescription)
      return { verified: false, reason: reasons.join('; '), authenticatorDescription: fromMetadata.authenticatorDescription };
  }
  return { verified: false, reason: reasons.join('; ') };
}

async function assessWithMetadata(
  chain: X509Certificate[],
  aaguid: string,
  source: NonNullable<AttestationTrust['metadata']>,
  input: AssessAttestationInput,
): Promise<AttestationAssessment> {
  if (!input.metadata) return { verified: false, reason: 'the policy names a metadata source but no metadata loader is available' };
  let entry: MetadataEntry | undefined;
  try {
    const blob = await input.metadata.get(source, input.now);
    if (aaguid !== ZERO_AAGUID) entry = blob.byAaguid(aaguid);
    else for (const id of await certificateKeyIdentifiers(chain[0]!)) entry ??= blob.byKeyIdentifier(id);
  } catch (error) {
    return { verified: false, reason: `metadata unavailable: ${(error as Error).message}` };
  }
  if (!entry)
    return {
      verified: false,
      reason: aaguid !== ZERO_AAGUID ? `no FIDO metadata entry for AAGUID ${aaguid}` : 'no FIDO metadata entry for this attestation certificate',
    };
  const description = entry.description ? { authenticatorDescription: entry.description } : {};
  const status = untrustedStatus(entry, chain);
  if (status) return { verified: false, reason: status, ...description };
  const anchors: X509Certificate[] = [];
  for (const der of entry.attestationRootCertificates) {
    try {
      anchors.push(parseCertificate(der));
    } catch {
      // One unreadable root in an entry does not invalidate the others.
    }
  }
  const result = await validateCertificateChain(chain, anchors, input.now);
  if (!result.ok) return { verified: false, reason: `FIDO metadata: ${result.reason}`, ...description };
  return { verified: true, trustedBy: 'metadata', anchor: describeCertificate(result.anchor), ...description };
}

/**
 * Validates a policy's `rootCertificates` when the policy is saved, so a bad PEM fails at
 * configuration time (INVALID_TRUST_ANCHOR) rather than silently never matching.
 */
export function assertValidTrustAnchors(rootCertificates: readonly string[], now: Date): void {
  for (const [index, pem] of rootCertificates.entries()) {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new KeywayError('INVALID_TRUST_ANCHOR', `attestationTrust.rootCertificates/${index}: expected a PEM certificate (-----BEGIN CERTIFICATE-----)`, {
        errors: [{ field: `/attestationTrust/rootCertificates/${index}`, message: 'must be a PEM certificate' }],
      });
    }
    let certificate: X509Certificate;
    try {
      certificate = parseCertificate(pem);
    } catch (error) {
      throw new KeywayError('INVALID_TRUST_ANCHOR', `attestationTrust.rootCertificates/${index}: not a readable certificate`, {
        errors: [{ field: `/attestationTrust/rootCertificates/${index}`, message: 'is not a readable X.509 certificate (exactly one PEM block)' }],
        cause: error,
      });
    }
    if (certificate.notAfter.getTime() < now.getTime()) {
      throw new KeywayError(
        'INVALID_TRUST_ANCHOR',
        `attestationTrust.rootCertificates/${index}: ${describeCertificate(certificate)} expired at ${certificate.notAfter.toISOString()}`,
        {
          errors: [{ field: `/attestationTrust/rootCertificates/${index}`, message: 'has expired' }],
        },
      );
    }
  }
}
