// @peculiar/x509 (used here to build test PKIs) needs the Reflect polyfill first, as in src/passkeys/certificate-chain.ts.
import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, X509Certificate, X509CertificateGenerator } from '@peculiar/x509';
import { SettingsService, verifyRegistrationResponse } from '@simplewebauthn/server';
import { CompactSign } from 'jose';
import { assertValidTrustAnchors, assessAttestation, disableLibraryTrustAnchors, type AssessAttestationInput } from '../../src/passkeys/attestation-trust.ts';
import { certificateKeyIdentifiers, validateCertificateChain } from '../../src/passkeys/certificate-chain.ts';
import { FIDO_MDS_ROOT_CERTIFICATES, MetadataBlobCache, MetadataBlobError, verifyMetadataBlob } from '../../src/passkeys/mds-blob.ts';
import type { AttestationTrust } from '../../src/passkeys/passkey-config.ts';
import { GLOBALSIGN_ROOT_CA, MICROSOFT_TPM_ROOT_CA_2014, YUBICO_U2F_ROOT_CA } from './fixtures/attestation-roots.ts';

interface Vector {
  id: string;
  ceremony: string;
  format: string;
  expectedOrigin: string | string[];
  expectedRPID: string;
  expectedChallenge: string;
  requireUserVerification?: boolean;
  verificationTime?: string;
  rootCertificatesPEM?: string[];
  expected: 'valid' | 'invalid';
  response: { response: { attestationObject: string } } & Record<string, unknown>;
}

const vectors = JSON.parse(readFileSync(path.resolve(import.meta.dirname, 'fixtures/webauthn-vectors/vectors.json'), 'utf8')) as Vector[];
const vector = (id: string): Vector => {
  const found = vectors.find((v) => v.id === id);
  if (!found) throw new Error(`no vector ${id}`);
  return found;
};
const W3C_ROOT = vector('w3c-reg-packed-es256').rootCertificatesPEM![0]!;
const TODAY = new Date('2026-03-01T00:00:00Z');
const sha256 = (pem: string) => createHash('sha256').update(new NodeX509Certificate(pem).raw).digest('hex');

function trust(rootCertificates: string[], metadata?: AttestationTrust['metadata']): AttestationTrust {
  return { requireTrustedAttestation: true, rootCertificates, ...(metadata ? { metadata } : {}) };
}

function assess(id: string, rootCertificates: string[], extra: Partial<AssessAttestationInput> = {}) {
  const v = vector(id);
  return assessAttestation({
    attestationObject: v.response.response.attestationObject,
    trust: trust(rootCertificates),
    now: v.verificationTime ? new Date(v.verificationTime) : TODAY,
    ...extra,
  });
}

// ── a throwaway PKI for the cases real vectors cannot show ──
const ECDSA = { name: 'ECDSA', hash: 'SHA-256' };
interface Issuer {
  cert: X509Certificate;
  keys: CryptoKeyPair;
}
const keyPair = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
const validity = { notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z') };

async function makeRoot(name: string, options: { pathLength?: number } = {}): Promise<Issuer> {
  const keys = await keyPair();
  const cert = await X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: ECDSA,
    ...validity,
    extensions: [
      new BasicConstraintsExtension(true, options.pathLength, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert, keys };
}

async function makeCert(
  subject: string,
  issuer: Issuer,
  options: { ca?: boolean; pathLength?: number; keyUsage?: KeyUsageFlags; notAfter?: Date } = {},
): Promise<Issuer> {
  const keys = await keyPair();
  const extensions = [new BasicConstraintsExtension(options.ca ?? false, options.pathLength, true)];
  if (options.keyUsage !== undefined) extensions.push(new KeyUsagesExtension(options.keyUsage, true) as never);
  const cert = await X509CertificateGenerator.create({
    subject,
    issuer: issuer.cert.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ECDSA,
    ...validity,
    ...(options.notAfter ? { notAfter: options.notAfter } : {}),
    extensions,
  });
  return { cert, keys };
}

const b64 = (cert: X509Certificate) => Buffer.from(cert.rawData).toString('base64');

async function signBlob(payload: unknown, signer: Issuer, chain: X509Certificate[]): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: chain.map(b64) })
    .sign(signer.keys.privateKey);
}

