// Proves the soft authenticator against SimpleWebAuthn: valid output verifies, and each injected defect is rejected by
// the check it targets. Where SimpleWebAuthn does NOT catch a defect, the test pins that down instead, so the Keyway
// server knows it has to check it itself:
// - credentialIdLength > 1023 (spec limit): registration verifies.
// - userHandle swapped: authentication verifies (SimpleWebAuthn never looks at userHandle).
// - crossOrigin/topOrigin on registration: verifyRegistrationResponse ignores them (only authentication checks them).
// - badSignature is not thrown: SimpleWebAuthn returns { verified: false }, so callers must test `verified`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  RegistrationResponseJSON,
  VerifyAuthenticationResponseOpts,
  VerifyRegistrationResponseOpts,
  WebAuthnCredential,
} from '@simplewebauthn/server';
import { SoftAuthenticator, encodeCosePublicKey } from './soft-authenticator.ts';
import type { AuthenticationDefects, RegistrationDefects, SoftAlgorithm, SoftAuthenticatorOptions } from './soft-authenticator.ts';

const RP_ID = 'login.keyway.test';
const ORIGIN = 'https://login.keyway.test';
const CTX = { origin: ORIGIN };
const EVIL_ORIGIN = 'https://evil.test';
const OTHER_CHALLENGE = Buffer.from('not the challenge that was issued').toString('base64url');

async function registrationOptions(userName = 'alice'): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({ rpName: 'Keyway', rpID: RP_ID, userName });
}

async function verifyRegistration(response: RegistrationResponseJSON, challenge: string, overrides: Partial<VerifyRegistrationResponseOpts> = {}) {
  return verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID, ...overrides });
}

/** Registers through SimpleWebAuthn and returns the stored-credential record a server would keep. */
async function enrol(authenticator: SoftAuthenticator, userName = 'alice'): Promise<{ credential: WebAuthnCredential; userHandle: string }> {
  const options = await registrationOptions(userName);
  const result = await verifyRegistration(authenticator.register(options, CTX), options.challenge);
  assert.equal(result.verified, true);
  assert.ok(result.registrationInfo);
  return { credential: result.registrationInfo.credential, userHandle: options.user.id };
}

async function verifyAuthentication(
  response: AuthenticationResponseJSON,
  challenge: string,
  credential: WebAuthnCredential,
  overrides: Partial<VerifyAuthenticationResponseOpts> = {},
) {
  return verifyAuthenticationResponse({ response, expectedChallenge: challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID, credential, ...overrides });
}

const ALGORITHMS: { alg: SoftAlgorithm; keyType: string }[] = [
  { alg: -7, keyType: 'ec' },
  { alg: -8, keyType: 'ed25519' },
  { alg: -257, keyType: 'rsa' },
];

