// acr_values (OpenID Connect Core §3.1.2.1) mapped to the amr facts of the passkey used (RFC 8176): an attested
// hardware passkey meets `attested`, a synced one meets only `passkey`/`mfa` and is refused `device-bound`, both
// interactively (unmet_authentication_requirements) and silently (login_required). Both databases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { makeAttestationPki } from '../support/attestation-pki.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { OidcWorld, STORE, authorize, codeFlow, expectStatus } from './oidc-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider acr_values on ${kind}`, () => {
    let world: OidcWorld;
    let config: oidc.Configuration;

    before(async () => {
      world = await OidcWorld.create(kind);
      config = await world.relyingParty(await world.register());
    });
    after(() => world.close());

    /** An authorization request with `extra` for a browser that signs up (when shown the sign-in page) with `authenticator`. */
    const request = async (browser: ReturnType<OidcWorld['browser']>, extra: Record<string, string>, signUp?: () => Promise<unknown>) => {
      const flow = await codeFlow(config, extra);
      const { location } = await authorize(world, browser, flow.url, signUp);
      const callback = new URL(location);
      if (callback.searchParams.has('error')) return { error: callback.searchParams.get('error') };
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      return { claims: tokens.claims()! };
    };

    test('a synced passkey: device-bound and attested are refused, passkey and mfa are met', async () => {
      const browser = world.browser();
      const synced = new SoftAuthenticator({ backupEligible: true });
      const refused = await request(browser, { acr_values: 'urn:keyway:acr:device-bound' }, () => world.signUp(browser, 'synced@example.com', synced));
      assert.deepEqual(refused, { error: 'unmet_authentication_requirements' });
      // The browser is signed in now; a silent request for a class its passkey cannot meet is not answered with a code.
      assert.deepEqual(await request(browser, { prompt: 'none', acr_values: 'urn:keyway:acr:attested' }), { error: 'login_required' });
      const met = await request(browser, { prompt: 'none', acr_values: 'urn:keyway:acr:device-bound urn:keyway:acr:mfa' });
      assert.equal(met.claims?.acr, 'urn:keyway:acr:mfa');
      assert.deepEqual(met.claims?.amr, ['swk', 'user', 'mfa']);
      const plain = await request(browser, { prompt: 'none' });
      assert.equal(plain.claims?.acr, 'urn:keyway:acr:passkey');
    });

    test('an attested device-bound passkey (its chain ends at a root the policy trusts): attested is met', async () => {
      const pki = await makeAttestationPki();
      await expectStatus(
        world.acme.api.patch(`/api/identity-store/stores/${STORE}/passkeys/registrationPolicies/default`, {
          attestation: 'direct',
          attestationTrust: { requireTrustedAttestation: false, rootCertificates: [pki.rootPem] },
        }),
        200,
      );
      const browser = world.browser();
      const hardware = new SoftAuthenticator({ attestationFormat: 'packed', attestationCertificate: { x5c: [pki.leaf], privateKey: pki.privateKey } });
      const met = await request(browser, { acr_values: 'urn:keyway:acr:attested' }, () => world.signUp(browser, 'hardware@example.com', hardware));
      assert.equal(met.claims?.acr, 'urn:keyway:acr:attested');
      assert.deepEqual(met.claims?.amr, ['hwk', 'user', 'mfa']);
      // The same session meets the other classes silently: the first requested one it meets is the one stated.
      const bound = await request(browser, { prompt: 'none', acr_values: 'urn:keyway:acr:device-bound urn:keyway:acr:attested' });
      assert.equal(bound.claims?.acr, 'urn:keyway:acr:device-bound');
      const plain = await request(browser, { prompt: 'none' });
      assert.equal(plain.claims?.acr, 'urn:keyway:acr:passkey');
    });
  });
}