describe('SimpleWebAuthn with its trust anchors disabled', () => {
  it('empties the global root lists for every attestation format, once, and leaves mds alone', () => {
    const mdsBefore = SettingsService.getRootCertificates({ identifier: 'mds' });
    disableLibraryTrustAnchors();
    disableLibraryTrustAnchors();
    for (const identifier of ['packed', 'fido-u2f', 'tpm', 'android-key', 'android-safetynet', 'apple'] as const) {
      assert.deepEqual(SettingsService.getRootCertificates({ identifier }), [], identifier);
    }
    assert.deepEqual(SettingsService.getRootCertificates({ identifier: 'mds' }), mdsBefore);
  });

  it('then verifies attestation signatures without judging the chain, which is Keyway’s job', async () => {
    disableLibraryTrustAnchors();
    for (const id of ['w3c-reg-packed-es256', 'w3c-reg-apple-es256', 'swa-reg-fido-u2f-yubikey', 'swa-reg-packed-x5c-yubikey5']) {
      const v = vector(id);
      const result = await verifyRegistrationResponse({
        response: v.response as never,
        expectedChallenge: v.expectedChallenge,
        expectedOrigin: v.expectedOrigin,
        expectedRPID: v.expectedRPID,
        requireUserVerification: v.requireUserVerification ?? false,
        supportedAlgorithmIDs: [-8, -7, -35, -36, -37, -38, -39, -257, -258, -259],
      });
      assert.equal(result.verified, true, id);
      // SimpleWebAuthn accepted it with no roots at all; only Keyway's assessment can say whether it is trusted.
      assert.equal((await assess(id, [])).verified, false, id);
    }
  });
});