describe('SoftAuthenticator: valid ceremonies verify with SimpleWebAuthn', () => {
  for (const { alg, keyType } of ALGORITHMS) {
    it(`alg ${alg}: registration (none) then authentication`, async () => {
      const aaguid = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
      const authenticator = new SoftAuthenticator({ alg, aaguid, backupEligible: true, backupState: true });
      const options = await registrationOptions();
      const response = authenticator.register(options, CTX);

      // Shape of a browser's PublicKeyCredential.toJSON().
      assert.equal(response.type, 'public-key');
      assert.equal(response.rawId, response.id);
      assert.equal(response.authenticatorAttachment, 'platform');
      assert.deepEqual(response.response.transports, ['hybrid', 'internal']);
      assert.equal(response.response.publicKeyAlgorithm, alg);
      assert.ok(response.response.publicKey);
      assert.equal(createPublicKey({ key: Buffer.from(response.response.publicKey, 'base64url'), format: 'der', type: 'spki' }).asymmetricKeyType, keyType);
      const clientData: unknown = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'));
      assert.deepEqual(clientData, { type: 'webauthn.create', challenge: options.challenge, origin: ORIGIN, crossOrigin: false });

      const registration = await verifyRegistration(response, options.challenge);
      assert.equal(registration.verified, true);
      assert.ok(registration.registrationInfo);
      const { registrationInfo } = registration;
      assert.equal(registrationInfo.fmt, 'none');
      assert.equal(registrationInfo.aaguid, aaguid);
      assert.equal(registrationInfo.credentialDeviceType, 'multiDevice');
      assert.equal(registrationInfo.credentialBackedUp, true);
      assert.equal(registrationInfo.userVerified, true);
      assert.equal(registrationInfo.credential.id, response.id);
      assert.equal(registrationInfo.credential.counter, 0);
      const [stored] = authenticator.credentials();
      assert.ok(stored);
      assert.deepEqual(registrationInfo.credential.publicKey, encodeCosePublicKey(stored.publicKey, alg));

      const authOptions = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: response.id }] });
      const assertion = authenticator.authenticate(authOptions, CTX);
      assert.equal(assertion.id, response.id);
      assert.equal(assertion.response.userHandle, options.user.id);
      const authentication = await verifyAuthentication(assertion, authOptions.challenge, registrationInfo.credential);
      assert.equal(authentication.verified, true);
      assert.equal(authentication.authenticationInfo.newCounter, 1);
      assert.equal(authentication.authenticationInfo.userVerified, true);

      // The SPKI key from registration verifies the assertion too (what a server without COSE parsing would use).
      const signed = Buffer.concat([
        Buffer.from(assertion.response.authenticatorData, 'base64url'),
        createHash('sha256').update(Buffer.from(assertion.response.clientDataJSON, 'base64url')).digest(),
      ]);
      const spki = createPublicKey({ key: Buffer.from(response.response.publicKey, 'base64url'), format: 'der', type: 'spki' });
      assert.equal(verify(alg === -8 ? null : 'sha256', signed, spki, Buffer.from(assertion.response.signature, 'base64url')), true);
    });

    it(`alg ${alg}: packed self-attestation verifies`, async () => {
      const authenticator = new SoftAuthenticator({ alg, attestationFormat: 'packed' });
      const options = await registrationOptions();
      const result = await verifyRegistration(authenticator.register(options, CTX), options.challenge);
      assert.equal(result.verified, true);
      assert.equal(result.registrationInfo?.fmt, 'packed');
    });
  }

  it('discoverable flow: empty allowCredentials picks the newest credential for the RP ID and returns its userHandle', async () => {
    const authenticator = new SoftAuthenticator();
    await enrol(authenticator, 'alice');
    const bob = await enrol(authenticator, 'bob');
    const authOptions = await generateAuthenticationOptions({ rpID: RP_ID });
    const assertion = authenticator.authenticate(authOptions, CTX);
    assert.equal(assertion.id, bob.credential.id);
    assert.equal(assertion.response.userHandle, bob.userHandle);
    assert.equal((await verifyAuthentication(assertion, authOptions.challenge, bob.credential)).verified, true);
  });

  it('ctx.credentialId picks among matching credentials', async () => {
    const authenticator = new SoftAuthenticator();
    const alice = await enrol(authenticator, 'alice');
    await enrol(authenticator, 'bob');
    const authOptions = await generateAuthenticationOptions({ rpID: RP_ID });
    const assertion = authenticator.authenticate(authOptions, { ...CTX, credentialId: alice.credential.id });
    assert.equal(assertion.response.userHandle, alice.userHandle);
  });

  it('counters advance per assertion, or stay 0 with incrementSignCount: false', async () => {
    for (const [options, expected] of [
      [{}, [1, 2]],
      [{ incrementSignCount: false }, [0, 0]],
    ] as const) {
      const authenticator = new SoftAuthenticator(options);
      const { credential } = await enrol(authenticator);
      for (const counter of expected) {
        const authOptions = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: credential.id }] });
        const result = await verifyAuthentication(authenticator.authenticate(authOptions, CTX), authOptions.challenge, credential);
        assert.equal(result.authenticationInfo.newCounter, counter);
        credential.counter = result.authenticationInfo.newCounter;
      }
    }
  });

  it('behaves like a browser: excludeCredentials, unknown allowCredentials, RP ID outside the origin', async () => {
    const authenticator = new SoftAuthenticator();
    const { credential } = await enrol(authenticator);
    const options = await generateRegistrationOptions({ rpName: 'Keyway', rpID: RP_ID, userName: 'alice', excludeCredentials: [{ id: credential.id }] });
    assert.throws(() => authenticator.register(options, CTX), { name: 'InvalidStateError' });
    const authOptions = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: 'AAAA' }] });
    assert.throws(() => authenticator.authenticate(authOptions, CTX), { name: 'NotAllowedError' });
    assert.throws(() => authenticator.register(options, { origin: 'https://elsewhere.test' }), { name: 'SecurityError' });
  });

  it("another user's credential can be imported and answers with a signature that verifies for that user", async () => {
    const alicesDevice = new SoftAuthenticator();
    const bobsDevice = new SoftAuthenticator({ alg: -8 });
    await enrol(alicesDevice, 'alice');
    const bob = await enrol(bobsDevice, 'bob');
    const [bobsCredential] = bobsDevice.credentials();
    assert.ok(bobsCredential);
    alicesDevice.importCredential(bobsCredential);
    assert.equal(alicesDevice.credentials().length, 2);

    // The server asked for alice's credentials; the attacker answers with bob's anyway.
    const authOptions = await generateAuthenticationOptions({
      rpID: RP_ID,
      allowCredentials: alicesDevice
        .credentials()
        .slice(0, 1)
        .map(({ id }) => ({ id })),
    });
    const assertion = alicesDevice.authenticate({ ...authOptions, allowCredentials: [] }, { ...CTX, credentialId: bob.credential.id });
    assert.equal(assertion.id, bob.credential.id);
    assert.equal((await verifyAuthentication(assertion, authOptions.challenge, bob.credential)).verified, true);
    assert.equal(alicesDevice.removeCredential(bob.credential.id), true);
  });
});

