import { X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '../errors/catalogue.ts';
import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';
import { AUTHENTICATION_DEFAULTS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, REGISTRATION_DEFAULTS, SUPPORTED_ALGORITHMS } from './passkey-config-schemas.ts';
import type { AttestationTrust, AuthenticationPolicySettings, RegistrationPolicySettings } from './passkey-config.ts';

/**
 * The rules a policy's settings must satisfy as a whole. The request schema checks
 * each field's shape; these run on the complete settings (after defaults, or after a PATCH merged
 * into the stored policy), so a change to one field cannot leave another one inconsistent.
 */

/** One error carrying every problem found, each naming its field. */
export function problemsError(code: ErrorCode, problems: FieldProblem[]): KeywayError {
  return new KeywayError(code, problems.map((p) => `${p.field}: ${p.message}`).join('; '), { errors: problems });
}

function trustWithDefaults(trust: Partial<AttestationTrust> | undefined): AttestationTrust {
  return {
    requireTrustedAttestation: trust?.requireTrustedAttestation ?? REGISTRATION_DEFAULTS.attestationTrust.requireTrustedAttestation,
    rootCertificates: [...(trust?.rootCertificates ?? [])],
    ...(trust?.metadata === undefined ? {} : { metadata: { ...trust.metadata } }),
  };
}

/** Complete registration settings: every absent field takes its documented default. */
export function registrationSettingsWithDefaults(
  input: Partial<Omit<RegistrationPolicySettings, 'attestationTrust'>> & { attestationTrust?: Partial<AttestationTrust> | undefined },
): RegistrationPolicySettings {
  const d = REGISTRATION_DEFAULTS;
  return {
    attestation: input.attestation ?? d.attestation,
    ...(input.authenticatorAttachment === undefined ? {} : { authenticatorAttachment: input.authenticatorAttachment }),
    residentKey: input.residentKey ?? d.residentKey,
    userVerification: input.userVerification ?? d.userVerification,
    algorithms: [...(input.algorithms ?? d.algorithms)],
    hints: [...(input.hints ?? d.hints)],
    timeout: input.timeout ?? d.timeout,
    excludeCredentials: input.excludeCredentials ?? d.excludeCredentials,
    allowSyncedPasskeys: input.allowSyncedPasskeys ?? d.allowSyncedPasskeys,
    attestationTrust: trustWithDefaults(input.attestationTrust),
  };
}

export function authenticationSettingsWithDefaults(input: Partial<AuthenticationPolicySettings>): AuthenticationPolicySettings {
  const d = AUTHENTICATION_DEFAULTS;
  return {
    userVerification: input.userVerification ?? d.userVerification,
    timeout: input.timeout ?? d.timeout,
    allowDiscoverable: input.allowDiscoverable ?? d.allowDiscoverable,
    hints: [...(input.hints ?? d.hints)],
  };
}

function timeoutProblems(timeout: number): FieldProblem[] {
  if (Number.isInteger(timeout) && timeout >= MIN_TIMEOUT_MS && timeout <= MAX_TIMEOUT_MS) return [];
  return [{ field: 'timeout', message: `must be an integer number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}` }];
}

/**
 * A PEM root is usable as a trust anchor when it is exactly one parseable X.509 certificate of a
 * CA (basicConstraints CA:TRUE) that has not expired. Answers the normalised PEM of each root.
 */
export function checkRootCertificates(pems: readonly string[], now: Date): { roots: string[]; problems: FieldProblem[] } {
  const roots: string[] = [];
  const problems: FieldProblem[] = [];
  for (const [index, pem] of pems.entries()) {
    const field = `attestationTrust.rootCertificates.${index}`;
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (blocks !== 1) {
      problems.push({
        field,
        message:
          blocks === 0
            ? 'is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)'
            : 'holds several certificates; give one certificate per entry',
      });
      continue;
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(pem);
    } catch {
      problems.push({ field, message: 'is not a parseable X.509 certificate' });
      continue;
    }
    if (!certificate.ca) {
      problems.push({
        field,
        message: `${certificate.subject.replaceAll('\n', ', ')} is not a CA certificate (basicConstraints CA:TRUE); give the root, not the authenticator's own certificate`,
      });
      continue;
    }
    if (certificate.validToDate.getTime() < now.getTime()) {
      problems.push({ field, message: `expired on ${certificate.validToDate.toISOString()}` });
      continue;
    }
    const normalised = certificate.toString();
    if (!roots.includes(normalised)) roots.push(normalised);
  }
  return { roots, problems };
}

async function metadataProblems(metadata: AttestationTrust['metadata'], trustDir: string | undefined): Promise<FieldProblem[]> {
  if (metadata === undefined) return [];
  const given = Object.keys(metadata).filter((k) => metadata[k as 'file' | 'url'] !== undefined);
  if (given.length !== 1) return [{ field: 'attestationTrust.metadata', message: 'must give exactly one of file or url' }];
  if (metadata.url !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(metadata.url);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'https:') return [{ field: 'attestationTrust.metadata.url', message: 'must be an https:// URL of a FIDO MDS3 BLOB' }];
    return [];
  }
  // A file source reads the server's disk, so it is confined to the directory the operator names
  // (KEYWAY_TRUST_DIR); otherwise a tenant admin could probe for files or read arbitrary ones.
  const field = 'attestationTrust.metadata.file';
  if (trustDir === undefined)
    return [{ field, message: 'file sources are disabled on this server (the operator enables them with KEYWAY_TRUST_DIR); use an https url' }];
  const file = path.resolve(trustDir, metadata.file!);
  try {
    const real = await realpath(file);
    if (path.relative(trustDir, real).startsWith('..') || path.isAbsolute(path.relative(trustDir, real))) {
      return [{ field, message: 'must be a file inside the server’s trust directory (KEYWAY_TRUST_DIR)' }];
    }
    await access(real, constants.R_OK);
    if (!(await stat(real)).isFile()) return [{ field, message: 'is not a regular file' }];
  } catch {
    return [{ field, message: 'does not exist in the trust directory or is not readable by the server' }];
  }
  return [];
}