describe('assessAttestation against the policy’s roots (real vectors)', () => {
  it('verifies every W3C attestation format against the W3C test CA', async () => {
    for (const id of [
      'w3c-reg-packed-es256',
      'w3c-reg-packed-es384',
      'w3c-reg-packed-es512',
      'w3c-reg-packed-rs256',
      'w3c-reg-packed-eddsa',
      'w3c-reg-tpm-es256',
      'w3c-reg-apple-es256',
      'w3c-reg-fido-u2f-es256',
      'w3c-reg-android-key-es256',
    ]) {
      const v = vector(id);
      // android-key is `invalid` as a whole (empty authorization lists, see vectors README); its chain is still sound.
      const result = await assess(id, v.rootCertificatesPEM!);
      assert.equal(result.verified, true, `${id}: ${result.reason}`);
      assert.equal(result.trustedBy, 'policy');
      assert.match(result.anchor ?? '', /OU=Authenticator Attestation CA/);
    }
  });

  it('does not verify without roots, or with someone else’s root', async () => {
    const none = await assess('w3c-reg-packed-es256', []);
    assert.equal(none.verified, false);
    assert.match(none.reason ?? '', /no trusted root certificates/);
    const other = await assess('w3c-reg-packed-es256', [YUBICO_U2F_ROOT_CA, MICROSOFT_TPM_ROOT_CA_2014]);
    assert.equal(other.verified, false);
    assert.match(other.reason ?? '', /does not lead to a trusted root/);
  });

  it('verifies real YubiKey attestations (fido-u2f and packed) against the Yubico U2F root', async () => {
    assert.equal(sha256(YUBICO_U2F_ROOT_CA), '0fa1386f80eb8713263ae5c1d84deb455bdf08aea50ab05503cefee82b092d42');
    for (const id of ['swa-reg-fido-u2f-yubikey', 'swa-reg-packed-x5c-yubikey5']) {
      const result = await assess(id, [W3C_ROOT, YUBICO_U2F_ROOT_CA]);
      assert.equal(result.verified, true, `${id}: ${result.reason}`);
      assert.equal(result.anchor, 'CN=Yubico U2F Root CA Serial 457200631');
    }
    assert.equal((await assess('swa-reg-fido-u2f-yubikey', [W3C_ROOT])).verified, false);
  });

  it('verifies a real Windows Hello TPM attestation at its verification time, and not today (AIK certificate expired)', async () => {
    assert.equal(sha256(MICROSOFT_TPM_ROOT_CA_2014), '870c7a35ceab3d59979f2c6a524042d404cb71518004350925fb2ced79a999da');
    const atTime = await assess('pyw-reg-tpm-rs256-surface-pro-4', [MICROSOFT_TPM_ROOT_CA_2014]);
    assert.equal(atTime.verified, true, atTime.reason);
    assert.match(atTime.anchor ?? '', /Microsoft TPM Root Certificate Authority 2014/);
    const today = await assess('pyw-reg-tpm-rs256-surface-pro-4', [MICROSOFT_TPM_ROOT_CA_2014], { now: TODAY });
    assert.equal(today.verified, false);
    assert.match(today.reason ?? '', /expired at 2025-/);
  });

  it('verifies a real SafetyNet attestation (x5c in the JWS header) through a cross-signed root, at its verification time only', async () => {
    assert.equal(sha256(GLOBALSIGN_ROOT_CA), 'ebd41040e4bb3ec742c9e381d31ef2a41a48b6685c96e7cef3c1df6cd4331c99');
    const atTime = await assess('pyw-reg-android-safetynet-chrome', [GLOBALSIGN_ROOT_CA]);
    assert.equal(atTime.verified, true, atTime.reason);
    assert.match(atTime.anchor ?? '', /CN=GlobalSign Root CA/);
    const today = await assess('pyw-reg-android-safetynet-chrome', [GLOBALSIGN_ROOT_CA], { now: TODAY });
    assert.equal(today.verified, false);
    assert.match(today.reason ?? '', /attest\.android\.com expired at 2021-10-17/);
  });

  it('accepts an intermediate the policy chooses to trust, within its validity', async () => {
    // The FIDO conformance TPM vector chains to a "fake" root the source does not publish; trust its intermediate instead.
    const v = vector('swa-reg-tpm-rs256-fido-conformance');
    const { decodeAttestationObject, isoBase64URL } = await import('@simplewebauthn/server/helpers');
    const x5c = decodeAttestationObject(isoBase64URL.toBuffer(v.response.response.attestationObject)).get('attStmt').get('x5c') as Uint8Array[];
    const intermediate = new X509Certificate(new Uint8Array(x5c[1]!)).toString('pem');
    const atTime = await assess(v.id, [intermediate]);
    assert.equal(atTime.verified, true, atTime.reason);
    assert.equal((await assess(v.id, [intermediate], { now: TODAY })).verified, false, 'the AIK certificate expired on 2025-01-31');
  });

  it('never verifies none or self attestation, whatever the roots', async () => {
    const everything = [W3C_ROOT, YUBICO_U2F_ROOT_CA, MICROSOFT_TPM_ROOT_CA_2014, GLOBALSIGN_ROOT_CA];
    for (const v of vectors.filter(
      (x) =>
        x.ceremony.startsWith('reg') &&
        (x.format === 'none' ||
          ['swa-reg-packed-self-es256', 'swa-reg-packed-self-ps256', 'swa-reg-packed-self-ps384', 'w3c-reg-packed-self-es256'].includes(x.id)),
    )) {
      const result = await assess(v.id, everything);
      assert.equal(result.verified, false, v.id);
      assert.match(result.reason ?? '', v.format === 'none' ? /format none/ : /self attestation/, v.id);
    }
  });

  it('accepts the attestation object as bytes and cross-checks the caller’s fmt and AAGUID', async () => {
    const v = vector('w3c-reg-packed-es256');
    const bytes = new Uint8Array(Buffer.from(v.response.response.attestationObject, 'base64url'));
    assert.equal(
      (
        await assessAttestation({
          attestationObject: bytes,
          fmt: 'packed',
          aaguid: '876CA4F52071C3E9B25509EF2CDF7ED6',
          trust: trust(v.rootCertificatesPEM!),
          now: TODAY,
        })
      ).verified,
      true,
    );
    assert.match(
      (await assessAttestation({ attestationObject: bytes, fmt: 'tpm', trust: trust(v.rootCertificatesPEM!), now: TODAY })).reason ?? '',
      /format is packed, not tpm/,
    );
    assert.match(
      (await assessAttestation({ attestationObject: bytes, aaguid: '00000000-0000-0000-0000-000000000000', trust: trust(v.rootCertificatesPEM!), now: TODAY }))
        .reason ?? '',
      /AAGUID/,
    );
    assert.match(
      (await assessAttestation({ attestationObject: 'bm90IGNib3I', trust: trust(v.rootCertificatesPEM!), now: TODAY })).reason ?? '',
      /cannot be decoded/,
    );
  });

  it('skips an unreadable root in the policy but still uses the good ones', async () => {
    const result = await assess('w3c-reg-packed-es256', ['not a certificate', W3C_ROOT]);
    assert.equal(result.verified, true);
    const bad = await assess('w3c-reg-packed-es256', ['not a certificate']);
    assert.equal(bad.verified, false);
    assert.match(bad.reason ?? '', /trusted root 0 is not a certificate/);
  });
});

