// The device_keys claim through the OpenID Provider, on both databases: a user with a bound device gets the key ids at
// userinfo (scope openid) and in the ID token when the client asks for it with the claims parameter (OpenID Connect
// Core §5.5); a revoked device leaves both.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { parseDevicePublicKey } from '../../src/passkeys/device-key-proof.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { OidcWorld, STORE, authorize, codeFlow } from './oidc-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`device_keys through the OpenID Provider on ${kind}`, () => {
    let world: OidcWorld;
    before(async () => {
      world = await OidcWorld.create(kind);
    });
    after(() => world.close());

    test('userinfo and (asked for with the claims parameter) the ID token carry the bound devices’ key ids; a revoked one leaves', async () => {
      const client = await world.register();
      const config = await world.relyingParty(client);
      const b = world.browser();
      const a = new SoftAuthenticator();
      const asked = { claims: JSON.stringify({ id_token: { device_keys: null } }), scope: 'openid' };
      const first = await codeFlow(config, asked);
      const signedIn = await authorize(world, b, first.url, () => world.signUp(b, 'device@example.com', a));
      const before = await oidc.authorizationCodeGrant(config, new URL(signedIn.location), {
        pkceCodeVerifier: first.verifier,
        expectedState: first.state,
        expectedNonce: first.nonce,
      });
      const sub = before.claims()!.sub;
      assert.equal(before.claims()!.device_keys, undefined, 'no bound device, no claim');

      const key = await parseDevicePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }));
      const devices = world.server.services.devices;
      const bound = await devices.bind({ tenantId: 'acme', actor: 'test' }, { storeName: STORE, userId: sub, credentialId: null, key });

      const second = await codeFlow(config, asked);
      const again = await authorize(world, b, second.url);
      const tokens = await oidc.authorizationCodeGrant(config, new URL(again.location), {
        pkceCodeVerifier: second.verifier,
        expectedState: second.state,
        expectedNonce: second.nonce,
      });
      assert.deepEqual(tokens.claims()!.device_keys, [key.keyId]);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, sub);
      assert.deepEqual(info.device_keys, [key.keyId]);

      await devices.revoke({ tenantId: 'acme', actor: 'test' }, { storeName: STORE, userId: sub, deviceId: bound.id });
      const third = await codeFlow(config, asked);
      const last = await authorize(world, b, third.url);
      const after = await oidc.authorizationCodeGrant(config, new URL(last.location), {
        pkceCodeVerifier: third.verifier,
        expectedState: third.state,
        expectedNonce: third.nonce,
      });
      assert.equal(after.claims()!.device_keys, undefined);
      assert.equal((await oidc.fetchUserInfo(config, after.access_token, sub)).device_keys, undefined);
    });
  });
}
