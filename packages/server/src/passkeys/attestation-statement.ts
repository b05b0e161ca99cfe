import { X509Certificate } from 'node:crypto';
import { cose } from '@simplewebauthn/server/helpers';
import { decodeProtectedHeader } from 'jose';
import { KeywayError } from '../errors/keyway-error.ts';
import { MAX_CERTIFICATE_BYTES, MAX_CHAIN_CERTIFICATES } from './certificate-chain.ts';

/**
 * Rules of the attestation statement formats (WebAuthn L3 §8) that @simplewebauthn/server 14 does
 * not apply, checked by Keyway before the library verifies the statement, each ATTESTATION_INVALID;
 * the whole rule of "none", whose statement Keyway verifies without the library; and bounds on the
 * certificate chain of every other format (how many certificates, how large, none twice), checked
 * before any certificate is parsed, by the library or by Keyway's trust assessment.
 */

function invalid(fmt: string, detail: string): KeywayError {
  return new KeywayError('ATTESTATION_INVALID', `The ${fmt} attestation statement does not verify: ${detail}`);
}

function certificates(attStmt: Map<string, unknown>): unknown[] | undefined {
  const x5c = attStmt.get('x5c');
  return x5c === undefined ? undefined : Array.isArray(x5c) ? x5c : [];
}

/** The DER bytes of an x5c entry: CBOR bytes (attStmt x5c), or base64 text (a JWS header's x5c, RFC 7515 §4.1.6). */
function certificateBytes(entry: unknown): Uint8Array | undefined {
  if (entry instanceof Uint8Array) return entry;
  return typeof entry === 'string' ? Buffer.from(entry, 'base64') : undefined;
}

/**
 * Why a certificate list is refused before anything parses it or builds a path from it, or nothing. Parsing and path
 * building cost grows with the number of certificates (path building quadratically: every same-name candidate is a
 * signature check), so a statement carries at most MAX_CHAIN_CERTIFICATES certificates, each at most
 * MAX_CERTIFICATE_BYTES, none twice. Entries that are neither bytes nor text are left to the format's own rules.
 */
function certificateListProblem(x5c: readonly unknown[], where: string): string | undefined {
  if (x5c.length > MAX_CHAIN_CERTIFICATES) {
    return `${where} holds ${x5c.length} certificates; at most ${MAX_CHAIN_CERTIFICATES} are accepted (authenticators send 1 to 5)`;
  }
  const seen: Uint8Array[] = [];
  for (const [index, entry] of x5c.entries()) {
    const der = certificateBytes(entry);
    if (der === undefined) continue;
    if (der.length > MAX_CERTIFICATE_BYTES) return `${where} certificate ${index} is ${der.length} bytes; at most ${MAX_CERTIFICATE_BYTES} are accepted`;
    const first = seen.findIndex((earlier) => Buffer.compare(earlier, der) === 0);
    if (first >= 0) return `${where} holds the same certificate twice (${first} and ${index})`;
    seen.push(der);
  }
  return undefined;
}

/** The certificate list of an android-safetynet statement: its JWS response's protected header x5c, when it has one. */
function safetyNetCertificates(attStmt: Map<string, unknown>): unknown[] | undefined {
  const response = attStmt.get('response');
  if (!(response instanceof Uint8Array)) return undefined;
  try {
    const x5c = decodeProtectedHeader(new TextDecoder().decode(response)).x5c;
    return Array.isArray(x5c) ? x5c : undefined;
  } catch {
    // Not a JWS: the library refuses it (ATTESTATION_INVALID).
    return undefined;
  }
}

/** Checks the format rules the library leaves out, for a credential whose COSE algorithm is `algorithm`. */
export function checkAttestationStatement(fmt: string, attStmt: Map<string, unknown>, algorithm: number): void {
  if (fmt === 'none') {
    // §8.7: "none" attests nothing: its statement is the empty map, with no signature to verify.
    if (attStmt.size !== 0) throw invalid(fmt, `the statement must be empty; it holds ${[...attStmt.keys()].join(', ')}`);
    return;
  }
  // Every format with a certificate chain (packed, tpm, android-key, apple, fido-u2f: attStmt x5c; android-safetynet:
  // the x5c of its JWS header), before the library or Keyway's trust assessment parses a certificate.
  const chain = attStmt.get('x5c');
  const problem =
    (Array.isArray(chain) ? certificateListProblem(chain, 'x5c') : undefined) ??
    (fmt === 'android-safetynet' ? certificateListProblem(safetyNetCertificates(attStmt) ?? [], 'the x5c of the response JWS header') : undefined);
  if (problem !== undefined) throw invalid(fmt, problem);
  if (fmt === 'packed') {
    // §8.2 verification procedure, self attestation (no x5c): alg must be the credential's algorithm.
    if (attStmt.get('x5c') === undefined && attStmt.get('alg') !== algorithm) {
      throw invalid(fmt, `self attestation with alg ${JSON.stringify(attStmt.get('alg') ?? null)}, but the credential's algorithm is ${algorithm}`);
    }
  } else if (fmt === 'fido-u2f') {
    // §8.6 step 2: x5c has exactly one element, whose public key is an EC key over P-256.
    const x5c = certificates(attStmt) ?? [];
    if (x5c.length !== 1) throw invalid(fmt, `x5c must hold exactly one certificate; it holds ${x5c.length}`);
    let key: X509Certificate['publicKey'];
    try {
      key = new X509Certificate(x5c[0] as Uint8Array).publicKey;
    } catch {
      throw invalid(fmt, 'the attestation certificate cannot be read');
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw invalid(fmt, 'the attestation certificate key is not an EC key over P-256');
    }
    // §8.6 step 3: the credential public key is an ECDSA P-256 key (its coordinates are 32 bytes).
    if (algorithm !== cose.COSEALG.ES256) throw invalid(fmt, `the credential key must be ES256 (P-256); it is COSE algorithm ${algorithm}`);
  }
}
