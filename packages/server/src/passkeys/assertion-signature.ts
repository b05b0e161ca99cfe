import { constants, verify, type KeyObject } from 'node:crypto';
import { cose } from '@simplewebauthn/server/helpers';
import type { CredentialPublicKey } from './credential-public-key.ts';

/**
 * Checks an assertion signature (WebAuthn L3 §7.2 step 22) with node:crypto on an imported
 * KeyObject: synchronous OpenSSL, no WebCrypto thread-pool hop and no key import per request.
 * The COSE algorithm the key was registered with fixes everything (WebAuthn §6.5.5, RFC 9053 §2,
 * RFC 8230 §2, RFC 8812 §2):
 * - ES256/ES384/ES512: ECDSA with SHA-256/384/512, the signature an ASN.1 DER Ecdsa-Sig-Value
 *   (§6.5.5). OpenSSL requires strict DER: BER variants and bytes after the SEQUENCE fail.
 * - EdDSA: Ed25519 (RFC 8032), no pre-hash.
 * - RS256/RS384/RS512 and RS1: RSASSA-PKCS1-v1_5 with SHA-256/384/512 and SHA-1 (RFC 8812 §2).
 * - PS256/PS384/PS512: RSASSA-PSS, MGF1 with the same hash and a salt as long as the hash
 *   (RFC 8230 §2). The salt length is fixed: node's default for verification accepts any length.
 */

type Verifier = (data: Uint8Array, key: KeyObject, signature: Uint8Array) => boolean;

// DER is node's default signature encoding for ECDSA, so the KeyObject is passed as it is: wrapped in an options
// object ({ key, dsaEncoding }) node first tries it as a KeyObject and as a CryptoKey, each test a thrown and caught
// exception — 1.5 % of a sign-in's CPU.
const ecdsa =
  (hash: string): Verifier =>
  (data, key, signature) =>
    verify(hash, data, key, signature);
const pkcs1 =
  (hash: string): Verifier =>
  (data, key, signature) =>
    verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
const pss =
  (hash: string): Verifier =>
  (data, key, signature) =>
    verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);

const VERIFIERS: ReadonlyMap<number, Verifier> = new Map<number, Verifier>([
  [cose.COSEALG.ES256, ecdsa('sha256')],
  [cose.COSEALG.ES384, ecdsa('sha384')],
  [cose.COSEALG.ES512, ecdsa('sha512')],
  [cose.COSEALG.EdDSA, (data, key, signature) => verify(null, data, key, signature)],
  [cose.COSEALG.RS256, pkcs1('sha256')],
  [cose.COSEALG.RS384, pkcs1('sha384')],
  [cose.COSEALG.RS512, pkcs1('sha512')],
  [cose.COSEALG.RS1, pkcs1('sha1')],
  [cose.COSEALG.PS256, pss('sha256')],
  [cose.COSEALG.PS384, pss('sha384')],
  [cose.COSEALG.PS512, pss('sha512')],
]);

/** Whether `signature` is the credential key's signature over `signedData` (authenticatorData ‖ SHA-256(clientDataJSON)). */
export function assertionSignatureVerifies(credentialKey: CredentialPublicKey, signedData: Uint8Array, signature: Uint8Array): boolean {
  const verifier = VERIFIERS.get(credentialKey.algorithm);
  // importCredentialPublicKey admits only the algorithms above; anything else cannot verify.
  if (!verifier) return false;
  try {
    return verifier(signedData, credentialKey.key, signature);
  } catch {
    // OpenSSL throws for some malformed signatures (e.g. an RSA signature of the wrong length): not a signature.
    return false;
  }
}
