// Self-service sign-up and sign-in go through the same verifier as the admin ceremony API, on both databases: a
// credential key that does not fit its alg, tokenBinding, and cross-origin (iframe) ceremonies under the relying
// party's topOrigins get the same answers here (WebAuthn L3 §7.1 steps 10–11, §7.2 steps 13–14; RFC 9053 §2).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator, encodeCoseKey, type AuthenticationDefects, type ClientContext, type RegistrationDefects } from '../support/soft-authenticator.ts';
import { ADMIN, ORIGIN, RP_ID, SelfServiceWorld, expectProblem, expectStatus, type Browser } from './selfservice-fixture.ts';

const MERCHANT = 'https://merchant.example';
const SAME_ORIGIN: ClientContext = { origin: ORIGIN };
const embedded = (topOrigin?: string): ClientContext => ({ origin: ORIGIN, crossOrigin: true, ...(topOrigin === undefined ? {} : { topOrigin }) });

for (const kind of DATABASE_KINDS) {
  describe(`self-service ceremonies use the verifier’s rules on ${kind}`, () => {
    let world: SelfServiceWorld;
    let n = 0;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    /** A sign-up whose finish is refused with `code`; the finish changes nothing. */
    async function refusedSignUp(defects: RegistrationDefects, code: string, ctx: ClientContext = SAME_ORIGIN) {
      const browser = world.browser();
      const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier: `refused-${(n += 1)}@example.com` }), 200);
      const credential = new SoftAuthenticator().register(begun.body.publicKey, ctx, defects);
      const before = await world.counts();
      await expectProblem(browser.post('/register/webauthn/finish', credential), 400, code);
      assert.deepEqual(await world.counts(), before, 'a refused finish changes nothing');
    }

    async function signedUp(ctx: ClientContext = SAME_ORIGIN) {
      const browser = world.browser();
      const identifier = `user-${(n += 1)}@example.com`;
      const authenticator = new SoftAuthenticator();
      const begun = await expectStatus(browser.post('/register/webauthn/begin', { identifier }), 200);
      await expectStatus(browser.post('/register/webauthn/finish', authenticator.register(begun.body.publicKey, ctx)), 201);
      return { identifier, authenticator };
    }

    async function signIn(browser: Browser, identifier: string, authenticator: SoftAuthenticator, ctx: ClientContext, defects: AuthenticationDefects = {}) {
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier }), 200);
      return browser.post('/login/webauthn/finish', authenticator.authenticate(options.body.publicKey, ctx, defects));
    }

    async function refusedSignIn(identifier: string, authenticator: SoftAuthenticator, ctx: ClientContext, defects: AuthenticationDefects, code: string) {
      const browser = world.browser();
      const options = await expectStatus(browser.post('/login/webauthn/options', { identifier }), 200);
      const assertion = authenticator.authenticate(options.body.publicKey, ctx, defects);
      const before = await world.counts();
      await expectProblem(browser.post('/login/webauthn/finish', assertion), 400, code);
      assert.deepEqual(await world.counts(), before, 'a refused finish changes nothing');
    }

    test('sign-up with a key that does not fit its alg (a P-384 key labelled ES256) → CREDENTIAL_PUBLIC_KEY_INVALID', async () => {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
      const publicKey = () =>
        encodeCoseKey([
          [1, 2],
          [3, -7],
          [-1, 2],
          [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
          [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
        ]);
      await refusedSignUp({ publicKey }, 'CREDENTIAL_PUBLIC_KEY_INVALID');
    });

    test('tokenBinding: "not-supported" is RESPONSE_MALFORMED and "present" TOKEN_BINDING_NOT_SUPPORTED at sign-up and sign-in alike', async () => {
      await refusedSignUp({ tokenBinding: { status: 'not-supported' } }, 'RESPONSE_MALFORMED');
      await refusedSignUp({ tokenBinding: { status: 'present', id: 'AAAA' } }, 'TOKEN_BINDING_NOT_SUPPORTED');
      const { identifier, authenticator } = await signedUp();
      await refusedSignIn(identifier, authenticator, SAME_ORIGIN, { tokenBinding: { status: 'not-supported' } }, 'RESPONSE_MALFORMED');
      await refusedSignIn(identifier, authenticator, SAME_ORIGIN, { tokenBinding: { status: 'present', id: 'AAAA' } }, 'TOKEN_BINDING_NOT_SUPPORTED');
      await expectStatus(signIn(world.browser(), identifier, authenticator, SAME_ORIGIN, { tokenBinding: { status: 'supported' } }), 200);
    });

    test('cross-origin sign-up and sign-in only under a listed topOrigin; refused without one, with another, or without crossOrigin', async () => {
      const { identifier, authenticator } = await signedUp();
      // Before the RP lists a top origin, embedding is refused in both ceremonies.
      await refusedSignUp({}, 'CROSS_ORIGIN_NOT_ALLOWED', embedded(MERCHANT));
      await refusedSignIn(identifier, authenticator, embedded(MERCHANT), {}, 'CROSS_ORIGIN_NOT_ALLOWED');

      await expectStatus(world.api.patch(`${ADMIN}/passkeys/relyingParties/${RP_ID}`, { topOrigins: [MERCHANT] }), 200);
      try {
        const inFrame = await signedUp(embedded(MERCHANT));
        await expectStatus(signIn(world.browser(), inFrame.identifier, inFrame.authenticator, embedded(MERCHANT)), 200);
        await expectStatus(signIn(world.browser(), identifier, authenticator, embedded(MERCHANT)), 200);
        for (const ctx of [embedded('https://evil.example'), embedded(), { origin: ORIGIN, crossOrigin: false, topOrigin: MERCHANT }]) {
          await refusedSignUp({}, 'CROSS_ORIGIN_NOT_ALLOWED', ctx);
          await refusedSignIn(identifier, authenticator, ctx, {}, 'CROSS_ORIGIN_NOT_ALLOWED');
        }
      } finally {
        await expectStatus(world.api.patch(`${ADMIN}/passkeys/relyingParties/${RP_ID}`, { topOrigins: [] }), 200);
      }
    });
  });
}