describe('SoftAuthenticator: each registration defect is caught', () => {
  // `accept` tells SimpleWebAuthn to expect exactly that deviation: the response must then verify, which proves the
  // defect is the only thing wrong with it (BS-without-BE has no such switch).
  const cases: { name: string; defects: RegistrationDefects; error: RegExp; accept?: Partial<VerifyRegistrationResponseOpts> }[] = [
    { name: 'type', defects: { type: 'webauthn.get' }, error: /Unexpected registration response type/, accept: { expectedType: 'webauthn.get' } },
    {
      name: 'challenge',
      defects: { challenge: OTHER_CHALLENGE },
      error: /Unexpected registration response challenge/,
      accept: { expectedChallenge: OTHER_CHALLENGE },
    },
    { name: 'origin', defects: { origin: EVIL_ORIGIN }, error: /Unexpected registration response origin/, accept: { expectedOrigin: EVIL_ORIGIN } },
    { name: 'rpIdHash', defects: { rpIdHash: 'evil.test' }, error: /Unexpected RP ID hash/, accept: { expectedRPID: 'evil.test' } },
    { name: 'userPresent', defects: { userPresent: false }, error: /User presence was required/, accept: { requireUserPresence: false } },
    { name: 'userVerified', defects: { userVerified: false }, error: /User verification was required/, accept: { requireUserVerification: false } },
    { name: 'backupStateWithoutEligible', defects: { backupStateWithoutEligible: true }, error: /Single-device credential indicated that it was backed up/ },
  ];
  for (const { name, defects, error, accept } of cases) {
    it(name, async () => {
      const options = await registrationOptions();
      const response = new SoftAuthenticator().register(options, CTX, defects);
      await assert.rejects(verifyRegistration(response, options.challenge), error);
      if (accept) assert.equal((await verifyRegistration(response, options.challenge, accept)).verified, true);
    });
  }

  it('alg mismatch (RS256 key, server allows only ES256)', async () => {
    const options = await registrationOptions();
    const response = new SoftAuthenticator({ alg: -257 }).register(options, CTX);
    await assert.rejects(verifyRegistration(response, options.challenge, { supportedAlgorithmIDs: [-7] }), /Unexpected public key alg "-257"/);
  });

  it('badSignature on packed self-attestation: not thrown, verified is false', async () => {
    const options = await registrationOptions();
    const response = new SoftAuthenticator({ attestationFormat: 'packed' }).register(options, CTX, { badSignature: true });
    assert.deepEqual(await verifyRegistration(response, options.challenge), { verified: false });
    assert.throws(() => new SoftAuthenticator().register(options, CTX, { badSignature: true }), /needs attestationFormat 'packed'/);
  });

  it('NOT caught by SimpleWebAuthn: a 1024-byte credential ID (spec maximum is 1023)', async () => {
    const options = await registrationOptions();
    const response = new SoftAuthenticator().register(options, CTX, { credentialIdLength: 1024 });
    assert.equal(Buffer.from(response.id, 'base64url').length, 1024);
    const result = await verifyRegistration(response, options.challenge);
    assert.equal(result.verified, true, 'the Keyway server must reject credential IDs longer than 1023 bytes itself');
  });

  it('NOT caught by SimpleWebAuthn: a cross-origin registration with a foreign topOrigin', async () => {
    const options = await registrationOptions();
    const response = new SoftAuthenticator().register(options, { origin: ORIGIN, crossOrigin: true, topOrigin: EVIL_ORIGIN });
    const result = await verifyRegistration(response, options.challenge);
    assert.equal(result.verified, true, 'the Keyway server must check crossOrigin/topOrigin on registration itself');
  });
});

