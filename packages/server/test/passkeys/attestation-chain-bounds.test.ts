// An attestation's certificate chain is bounded before anything parses it or builds a path from it: at most 8
// certificates, none over 8 KiB, none twice, for every format that carries one (attStmt x5c; android-safetynet: the x5c
// of its JWS header), refused ATTESTATION_INVALID with nothing stored. Path building itself tries only anchors the path
// can end at and makes a bounded number of signature checks, so crafted same-name chains cannot cost seconds of CPU.
// Nothing here is timed: the tests assert the refusals and count the signature checks.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BasicConstraintsExtension, Extension, X509Certificate, X509CertificateGenerator } from '@peculiar/x509';
import { checkAttestationStatement } from '../../src/passkeys/attestation-statement.ts';
import { MAX_CERTIFICATE_BYTES, MAX_CHAIN_CERTIFICATES, MAX_SIGNATURE_CHECKS, validateCertificateChain } from '../../src/passkeys/certificate-chain.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { makeAttestationPki, makeSameNameCertificates, type AttestationPki } from '../support/attestation-pki.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator, type RegistrationDefects } from '../support/soft-authenticator.ts';
import { API, CTX, CeremonyWorld, RP_ID } from './ceremony-fixture.ts';

const NOW = '2026-06-01T00:00:00Z';
const TODAY = new Date(NOW);
const ES256 = -7;
const CHAIN_FORMATS = ['packed', 'tpm', 'android-key', 'apple', 'fido-u2f'] as const;

const parse = (der: Uint8Array) => new X509Certificate(new Uint8Array(der));
/** Distinct byte strings that are not certificates: a refusal over them shows nothing tried to parse them. */
const notCertificates = (count: number) => Array.from({ length: count }, (_, i) => new Uint8Array([0x30, 0x03, 0x02, 0x01, i]));
/** An android-safetynet statement whose JWS response names `x5c` in its protected header (unsigned: never read that far). */
const safetyNet = (x5c: string[]) => {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', x5c })).toString('base64url');
  return new Map<string, unknown>([
    ['ver', '1'],
    ['response', new TextEncoder().encode(`${header}.e30.c2ln`)],
  ]);
};

/** A certificate over 8 KiB (an opaque 9000-byte extension), self-signed. */
async function oversizeCertificate(): Promise<Uint8Array> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=Oversize',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date('2000-01-01T00:00:00Z'),
    notAfter: new Date('2099-01-01T00:00:00Z'),
    extensions: [new Extension('1.3.6.1.4.1.99999.1', false, new Uint8Array(9000))],
  });
  return new Uint8Array(certificate.rawData);
}

/** A self-signed CA named `name`: another anchor with the same subject as a policy's root. */
async function rootNamed(name: string): Promise<X509Certificate> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date('2000-01-01T00:00:00Z'),
    notAfter: new Date('2099-01-01T00:00:00Z'),
    extensions: [new BasicConstraintsExtension(true, undefined, true)],
  });
}

