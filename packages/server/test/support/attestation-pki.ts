// A throwaway attestation PKI for tests: a root CA and an attestation leaf it issued, with the subject WebAuthn §8.2.1
// asks of packed attestation certificates, made with @peculiar/x509 over WebCrypto. The leaf's private key comes back
// as a node:crypto KeyObject for the SoftAuthenticator to sign attestation statements with.
import 'reflect-metadata';
import { KeyObject } from 'node:crypto';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509CertificateGenerator } from '@peculiar/x509';

export interface AttestationPki {
  /** The root, PEM (for a policy's rootCertificates) */
  rootPem: string;
  /** DER of the root */
  root: Uint8Array;
  /** DER of the leaf */
  leaf: Uint8Array;
  /** The leaf's private key */
  privateKey: KeyObject;
}

export interface AttestationPkiOptions {
  /** The leaf key's curve. Default P-256. */
  curve?: 'P-256' | 'P-384';
  /** The leaf's validity period. Default 2025-01-01 to 2035-01-01. */
  notBefore?: Date;
  notAfter?: Date;
}

const keyPair = (namedCurve: string) => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

export async function makeAttestationPki(options: AttestationPkiOptions = {}): Promise<AttestationPki> {
  const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const rootKeys = await keyPair('P-256');
  const root = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=Keyway Test Attestation Root, O=Keyway Test, C=US',
    keys: rootKeys,
    signingAlgorithm,
    notBefore: new Date('2000-01-01T00:00:00Z'),
    notAfter: new Date('2099-01-01T00:00:00Z'),
    extensions: [new BasicConstraintsExtension(true, undefined, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true)],
  });
  const leafKeys = await keyPair(options.curve ?? 'P-256');
  const leaf = await X509CertificateGenerator.create({
    subject: 'C=US, O=Keyway Test, OU=Authenticator Attestation, CN=Soft Authenticator',
    issuer: root.subject,
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm,
    notBefore: options.notBefore ?? new Date('2025-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2035-01-01T00:00:00Z'),
    extensions: [new BasicConstraintsExtension(false, undefined, true)],
  });
  return {
    rootPem: root.toString('pem'),
    root: new Uint8Array(root.rawData),
    leaf: new Uint8Array(leaf.rawData),
    privateKey: KeyObject.from(leafKeys.privateKey),
  };
}

/**
 * `count` CA certificates that all carry the same subject and issuer (`name`), each signed by the next one's key, the
 * last self-signed: DER, in that order. Crafted chains of this shape make path building try every one as the issuer
 * of every other (a signature check each), which is what the bounds on attestation chains are for.
 */
export async function makeSameNameCertificates(count: number, name = 'CN=A'): Promise<Uint8Array[]> {
  const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const keys: CryptoKeyPair[] = [];
  for (let i = 0; i < count; i++) keys.push(await keyPair('P-256'));
  const certificates: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const certificate = await X509CertificateGenerator.create({
      serialNumber: (i + 1).toString(16).padStart(2, '0'),
      subject: name,
      issuer: name,
      publicKey: keys[i]!.publicKey,
      signingKey: keys[Math.min(i + 1, count - 1)]!.privateKey,
      signingAlgorithm,
      notBefore: new Date('2000-01-01T00:00:00Z'),
      notAfter: new Date('2099-01-01T00:00:00Z'),
      extensions: [new BasicConstraintsExtension(true, undefined, true)],
    });
    certificates.push(new Uint8Array(certificate.rawData));
  }
  return certificates;
}
