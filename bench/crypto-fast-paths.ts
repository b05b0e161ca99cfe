// Micro-benchmark (not a test): assertion verification and ID token signing, before and after the fast paths.
// Usage: node --disable-warning=ExperimentalWarning bench/crypto-fast-paths.ts [--iterations 3000]
// - verify: SimpleWebAuthn's verifyAuthenticationResponse (what every sign-in called, after Keyway's own checks) against
//   Keyway's verifyAuthentication with a cached KeyObject, and without the cache (a key import per assertion).
// - sign: jose SignJWT on a WebCrypto CryptoKey (the previous ID token signer) against node:crypto on a KeyObject.
// Figures depend on the machine and its load: compare the ratios within one run.
import { parseArgs } from 'node:util';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto';
import { verifyAuthentication } from '../packages/server/src/passkeys/authentication-verification.ts';
import { CredentialKeyCache } from '../packages/server/src/passkeys/credential-key-cache.ts';
import { SoftAuthenticator, encodeCosePublicKey, type SoftAlgorithm } from '../packages/server/test/support/soft-authenticator.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '3000' } } });
const N = Math.min(Number(values.iterations), 100_000);
const RP_ID = 'login.bench.test';
const ORIGIN = `https://${RP_ID}`;

async function rate(name: string, run: (i: number) => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, N); i++) await run(i); // warm-up
  const started = performance.now();
  for (let i = 0; i < N; i++) await run(i);
  const perSecond = N / ((performance.now() - started) / 1000);
  console.log(`${name.padEnd(62)} ${Math.round(perSecond).toLocaleString('en').padStart(9)} /s`);
  return perSecond;
}

for (const alg of [-7, -8, -257] as SoftAlgorithm[]) {
  const authenticator = new SoftAuthenticator({ alg, incrementSignCount: false });
  authenticator.register(
    { rp: { id: RP_ID, name: 'bench' }, user: { id: 'dXNlcg', name: 'u', displayName: 'u' }, challenge: 'AAAA', pubKeyCredParams: [] },
    { origin: ORIGIN },
  );
  const credential = authenticator.credentials()[0]!;
  const cose = encodeCosePublicKey(credential.publicKey, alg);
  const challenge = Buffer.alloc(32, 7).toString('base64url');
  const response = authenticator.authenticate({ challenge, rpId: RP_ID, allowCredentials: [] }, { origin: ORIGIN });
  const expected = {
    challenge,
    origins: [ORIGIN],
    rpId: RP_ID,
    requireUserVerification: false,
    allowCredentialIds: [],
    account: { identified: true, userHandle: credential.userHandle },
    credential: { id: credential.id, publicKey: cose, counter: 0, backupEligible: false },
  };
  const cache = new CredentialKeyCache();
  const library = await rate(`verify alg ${alg}: SimpleWebAuthn verifyAuthenticationResponse`, () =>
    verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: false,
      credential: { id: credential.id, publicKey: cose as Uint8Array<ArrayBuffer>, counter: 0 },
    }),
  );
  await rate(`verify alg ${alg}: Keyway fast path, key imported each time`, () => verifyAuthentication(response, expected));
  const fast = await rate(`verify alg ${alg}: Keyway fast path, cached KeyObject`, () =>
    verifyAuthentication(response, expected, (c) => cache.publicKey({ tenantId: 'bench', credentialId: c.id }, c.publicKey)),
  );
  console.log(`verify alg ${alg}: cached fast path / SimpleWebAuthn = ${(fast / library).toFixed(2)}×\n`);
}

const pair = await generateKeyPair('ES256', { extractable: true });
const jwk = await exportJWK(pair.privateKey);
const cryptoKey = (await importJWK({ ...jwk, alg: 'ES256' }, 'ES256')) as CryptoKey;
const keyObject = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
const claims = { iss: 'https://id.bench.test/acme', sub: 'user', aud: RP_ID, iat: 1, exp: 301, jti: 'x', auth_time: 1, amr: ['pop', 'user', 'mfa'] };
const jose = await rate('ID token: jose SignJWT on a CryptoKey (WebCrypto)', () =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'JWT' }).sign(cryptoKey),
);
const node = await rate('ID token: node:crypto sign on a KeyObject', () => {
  const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
});
console.log(`ID token: node:crypto / jose = ${(node / jose).toFixed(2)}×`);
