import { X509Certificate } from 'node:crypto';
import { cose } from '@simplewebauthn/server/helpers';
import { KeywayError } from '../errors/keyway-error.ts';

/**
 * Rules of the attestation statement formats (WebAuthn L3 §8) that @simplewebauthn/server 14 does
 * not apply, checked by Keyway before the library verifies the statement, each ATTESTATION_INVALID;
 * and the whole rule of "none", whose statement Keyway verifies without the library.
 */

function invalid(fmt: string, detail: string): KeywayError {
  return new KeywayError('ATTESTATION_INVALID', `The ${fmt} attestation statement does not verify: ${detail}`);
}

function certificates(attStmt: Map<string, unknown>): unknown[] | undefined {
  const x5c = attStmt.get('x5c');
  return x5c === undefined ? undefined : Array.isArray(x5c) ? x5c : [];
}

/** Checks the format rules the library leaves out, for a credential whose COSE algorithm is `algorithm`. */
export function checkAttestationStatement(fmt: string, attStmt: Map<string, unknown>, algorithm: number): void {
  if (fmt === 'none') {
    // §8.7: "none" attests nothing: its statement is the empty map, with no signature to verify.
    if (attStmt.size !== 0) throw invalid(fmt, `the statement must be empty; it holds ${[...attStmt.keys()].join(', ')}`);
  } else if (fmt === 'packed') {
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
