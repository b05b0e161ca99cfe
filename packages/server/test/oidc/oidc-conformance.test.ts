// A conformance set modelled on the OpenID Foundation's "Config OP" and "Basic OP" test plans, run with openid-client
// as the relying party, configured with nothing but the issuer, the client id (and secret) and the redirect URI.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ISSUER, OidcWorld, REDIRECT_URI, authorize, codeFlow, type RegisteredClient } from './oidc-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`OpenID Provider conformance (Config OP, Basic OP) on ${kind}`, () => {
    let world: OidcWorld;
    let client: RegisteredClient;
    let config: oidc.Configuration;
    const browser = () => world.browser();

    before(async () => {
      world = await OidcWorld.create(kind);
      client = await world.register();
      config = await world.relyingParty(client);
    });
    after(() => world.close());

    test('Config OP: discovery names the issuer exactly and every endpoint under it, and what is supported', async () => {
      const response = await world.publicFetch(`${ISSUER}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, ISSUER);
      for (const [field, path] of [
        ['authorization_endpoint', '/oidc/auth'],
        ['token_endpoint', '/oidc/token'],
        ['userinfo_endpoint', '/oidc/userinfo'],
        ['jwks_uri', '/.well-known/jwks.json'],
        ['revocation_endpoint', '/oidc/token/revocation'],
        ['introspection_endpoint', '/oidc/token/introspection'],
        ['end_session_endpoint', '/oidc/session/end'],
        ['pushed_authorization_request_endpoint', '/oidc/par'],
      ] as const) {
        assert.equal(metadata[field], `${ISSUER}${path}`, field);
      }
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['ES256']);
      assert.deepEqual([...(metadata.subject_types_supported as string[])].sort(), ['pairwise', 'public']);
      const grants = metadata.grant_types_supported as string[];
      assert.ok(grants.includes('authorization_code') && grants.includes('refresh_token'));
      assert.ok(!grants.includes('implicit') && !grants.includes('password') && !grants.includes('client_credentials'), grants.join());
      const scopes = metadata.scopes_supported as string[];
      for (const scope of ['openid', 'profile', 'email', 'phone', 'address', 'offline_access']) assert.ok(scopes.includes(scope), scope);
      const claims = metadata.claims_supported as string[];
      // What the discovery answered before the provider existed is still there.
      for (const claim of [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'jti',
        'auth_time',
        'amr',
        'acr',
        'nonce',
        'store',
        'external_id',
        'cred_id',
        'keyway_attested',
        'keyway_device_bound',
      ]) {
        assert.ok(claims.includes(claim), claim);
      }
      assert.ok((metadata.acr_values_supported as string[]).includes('urn:keyway:acr:passkey'));
    });

    test('Config OP: an unknown tenant has no discovery (404 TENANT_NOT_FOUND)', async () => {
      const response = await world.publicFetch(`${ISSUER.replace('/acme', '/nobody')}/.well-known/openid-configuration`);
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { code: string }).code, 'TENANT_NOT_FOUND');
    });

    test('Basic OP: the ID token verifies against the published JWKS (the tenant’s existing keys), kid in the header', async () => {
      const b = browser();
      const flow = await codeFlow(config);
      const { location } = await authorize(world, b, flow.url, () => world.signUp(b, 'basic@example.com', new SoftAuthenticator()));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      });
      const jwks = (await (await world.publicFetch(`${ISSUER}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      assert.deepEqual(jwks, await world.server.services.signingKeys.getJwks('acme'));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createLocalJWKSet(jwks as never), { issuer: ISSUER, audience: client.clientId });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(protectedHeader.kid, jwks.keys[0]!.kid);
      assert.equal(payload.nonce, flow.nonce);
    });

    test('Basic OP: nonce is echoed; a request without one gets an ID token without one', async () => {
      const b = browser();
      const a = new SoftAuthenticator();
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'no-nonce',
      });
      const { location } = await authorize(world, b, url.href, () => world.signUp(b, 'nonce@example.com', a));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(location), { pkceCodeVerifier: verifier, expectedState: 'no-nonce' });
      assert.equal(tokens.claims()!.nonce, undefined);
    });

    test('Basic OP: claims by scope at userinfo with a bearer, the same sub as the ID token; unregistered scopes refused', async () => {
      const refused = await codeFlow(config, { scope: 'openid phone' });
      const answer = await world.navigate(browser(), refused.url);
      assert.equal(new URL(answer.location!).searchParams.get('error'), 'invalid_scope');
      const everything = await world.register({ name: 'All scopes', scopes: ['openid', 'profile', 'email', 'phone', 'address'] });
      const config2 = await world.relyingParty(everything);
      const b = browser();
      const a = new SoftAuthenticator();
      const first = await codeFlow(config2, { scope: 'openid' });
      const signedIn = await authorize(world, b, first.url, () => world.signUp(b, 'claims@example.com', a));
      const bare = await oidc.authorizationCodeGrant(config2, new URL(signedIn.location), {
        pkceCodeVerifier: first.verifier,
        expectedState: first.state,
        expectedNonce: first.nonce,
      });
      const sub = bare.claims()!.sub;
      await world.db
        .updateTable('users')
        .set({
          email: 'claims@example.com',
          first_name: 'Claire',
          last_name: 'Ims',
          date_of_birth: '1990-02-03',
          locale_language: 'en',
          locale_country: 'GB',
          timezone: 'Europe/London',
          attributes: JSON.stringify({ phoneNumber: '+441234567890', address: '1 Main St' }),
        })
        .where('id', '=', sub)
        .execute();
      const bareInfo = await oidc.fetchUserInfo(config2, bare.access_token, sub);
      assert.deepEqual(
        Object.keys(bareInfo).filter((k) => !['sub', 'store', 'external_id'].includes(k)),
        [],
      );
      const full = await codeFlow(config2, { scope: 'openid profile email phone address', prompt: 'none' });
      const again = await authorize(world, b, full.url);
      const tokens = await oidc.authorizationCodeGrant(config2, new URL(again.location), {
        pkceCodeVerifier: full.verifier,
        expectedState: full.state,
        expectedNonce: full.nonce,
      });
      const info = await oidc.fetchUserInfo(config2, tokens.access_token, sub);
      assert.equal(info.sub, sub);
      assert.equal(info.email, 'claims@example.com');
      assert.equal(info.given_name, 'Claire');
      assert.equal(info.family_name, 'Ims');
      assert.equal(info.birthdate, '1990-02-03');
      assert.equal(info.locale, 'en-GB');
      assert.equal(info.zoneinfo, 'Europe/London');
      assert.equal(info.phone_number, '+441234567890');
      assert.deepEqual(info.address, { formatted: '1 Main St' });
      assert.equal(typeof info.updated_at, 'number');
      // With an access token the ID token stays small (OpenID Connect Core §5.4): claims are at userinfo.
      assert.equal(tokens.claims()!.email, undefined);
    });

    test('Basic OP: userinfo refuses a missing or bad bearer', async () => {
      // RFC 6750 §3.1: no token at all is 401 with a challenge, as is a token that is not valid.
      const missing = await world.publicFetch(`${ISSUER}/oidc/userinfo`);
      assert.equal(missing.status, 401);
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await world.publicFetch(`${ISSUER}/oidc/userinfo`, { headers: { authorization: 'Bearer x' } })).status, 401);
    });

    test('Basic OP: state is returned unchanged; an error without a valid client is never redirected', async () => {
      const response = await world.publicFetch(
        `${ISSUER}/oidc/auth?client_id=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&response_type=code&scope=openid`,
        {
          redirect: 'manual',
        },
      );
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
    });
  });
}