describe('certificate path rules (generated PKI)', () => {
  let root: Issuer;
  before(async () => {
    root = await makeRoot('CN=Test Attestation Root');
  });

  it('accepts root → CA intermediate → leaf, and rejects an intermediate that is not a CA', async () => {
    const intermediate = await makeCert('CN=Test Intermediate', root, { ca: true, keyUsage: KeyUsageFlags.keyCertSign });
    const leaf = await makeCert('CN=Test Leaf', intermediate);
    assert.equal((await validateCertificateChain([leaf.cert, intermediate.cert], [root.cert], TODAY)).ok, true);

    const notCa = await makeCert('CN=Not A CA', root, { ca: false });
    const leaf2 = await makeCert('CN=Test Leaf 2', notCa);
    const result = await validateCertificateChain([leaf2.cert, notCa.cert], [root.cert], TODAY);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /CN=Not A CA is not a CA certificate/);
  });

  it('rejects an intermediate whose keyUsage forbids certificate signing', async () => {
    const intermediate = await makeCert('CN=Signing Only', root, { ca: true, keyUsage: KeyUsageFlags.digitalSignature });
    const leaf = await makeCert('CN=Leaf', intermediate);
    const result = await validateCertificateChain([leaf.cert, intermediate.cert], [root.cert], TODAY);
    assert.match(result.ok ? '' : result.reason, /may not sign certificates/);
  });

  it('enforces pathLenConstraint, the anchor’s included', async () => {
    const strictRoot = await makeRoot('CN=Path Length Zero Root', { pathLength: 0 });
    const intermediate = await makeCert('CN=Intermediate Under Zero', strictRoot, { ca: true });
    const leaf = await makeCert('CN=Leaf Under Zero', intermediate);
    const result = await validateCertificateChain([leaf.cert, intermediate.cert], [strictRoot.cert], TODAY);
    assert.match(result.ok ? '' : result.reason, /path length constraint/);
    const direct = await makeCert('CN=Direct Leaf', strictRoot);
    assert.equal((await validateCertificateChain([direct.cert], [strictRoot.cert], TODAY)).ok, true);
  });

  it('rejects a chain with an expired intermediate, and a signature by the wrong key', async () => {
    const expired = await makeCert('CN=Expired Intermediate', root, { ca: true, notAfter: new Date('2025-06-01T00:00:00Z') });
    const leaf = await makeCert('CN=Leaf Of Expired', expired);
    const result = await validateCertificateChain([leaf.cert, expired.cert], [root.cert], TODAY);
    assert.match(result.ok ? '' : result.reason, /Expired Intermediate expired at 2025-06-01/);

    const impostor = await makeRoot('CN=Test Attestation Root'); // same name, different key
    const forged = await makeCert('CN=Forged Leaf', impostor);
    const forgedResult = await validateCertificateChain([forged.cert, impostor.cert], [root.cert], TODAY);
    assert.equal(forgedResult.ok, false);
  });

  it('computes FIDO key identifiers like RFC 5280 method 1 (SHA-1 of the public key)', async () => {
    const v = vector('swa-reg-fido-u2f-yubikey');
    const { decodeAttestationObject, isoBase64URL } = await import('@simplewebauthn/server/helpers');
    const der = (decodeAttestationObject(isoBase64URL.toBuffer(v.response.response.attestationObject)).get('attStmt').get('x5c') as Uint8Array[])[0]!;
    const jwk = new NodeX509Certificate(der).publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const expected = createHash('sha1').update(point).digest('hex');
    assert.deepEqual(await certificateKeyIdentifiers(new X509Certificate(new Uint8Array(der))), [expected]);
  });
});

