// @peculiar/x509 (the X.509 library @simplewebauthn/server itself uses) needs the Reflect metadata
// polyfill loaded before it; SimpleWebAuthn loads the same one, so this adds no new global.
import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509ChainBuilder,
  cryptoProvider,
} from '@peculiar/x509';

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
 *
 * Bounded work: a chain comes from whoever registers a passkey, and path building tries a signature
 * check (with a key import) against every certificate named as the issuer, for every anchor: with
 * many same-name certificates that is quadratic, on the thread pool where load shedding does not see
 * it. So a chain holds at most MAX_CHAIN_CERTIFICATES certificates (attestation statements are
 * refused above it before anything is parsed: attestation-statement.ts), only anchors the path can
 * end at are tried (one named as the issuer of a chain certificate, or one of the chain's own), and
 * one validation makes at most MAX_SIGNATURE_CHECKS signature checks, across all its anchors.
 */

/**
 * The most certificates a chain may hold (an attestation statement's x5c, a metadata BLOB's x5c).
 * Authenticators send 1 to 3 (packed, fido-u2f, apple, tpm: the attestation certificate and its
 * intermediates, the root usually left out) and android-key up to 5 (leaf, remote key provisioning
 * intermediates, the Google root); 8 leaves room for more intermediates.
 */
export const MAX_CHAIN_CERTIFICATES = 8;
/** The largest certificate of such a chain: attestation certificates are 0.5 to 2 KB (TPM, RSA keys); 8 KiB leaves room. */
export const MAX_CERTIFICATE_BYTES = 8 * 1024;
/**
 * The most signature checks one validation makes, across all its anchors. A path of n certificates
 * costs about n per anchor it is tried against (leaf and root: 2), and only anchors named as an
 * issuer are tried; the bound is reached by chains of same-name certificates, which without it cost
 * dozens of checks per anchor (each a key import and a verification, up to a millisecond).
 */
export const MAX_SIGNATURE_CHECKS = 32;

export type ChainResult = ({ ok: true; anchor: X509Certificate; path: X509Certificate[] } | { ok: false; reason: string }) & {
  /** How many signature checks path building made (at most MAX_SIGNATURE_CHECKS) */
  signatureChecks: number;
};

/**
 * The WebCrypto path building uses, counting its signature checks (each starts with a key import):
 * past `limit`, key imports fail at once, which the builder takes as "not the issuer" (or "not
 * self-signed"), so it ends quickly and never accepts an issuer it has not checked.
 */
class SignatureBudget {
  spent = 0;
  readonly limit: number;
  readonly crypto: Crypto;

  constructor(limit: number) {
    this.limit = limit;
    const subtle = cryptoProvider.get().subtle;
    const counted = {
      digest: (...args: unknown[]): Promise<unknown> => Reflect.apply(subtle.digest, subtle, args) as Promise<unknown>,
      importKey: (...args: unknown[]): Promise<unknown> => {
        if (this.exhausted) return Promise.reject(new Error(`more than ${limit} signature checks`));
        this.spent += 1;
        return Reflect.apply(subtle.importKey, subtle, args) as Promise<unknown>;
      },
      // Every verification follows the key import counted above.
      verify: (...args: unknown[]): Promise<unknown> => Reflect.apply(subtle.verify, subtle, args) as Promise<unknown>,
    };
    this.crypto = { subtle: counted } as unknown as Crypto;
  }

  get exhausted(): boolean {
    return this.spent >= this.limit;
  }
}

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
  if (!leaf) return { ok: false, reason: 'no certificate to validate', signatureChecks: 0 };
  if (anchors.length === 0) return { ok: false, reason: 'no trust anchors configured', signatureChecks: 0 };
  if (chain.length > MAX_CHAIN_CERTIFICATES) {
    return {
      ok: false,
      reason: `the certificate chain holds ${chain.length} certificates; at most ${MAX_CHAIN_CERTIFICATES} are validated`,
      signatureChecks: 0,
    };
  }
  const budget = new SignatureBudget(MAX_SIGNATURE_CHECKS);
  // The builder only reaches an anchor named as the issuer of a certificate in the chain, or one of the chain's own
  // certificates: any other anchor would be tried in vain.
  const issuers = new Set(chain.map((certificate) => certificate.issuer));
  let reason = `certificate chain does not lead to a trusted root (leaf issued by ${leaf.issuer})`;
  for (const anchor of anchors) {
    if (!issuers.has(anchor.subject) && !chain.some((certificate) => certificate.equal(anchor))) continue;
    if (budget.exhausted) break;
    const intermediates = chain.slice(1).filter((certificate) => !certificate.equal(anchor));
    let built: X509Certificate[];
    try {
      // The anchor goes first, so a cross-signed copy of it inside x5c does not hide it.
      built = [...(await new X509ChainBuilder({ certificates: [anchor, ...intermediates] }).build(leaf, budget.crypto))];
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
    return { ok: true, anchor, path, signatureChecks: budget.spent };
  }
  if (budget.exhausted) reason = `certificate path building stopped after ${budget.spent} signature checks (${reason})`;
  return { ok: false, reason, signatureChecks: budget.spent };
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