describe('attestation chain bounds (checkAttestationStatement, before any certificate is parsed)', () => {
  let pki: AttestationPki;
  let big: Uint8Array;
  before(async () => {
    pki = await makeAttestationPki();
    big = await oversizeCertificate();
  });
  const refused = (fmt: string, attStmt: Map<string, unknown>, detail: RegExp) =>
    assert.throws(
      () => checkAttestationStatement(fmt, attStmt, ES256),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ATTESTATION_INVALID');
        assert.match(error.message, new RegExp(`^The ${fmt} attestation statement does not verify: `));
        assert.match(error.message, detail);
        return true;
      },
    );

  test(`more than ${MAX_CHAIN_CERTIFICATES} certificates in x5c: refused for every format, the entries never read`, () => {
    assert.equal(MAX_CHAIN_CERTIFICATES, 8);
    for (const fmt of CHAIN_FORMATS) {
      refused(fmt, new Map<string, unknown>([['x5c', notCertificates(9)]]), /x5c holds 9 certificates; at most 8 are accepted/);
      refused(fmt, new Map<string, unknown>([['x5c', notCertificates(173)]]), /x5c holds 173 certificates/);
    }
  });

  test('the same certificate twice, or one over 8 KiB: refused', () => {
    assert.equal(MAX_CERTIFICATE_BYTES, 8192);
    assert.ok(big.length > MAX_CERTIFICATE_BYTES);
    for (const fmt of CHAIN_FORMATS) {
      refused(fmt, new Map<string, unknown>([['x5c', [pki.leaf, pki.root, new Uint8Array(pki.leaf)]]]), /x5c holds the same certificate twice \(0 and 2\)/);
      refused(fmt, new Map<string, unknown>([['x5c', [pki.leaf, big]]]), new RegExp(`x5c certificate 1 is ${big.length} bytes; at most 8192 are accepted`));
    }
  });

  test('android-safetynet: the same bounds on the x5c of its JWS header', () => {
    const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');
    refused('android-safetynet', safetyNet(notCertificates(9).map(b64)), /the x5c of the response JWS header holds 9 certificates/);
    refused('android-safetynet', safetyNet([b64(pki.leaf), b64(pki.leaf)]), /the x5c of the response JWS header holds the same certificate twice/);
    refused('android-safetynet', safetyNet([b64(pki.leaf), b64(big)]), /the x5c of the response JWS header certificate 1 is/);
    // Within the bounds the statement is the library's to verify.
    checkAttestationStatement('android-safetynet', safetyNet([b64(pki.leaf), b64(pki.root)]), ES256);
  });

  test(`up to ${MAX_CHAIN_CERTIFICATES} distinct certificates pass the bounds`, () => {
    for (const fmt of ['packed', 'tpm', 'android-key', 'apple'] as const) {
      checkAttestationStatement(fmt, new Map<string, unknown>([['x5c', notCertificates(8)]]), ES256);
      checkAttestationStatement(fmt, new Map<string, unknown>([['x5c', [pki.leaf, pki.root]]]), ES256);
    }
  });
});

describe('path building is bounded (validateCertificateChain)', () => {
  let pki: AttestationPki;
  let root: X509Certificate;
  before(async () => {
    pki = await makeAttestationPki();
    root = parse(pki.root);
  });

  test('a normal chain verifies with a few signature checks, among many anchors', async () => {
    const others = await Promise.all(Array.from({ length: 31 }, (_, i) => rootNamed(`CN=Other Root ${i}`)));
    for (const chain of [[pki.leaf], [pki.leaf, pki.root]]) {
      const result = await validateCertificateChain(chain.map(parse), [...others, root], TODAY);
      assert.equal(result.ok, true);
      assert.ok(result.signatureChecks <= 2, `${result.signatureChecks} signature checks`);
    }
  });

  test('a crafted same-name chain (CN=A) with 32 anchors of other names: no anchor tried, no signature checked', async () => {
    const crafted = await makeSameNameCertificates(7);
    const others = await Promise.all(Array.from({ length: 32 }, (_, i) => rootNamed(`CN=Other Root ${i}`)));
    // The audit's shape: each certificate's issuer is the last of the certificates after it.
    const result = await validateCertificateChain([crafted[0]!, ...crafted.slice(1).reverse()].map(parse), others, TODAY);
    assert.equal(result.ok, false);
    assert.equal(result.signatureChecks, 0);
  });

  test(`a crafted chain named after the anchors stops at ${MAX_SIGNATURE_CHECKS} signature checks, untrusted`, async () => {
    const name = root.subject;
    const crafted = await makeSameNameCertificates(MAX_CHAIN_CERTIFICATES, name);
    const chain = [crafted[0]!, ...crafted.slice(1).reverse()].map(parse);
    const sameName = await Promise.all(Array.from({ length: 4 }, () => rootNamed(name)));
    const result = await validateCertificateChain(chain, [...sameName, root], TODAY);
    assert.equal(result.ok, false);
    assert.equal(result.signatureChecks, MAX_SIGNATURE_CHECKS);
    assert.match(result.ok ? '' : result.reason, new RegExp(`^certificate path building stopped after ${MAX_SIGNATURE_CHECKS} signature checks`));
  });

  test(`more than ${MAX_CHAIN_CERTIFICATES} certificates: not validated at all`, async () => {
    const crafted = await makeSameNameCertificates(MAX_CHAIN_CERTIFICATES, root.subject);
    const result = await validateCertificateChain([pki.leaf, ...crafted].map(parse), [root], TODAY);
    assert.equal(result.ok, false);
    assert.equal(result.signatureChecks, 0);
    assert.match(result.ok ? '' : result.reason, /holds 9 certificates; at most 8 are validated/);
  });
});