describe('assertValidTrustAnchors (policy configuration)', () => {
  it('accepts real roots and rejects garbage, bundles and expired roots with INVALID_TRUST_ANCHOR', () => {
    assertValidTrustAnchors([W3C_ROOT, YUBICO_U2F_ROOT_CA, MICROSOFT_TPM_ROOT_CA_2014], TODAY);
    assert.throws(() => assertValidTrustAnchors(['hello'], TODAY), { code: 'INVALID_TRUST_ANCHOR', message: /rootCertificates\/0/ });
    assert.throws(() => assertValidTrustAnchors([W3C_ROOT, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'], TODAY), {
      code: 'INVALID_TRUST_ANCHOR',
      message: /rootCertificates\/1/,
    });
    assert.throws(() => assertValidTrustAnchors([W3C_ROOT + YUBICO_U2F_ROOT_CA], TODAY), { code: 'INVALID_TRUST_ANCHOR' });
    assert.throws(() => assertValidTrustAnchors([GLOBALSIGN_ROOT_CA], new Date('2030-01-01T00:00:00Z')), { code: 'INVALID_TRUST_ANCHOR', message: /expired/ });
  });
});

describe('FIDO MDS3 metadata BLOB', () => {
  let mdsRoot: Issuer;
  let mdsSigner: Issuer;
  let dir: string;
  let server: Server;
  let served = '';
  let requests = 0;
  const w3cAaguid = '876ca4f5-2071-c3e9-b255-09ef2cdf7ed6';
  let yubicoKeyId: string;

  type TestEntry = Record<string, unknown> & { statusReports: Array<{ status: string; effectiveDate?: string }> };
  const entries = (): TestEntry[] => [
    {
      aaguid: w3cAaguid,
      metadataStatement: {
        description: 'W3C test authenticator',
        attestationRootCertificates: [new NodeX509Certificate(W3C_ROOT).raw.toString('base64')],
        attestationTypes: ['basic_full'],
      },
      statusReports: [{ status: 'FIDO_CERTIFIED_L1', effectiveDate: '2024-01-01' }],
      timeOfLastStatusChange: '2024-01-01',
    },
    {
      attestationCertificateKeyIdentifiers: [yubicoKeyId],
      metadataStatement: {
        description: 'YubiKey (U2F)',
        attestationRootCertificates: [new NodeX509Certificate(YUBICO_U2F_ROOT_CA).raw.toString('base64')],
        attestationTypes: ['basic_full'],
      },
      statusReports: [{ status: 'FIDO_CERTIFIED' }],
    },
    { aaid: '4e4e#4005', statusReports: [] }, // UAF: ignored
  ];
  const blob = (overrides: Record<string, unknown> = {}) =>
    signBlob({ legalHeader: 'test', no: 7, nextUpdate: '2026-04-01', entries: entries(), ...overrides }, mdsSigner, [mdsSigner.cert, mdsRoot.cert]);

  before(async () => {
    mdsRoot = await makeRoot('CN=Test MDS Root');
    mdsSigner = await makeCert('CN=Test MDS BLOB Signer', mdsRoot);
    const v = vector('swa-reg-fido-u2f-yubikey');
    const { decodeAttestationObject, isoBase64URL } = await import('@simplewebauthn/server/helpers');
    const der = (decodeAttestationObject(isoBase64URL.toBuffer(v.response.response.attestationObject)).get('attStmt').get('x5c') as Uint8Array[])[0]!;
    [yubicoKeyId] = (await certificateKeyIdentifiers(new X509Certificate(new Uint8Array(der)))) as [string];
    dir = mkdtempSync(path.join(tmpdir(), 'keyway-mds-'));
    server = createServer((_request, response) => {
      requests++;
      if (served === '') return response.writeHead(503).end();
      response.writeHead(200, { 'content-type': 'application/jwt' }).end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  const mdsRootPem = () => mdsRoot.cert.toString('pem');

  it('ships the FIDO signing roots, pinned by fingerprint', () => {
    assert.deepEqual(FIDO_MDS_ROOT_CERTIFICATES.map(sha256), [
      'cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b', // GlobalSign Root CA - R3
      '4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9', // GlobalSign Root R46
    ]);
  });

  it('verifies a BLOB signed under a trusted root and indexes its FIDO2 and U2F entries', async () => {
    const verified = await verifyMetadataBlob(await blob(), { trustedRoots: [mdsRootPem()], now: TODAY });
    assert.equal(verified.no, 7);
    assert.equal(verified.nextUpdate.toISOString(), '2026-04-01T00:00:00.000Z');
    assert.equal(verified.entries.length, 2);
    assert.equal(verified.byAaguid(w3cAaguid.toUpperCase())?.description, 'W3C test authenticator');
    assert.equal(verified.byKeyIdentifier(yubicoKeyId.toUpperCase())?.description, 'YubiKey (U2F)');
  });

  it('refuses a BLOB with a bad signature, an untrusted chain, a foreign algorithm or an expired nextUpdate', async () => {
    const good = await blob();
    const [header, payload, signature] = good.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ no: 8, nextUpdate: '2026-04-01', entries: [] })).toString('base64url')}.${signature}`;
    await assert.rejects(verifyMetadataBlob(tampered, { trustedRoots: [mdsRootPem()], now: TODAY }), {
      name: 'MetadataBlobError',
      message: /signature does not verify/,
    });
    await assert.rejects(verifyMetadataBlob(good, { now: TODAY }), { message: /signing chain is not trusted/ }); // the real FIDO roots
    await assert.rejects(verifyMetadataBlob(good, { trustedRoots: [W3C_ROOT], now: TODAY }), { message: /signing chain is not trusted/ });
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', x5c: [b64(mdsSigner.cert)] })).toString('base64url')}.${payload}.`;
    await assert.rejects(verifyMetadataBlob(unsigned, { trustedRoots: [mdsRootPem()], now: TODAY }), { message: /unsupported algorithm none/ });
    await assert.rejects(verifyMetadataBlob(await blob({ nextUpdate: '2026-02-27' }), { trustedRoots: [mdsRootPem()], now: TODAY }), {
      message: /out of date/,
    });
    await assert.rejects(verifyMetadataBlob('not a jws', { trustedRoots: [mdsRootPem()], now: TODAY }), MetadataBlobError);
    await assert.rejects(verifyMetadataBlob(await blob({ no: 'seven' }), { trustedRoots: [mdsRootPem()], now: TODAY }), { message: /serial number/ });
  });

  it('trusts an attestation through the metadata entry’s roots (by AAGUID, and by key identifier for U2F)', async () => {
    const file = path.join(dir, 'blob.jwt');
    writeFileSync(file, await blob());
    const metadata = new MetadataBlobCache({ trustedRoots: [mdsRootPem()] });
    const viaAaguid = await assess('w3c-reg-packed-es256', [], { trust: trust([], { file }), metadata });
    assert.deepEqual(viaAaguid, {
      verified: true,
      trustedBy: 'metadata',
      anchor: 'CN=WebAuthn test vectors, O=W3C, OU=Authenticator Attestation CA, C=AA',
      authenticatorDescription: 'W3C test authenticator',
    });
    const viaKeyId = await assess('swa-reg-fido-u2f-yubikey', [], { trust: trust([], { file }), metadata });
    assert.equal(viaKeyId.verified, true, viaKeyId.reason);
    assert.equal(viaKeyId.authenticatorDescription, 'YubiKey (U2F)');

    const unknown = await assess('w3c-reg-packed-es384', [], { trust: trust([], { file }), metadata });
    assert.equal(unknown.verified, false);
    assert.match(unknown.reason ?? '', /no FIDO metadata entry for AAGUID e950dcda/);
    const noLoader = await assess('w3c-reg-packed-es256', [], { trust: trust([], { file }) });
    assert.match(noLoader.reason ?? '', /no metadata loader/);
  });

  it('does not trust an authenticator whose metadata reports a compromise', async () => {
    const file = path.join(dir, 'revoked.jwt');
    const revoked = entries();
    revoked[0]!.statusReports.push({ status: 'REVOKED', effectiveDate: '2025-05-01' });
    writeFileSync(file, await signBlob({ no: 1, nextUpdate: '2026-04-01', entries: revoked }, mdsSigner, [mdsSigner.cert]));
    const result = await assess('w3c-reg-packed-es256', [], { trust: trust([], { file }), metadata: new MetadataBlobCache({ trustedRoots: [mdsRootPem()] }) });
    assert.equal(result.verified, false);
    assert.match(result.reason ?? '', /REVOKED since 2025-05-01/);
    assert.equal(result.authenticatorDescription, 'W3C test authenticator');
    // The policy's own roots still decide on their own.
    assert.equal((await assess('w3c-reg-packed-es256', [W3C_ROOT], { trust: trust([W3C_ROOT], { file }) })).verified, true);
  });

  it('reports an unusable metadata source as the reason, without throwing', async () => {
    const metadata = new MetadataBlobCache({ trustedRoots: [mdsRootPem()] });
    const missing = await assess('w3c-reg-packed-es256', [], { trust: trust([], { file: path.join(dir, 'missing.jwt') }), metadata });
    assert.equal(missing.verified, false);
    assert.match(missing.reason ?? '', /metadata unavailable/);
  });

  it('caches per source, re-reads after the refresh interval, and keeps the held BLOB on failure or rollback', async () => {
    const file = path.join(dir, 'cached.jwt');
    writeFileSync(file, await blob({ no: 10 }));
    let reads = 0;
    const cache = new MetadataBlobCache({
      trustedRoots: [mdsRootPem()],
      refreshMs: 60_000,
      retryMs: 1000,
      readFile: async (p) => (reads++, readFileSync(p, 'utf8')),
    });
    const t = TODAY.getTime();
    const [a, b] = await Promise.all([cache.get({ file }, TODAY), cache.get({ file }, TODAY)]);
    assert.equal(a, b);
    assert.equal(reads, 1, 'concurrent callers share one load');
    await cache.get({ file }, new Date(t + 59_000));
    assert.equal(reads, 1);

    writeFileSync(file, await blob({ no: 9 })); // a rollback
    const afterRollback = await cache.get({ file }, new Date(t + 61_000));
    assert.equal(reads, 2);
    assert.equal(afterRollback.no, 10);

    writeFileSync(file, 'garbage');
    assert.equal((await cache.get({ file }, new Date(t + 63_000))).no, 10, 'a broken file does not drop the held BLOB');
    writeFileSync(file, await blob({ no: 11 }));
    assert.equal((await cache.get({ file }, new Date(t + 65_000))).no, 11);

    // Past the end of the nextUpdate day nothing is served, even from the cache.
    writeFileSync(file, 'garbage');
    await assert.rejects(cache.get({ file }, new Date('2026-04-02T00:00:00Z')), MetadataBlobError);
  });

  it('downloads a BLOB over HTTP, and falls back to the file when the URL fails', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/blob`;
    served = await blob({ no: 20 });
    const cache = new MetadataBlobCache({ trustedRoots: [mdsRootPem()] });
    assert.equal((await cache.get({ url }, TODAY)).no, 20);
    const before = requests;
    await cache.get({ url }, TODAY);
    assert.equal(requests, before, 'served from cache');

    served = '';
    const file = path.join(dir, 'fallback.jwt');
    writeFileSync(file, await blob({ no: 21 }));
    const fallback = new MetadataBlobCache({ trustedRoots: [mdsRootPem()] });
    assert.equal((await fallback.get({ url, file }, TODAY)).no, 21);
    await assert.rejects(fallback.get({ url }, TODAY), { message: /answered 503/ });
    await assert.rejects(new MetadataBlobCache().get({ url: 'http://example.com/blob' }, TODAY), { message: /must be https/ });
  });
});