describe('SoftAuthenticator: each authentication defect is caught', () => {
  async function setUp(options: SoftAuthenticatorOptions = {}) {
    const authenticator = new SoftAuthenticator(options);
    const enrolled = await enrol(authenticator);
    const authOptions = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: enrolled.credential.id }] });
    return { authenticator, authOptions, ...enrolled };
  }

  const cases: { name: string; defects: AuthenticationDefects; error: RegExp; accept?: Partial<VerifyAuthenticationResponseOpts> }[] = [
    { name: 'type', defects: { type: 'webauthn.create' }, error: /Unexpected authentication response type/, accept: { expectedType: 'webauthn.create' } },
    {
      name: 'challenge',
      defects: { challenge: OTHER_CHALLENGE },
      error: /Unexpected authentication response challenge/,
      accept: { expectedChallenge: OTHER_CHALLENGE },
    },
    { name: 'origin', defects: { origin: EVIL_ORIGIN }, error: /Unexpected authentication response origin/, accept: { expectedOrigin: EVIL_ORIGIN } },
    { name: 'rpIdHash', defects: { rpIdHash: 'evil.test' }, error: /Unexpected RP ID hash/, accept: { expectedRPID: 'evil.test' } },
    // advancedFIDOConfig 'preferred' is SimpleWebAuthn's only way to skip the UP check.
    {
      name: 'userPresent',
      defects: { userPresent: false },
      error: /User not present during authentication/,
      accept: { advancedFIDOConfig: { userVerification: 'preferred' } },
    },
    { name: 'userVerified', defects: { userVerified: false }, error: /User verification required/, accept: { requireUserVerification: false } },
    { name: 'backupStateWithoutEligible', defects: { backupStateWithoutEligible: true }, error: /Single-device credential indicated that it was backed up/ },
  ];
  for (const { name, defects, error, accept } of cases) {
    it(name, async () => {
      const { authenticator, authOptions, credential } = await setUp();
      const assertion = authenticator.authenticate(authOptions, CTX, defects);
      await assert.rejects(verifyAuthentication(assertion, authOptions.challenge, credential), error);
      if (accept) assert.equal((await verifyAuthentication(assertion, authOptions.challenge, credential, accept)).verified, true);
    });
  }

  for (const { alg } of ALGORITHMS) {
    it(`badSignature (alg ${alg}): not thrown, verified is false`, async () => {
      const { authenticator, authOptions, credential } = await setUp({ alg });
      const assertion = authenticator.authenticate(authOptions, CTX, { badSignature: true });
      assert.equal((await verifyAuthentication(assertion, authOptions.challenge, credential)).verified, false);
    });
  }

  it('signCount lower than the stored counter', async () => {
    const { authenticator, authOptions, credential } = await setUp();
    credential.counter = 5;
    const assertion = authenticator.authenticate(authOptions, CTX, { signCount: 3 });
    await assert.rejects(verifyAuthentication(assertion, authOptions.challenge, credential), /Response counter value 3 was lower than expected 5/);
  });

  it('cross-origin assertion from an unexpected topOrigin', async () => {
    const { authenticator, authOptions, credential } = await setUp();
    const assertion = authenticator.authenticate(authOptions, { origin: ORIGIN, crossOrigin: true, topOrigin: EVIL_ORIGIN });
    await assert.rejects(verifyAuthentication(assertion, authOptions.challenge, credential), /cross-origin authentication response from top origin/);
  });

  it('NOT caught by SimpleWebAuthn: a swapped userHandle', async () => {
    const { authenticator, authOptions, credential, userHandle } = await setUp();
    const otherHandle = Buffer.from('someone-else').toString('base64url');
    const assertion = authenticator.authenticate(authOptions, CTX, { userHandle: otherHandle });
    assert.equal(assertion.response.userHandle, otherHandle);
    assert.notEqual(otherHandle, userHandle);
    const result = await verifyAuthentication(assertion, authOptions.challenge, credential);
    assert.equal(result.verified, true, "the Keyway server must match userHandle against the credential's owner itself");
    const omitted = authenticator.authenticate(authOptions, CTX, { userHandle: null });
    assert.equal('userHandle' in omitted.response, false);
  });
});