for (const kind of DATABASE_KINDS) {
  describe(`attestation chain bounds at registration (admin ceremony API) on ${kind}`, () => {
    const clock = new ManualClock(NOW);
    let world: CeremonyWorld;
    let pki: AttestationPki;
    let crafted: Uint8Array[];
    let users = 0;

    before(async () => {
      world = await CeremonyWorld.create(kind, clock);
      pki = await makeAttestationPki();
      crafted = await makeSameNameCertificates(MAX_CHAIN_CERTIFICATES);
      // Trust is assessed against a root, but not required: a chain that gets past the bounds would be stored.
      await world.expectStatus(
        world.acme.api.post(`${API}/passkeys/registrationPolicies`, {
          name: 'chain-bounds',
          attestation: 'direct',
          attestationTrust: { requireTrustedAttestation: false, rootCertificates: [pki.rootPem] },
        }),
        201,
      );
    });
    after(() => world.close());

    const packed = () => new SoftAuthenticator({ attestationFormat: 'packed', attestationCertificate: { x5c: [pki.leaf], privateKey: pki.privateKey } });

    async function attempt(defects: RegistrationDefects) {
      const user = await world.createUser(`chain-${(users += 1)}`);
      const started = await world.expectStatus(
        world.acme.api.post(`${API}/users/${user.id}/passkeys/relyingParties/${RP_ID}/registrations/chain-bounds`, {}),
        200,
      );
      return { user, sessionId: started.body.sessionId as string, response: packed().register(started.body.clientRequest, CTX, defects) };
    }

    async function refused(defects: RegistrationDefects, detail: RegExp) {
      const { user, sessionId, response } = await attempt(defects);
      const before = await world.snapshot();
      const answer = await world.completeRegistration(user.id, sessionId, response);
      await world.assertRejected(answer, 400, 'ATTESTATION_INVALID', before);
      assert.match(JSON.stringify(answer.body), detail);
    }

    test('refused: a packed x5c of 9 certificates (the leaf and 8 crafted same-name CAs) → ATTESTATION_INVALID, nothing stored', async () => {
      await refused({ x5c: [pki.leaf, ...crafted] }, /x5c holds 9 certificates; at most 8 are accepted/);
    });

    test('refused: the leaf twice → ATTESTATION_INVALID, nothing stored', async () => {
      await refused({ x5c: [pki.leaf, pki.leaf] }, /x5c holds the same certificate twice/);
    });

    test('accepted: the leaf alone, with its root, and with 7 more certificates (8, the bound): trusted by the policy root', async () => {
      for (const x5c of [[pki.leaf], [pki.leaf, pki.root], [pki.leaf, ...crafted.slice(1)]]) {
        const { user, sessionId, response } = await attempt({ x5c });
        const passkey = (await world.expectStatus(world.completeRegistration(user.id, sessionId, response), 201)).body;
        assert.equal(passkey.attestationFormat, 'packed');
        assert.equal(passkey.attestationVerified, true, `${x5c.length} certificates`);
      }
    });
  });
}
