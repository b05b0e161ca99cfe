// @peculiar/x509 (the X.509 library @simplewebauthn/server itself uses) needs the Reflect metadata
// polyfill loaded before it; SimpleWebAuthn loads the same one, so this adds no new global.
import 'reflect-metadata';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, SubjectKeyIdentifierExtension, X509Certificate, X509ChainBuilder } from '@peculiar/x509';

/**
 * Certificate path validation for attestation statements and the FIDO metadata BLOB, against an
 * explicit set of trust anchors and an explicit time. Why not SimpleWebAuthn's exported
 * `validateCertificatePath`: it reads the global clock (`Date.now()`, so neither tests nor vectors
 * can set "now"), it fetches CRLs over the network during the request, and with an empty anchor
 * list it returns `true` without checking anything. All parsing and signature checks here are
 * @peculiar/x509 (over WebCrypto); this module only decides which checks to run.
 *
 * Checks, in RFC 5280 §6 terms: every certificate is signed by the next one in the path, names
 * chain (issuer = subject of the next), every certificate including the anchor is within its
 * validity period at `now`, every intermediate is a CA (basicConstraints cA=TRUE), has keyCertSign
 * when it carries a keyUsage extension, and respects pathLenConstraint (the anchor's too, when it
 * has one). The path ends at a certificate byte-identical to a trust anchor; an anchor may be a
 * root or an intermediate the policy chooses to trust. Not checked: revocation (CRL/OCSP; see the
 * metadata BLOB's status reports instead), name constraints and certificate policies, which
 * attestation PKIs do not use.
 */

export type ChainResult = { ok: true; anchor: X509Certificate; path: X509Certificate[] } | { ok: false; reason: string };

const MAX_CACHED_ANCHORS = 1000;
/** PEM text → parsed certificate; certificates are immutable, so parsed copies are shared. */
const anchorCache = new Map<string, X509Certificate>();

/** Parses a PEM (or base64 DER) certificate, caching by text. Throws on anything that is not one certificate. */
export function parseCertificate(pemOrBase64: string): X509Certificate {
  const cached = anchorCache.get(pemOrBase64);
  if (cached) return cached;
  const text = pemOrBase64.trim();
  const blocks = text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (blocks > 1) throw new TypeError('expected one certificate, found several PEM blocks');
  const certificate = blocks === 1 ? new X509Certificate(text) : new X509Certificate(Buffer.from(text, 'base64'));
  if (anchorCache.size >= MAX_CACHED_ANCHORS) anchorCache.delete(anchorCache.keys().next().value as string);
  anchorCache.set(pemOrBase64, certificate);
  return certificate;
}

export function describeCertificate(certificate: X509Certificate): string {
  return certificate.subject === '' ? `(empty subject, issued by ${certificate.issuer})` : certificate.subject;
}

function withinValidity(certificate: X509Certificate, now: Date): string | undefined {
  if (certificate.notBefore.getTime() > now.getTime())
    return `certificate ${describeCertificate(certificate)} is not valid before ${certificate.notBefore.toISOString()}`;
  if (certificate.notAfter.getTime() < now.getTime()) return `certificate ${describeCertificate(certificate)} expired at ${certificate.notAfter.toISOString()}`;
  return undefined;
}

/** Issuer-side checks for a certificate that signs `below` other non-leaf certificates in the path. */
function issuerConstraints(certificate: X509Certificate, intermediatesBelow: number, isAnchor: boolean): string | undefined {
  const basic = certificate.getExtension(BasicConstraintsExtension);
  if (!isAnchor) {
    if (!basic?.ca) return `intermediate ${describeCertificate(certificate)} is not a CA certificate`;
    const usage = certificate.getExtension(KeyUsagesExtension);
    if (usage && (usage.usages & KeyUsageFlags.keyCertSign) === 0)
      return `intermediate ${describeCertificate(certificate)} may not sign certificates (keyUsage)`;
  }
  if (basic?.ca && basic.pathLength !== undefined && intermediatesBelow > basic.pathLength) {
    return `path length constraint of ${describeCertificate(certificate)} exceeded`;
  }
  return undefined;
}

/**
 * Validates `chain` (leaf first, then any intermediates, in any order; the anchor may be included
 * or not) against `anchors` at `now`. Tries each anchor and reports why the last candidate failed.
 */
export async function validateCertificateChain(chain: X509Certificate[], anchors: X509Certificate[], now: Date): Promise<ChainResult> {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'no certificate to validate' };
  if (anchors.length === 0) return { ok: false, reason: 'no trust anchors configured' };
  let reason = `certificate chain does not lead to a trusted root (leaf issued by ${leaf.issuer})`;
  for (const anchor of anchors) {
    const intermediates = chain.slice(1).filter((certificate) => !certificate.equal(anchor));
    let built: X509Certificate[];
    try {
      // The anchor goes first, so a cross-signed copy of it inside x5c does not hide it.
      built = [...(await new X509ChainBuilder({ certificates: [anchor, ...intermediates] }).build(leaf))];
    } catch {
      continue;
    }
    const end = built.findIndex((certificate) => certificate.equal(anchor));
    if (end < 0) continue;
    const path = built.slice(0, end + 1);
    let problem: string | undefined;
    for (const [index, certificate] of path.entries()) {
      problem = withinValidity(certificate, now);
      if (!problem && index > 0) problem = issuerConstraints(certificate, index - 1, index === end);
      if (problem) break;
    }
    if (problem) {
      reason = problem;
      continue;
    }
    return { ok: true, anchor, path };
  }
  return { ok: false, reason };
}

/**
 * The key identifiers FIDO metadata may list a U2F attestation certificate under
 * (`attestationCertificateKeyIdentifiers`): SHA-1 of its public key (RFC 5280 §4.2.1.2 method 1,
 * what the MDS spec defines) and, when different, the value of its subjectKeyIdentifier extension.
 * Lower-case hex, method 1 first.
 */
export async function certificateKeyIdentifiers(certificate: X509Certificate): Promise<string[]> {
  const computed = (await SubjectKeyIdentifierExtension.create(certificate.publicKey)).keyId.toLowerCase();
  const declared = certificate.getExtension(SubjectKeyIdentifierExtension)?.keyId.toLowerCase();
  return declared && declared !== computed ? [computed, declared] : [computed];
}

export { X509Certificate };
