// Verifies a Keyway ID token the way a relying application would: with jose, against the
// tenant's JWKS fetched over HTTP from `/{tenant}/.well-known/jwks.json`.
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { HttpClient } from '../../packages/server/test/support/http-client.ts';

export interface VerifiedIdToken {
  header: { alg: string; kid?: string; typ?: string };
  payload: JWTPayload & { amr?: unknown };
}

export async function verifyIdToken(http: HttpClient, tenant: string, token: unknown): Promise<VerifiedIdToken> {
  assert.equal(typeof token, 'string', 'the ID token is a string');
  const jwks = await http.get(`/${tenant}/.well-known/jwks.json`);
  assert.equal(jwks.status, 200, `JWKS: ${jwks.status} ${JSON.stringify(jwks.body)}`);
  assert.ok(
    (jwks.body as { keys: Array<{ d?: string }> }).keys.every((key) => key.d === undefined),
    'the JWKS never publishes a private key',
  );
  const keySet = createRemoteJWKSet(new URL(`${http.baseUrl}/${tenant}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(token as string, keySet, { algorithms: ['ES256'] });
  assert.equal(protectedHeader.alg, 'ES256', 'ID tokens are signed with ES256');
  assert.match(String(payload.iss), new RegExp(`/${tenant}$`), 'the issuer names the tenant');
  return { header: protectedHeader as VerifiedIdToken['header'], payload };
}
