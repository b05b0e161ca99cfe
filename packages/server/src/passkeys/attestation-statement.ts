import { createHash, X509Certificate } from 'node:crypto';
import { cose, verifySignature } from '@simplewebauthn/server/helpers';
import { KeywayError } from '../errors/keyway-error.ts';
import { X509Certificate as ParsedCertificate } from './certificate-chain.ts';

/**
 * Rules of the attestation statement formats (WebAuthn L3 §8) that @simplewebauthn/server 14 does
 * not apply, checked by Keyway before the library verifies the statement, each ATTESTATION_INVALID.
 * And the one rule it applies in a way Keyway does not want: it refuses a packed attestation
 * certificate outside its validity period by the process clock. For Keyway a certificate's
 * validity is a trust question decided at the ceremony's clock, the same way for every format
 * (attestation-trust.ts), so `finishPackedFullAttestation` completes the verification without it.
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

/** The library's message when it refused a packed attestation certificate for its validity period by its own clock. */
const PACKED_VALIDITY_MESSAGE = /^Certificate not good (before|after) ".*" \(Packed\|Full\)$/;

export function isPackedValidityRefusal(error: unknown): boolean {
  return error instanceof Error && PACKED_VALIDITY_MESSAGE.test(error.message);
}

/** id-fido-gen-ce-aaguid (FIDO attestation certificate extension, WebAuthn §8.2.1). */
const AAGUID_EXTENSION = '1.3.6.1.4.1.45724.1.1.4';

/**
 * The rest of §8.2's full-attestation procedure once the library has checked everything up to the
 * certificate's validity period (the order in its verifyAttestationPacked): the AAGUID extension,
 * when present, is the authenticator's AAGUID, and `sig` verifies with the certificate's key over
 * authenticatorData ‖ SHA-256(clientDataJSON). Keyway never gives the library trust anchors, so its
 * path validation in between was a no-op (attestation-trust.ts).
 */
export async function finishPackedFullAttestation(input: {
  attStmt: Map<string, unknown>;
  authData: Uint8Array;
  aaguid: Uint8Array;
  clientDataJSON: Uint8Array;
}): Promise<boolean> {
  const { attStmt } = input;
  const leaf = certificates(attStmt)?.[0];
  const sig = attStmt.get('sig');
  const alg = attStmt.get('alg');
  if (!(leaf instanceof Uint8Array) || !(sig instanceof Uint8Array) || typeof alg !== 'number') return false;
  const extension = new ParsedCertificate(new Uint8Array(leaf)).getExtension(AAGUID_EXTENSION);
  const declared = extension === null ? undefined : new Uint8Array(extension.value);
  // The extension's value is a DER OCTET STRING of the 16 AAGUID bytes (04 10 ‖ aaguid).
  if (declared !== undefined && !Buffer.from(declared).equals(Buffer.concat([Buffer.from([0x04, 0x10]), input.aaguid]))) {
    throw invalid('packed', 'the attestation certificate names another AAGUID than authenticatorData');
  }
  const clientDataHash = createHash('sha256').update(input.clientDataJSON).digest();
  return verifySignature({
    signature: sig as Uint8Array<ArrayBuffer>,
    data: new Uint8Array(Buffer.concat([input.authData, clientDataHash])),
    x509Certificate: leaf as Uint8Array<ArrayBuffer>,
    hashAlgorithm: alg as cose.COSEALG,
  });
}