/**
 * Validates complete registration settings and answers them with root certificates normalised.
 * VALIDATION_FAILED for rules between fields, INVALID_TRUST_ANCHOR for roots or a metadata source
 * that cannot serve as one; every problem names its field (and the root's index).
 */
export async function checkRegistrationSettings(settings: RegistrationPolicySettings, now: Date, trustDir?: string): Promise<RegistrationPolicySettings> {
  const problems: FieldProblem[] = [...timeoutProblems(settings.timeout)];
  if (settings.algorithms.length === 0) problems.push({ field: 'algorithms', message: 'must list at least one COSE algorithm' });
  const seen = new Set<number>();
  for (const [index, alg] of settings.algorithms.entries()) {
    if (SUPPORTED_ALGORITHMS[alg] === undefined) {
      const supported = Object.entries(SUPPORTED_ALGORITHMS)
        .map(([id, name]) => `${id} ${name}`)
        .join(', ');
      problems.push({ field: `algorithms.${index}`, message: `${alg} is not a COSE algorithm Keyway verifies (${supported})` });
    } else if (seen.has(alg)) {
      problems.push({ field: `algorithms.${index}`, message: `${alg} is listed twice` });
    }
    seen.add(alg);
  }
  const trust = settings.attestationTrust;
  if (trust.requireTrustedAttestation) {
    // Only direct and enterprise conveyance deliver an attestation the RP can chain to a root;
    // with none/indirect the client may strip or anonymise it, so every registration would fail.
    if (settings.attestation !== 'direct' && settings.attestation !== 'enterprise') {
      problems.push({
        field: 'attestation',
        message: `must be direct or enterprise when attestationTrust.requireTrustedAttestation is true (is ${settings.attestation})`,
      });
    }
    if (trust.rootCertificates.length === 0 && trust.metadata === undefined) {
      problems.push({
        field: 'attestationTrust.rootCertificates',
        message: 'must hold at least one root (or give attestationTrust.metadata) when requireTrustedAttestation is true',
      });
    }
  }
  if (problems.length > 0) throw problemsError('VALIDATION_FAILED', problems);

  const { roots, problems: anchorProblems } = checkRootCertificates(trust.rootCertificates, now);
  anchorProblems.push(...(await metadataProblems(trust.metadata, trustDir)));
  if (anchorProblems.length > 0) throw problemsError('INVALID_TRUST_ANCHOR', anchorProblems);
  // A file source is stored as its absolute path inside the trust directory, as it was checked.
  const metadata = trust.metadata?.file !== undefined && trustDir !== undefined ? { file: path.resolve(trustDir, trust.metadata.file) } : trust.metadata;
  return { ...settings, attestationTrust: { ...trust, rootCertificates: roots, ...(metadata === undefined ? {} : { metadata }) } };
}

export function checkAuthenticationSettings(settings: AuthenticationPolicySettings): AuthenticationPolicySettings {
  const problems = timeoutProblems(settings.timeout);
  if (problems.length > 0) throw problemsError('VALIDATION_FAILED', problems);
  return settings;
}
