// Passkey ceremonies proven in a real browser: Debian Chromium + Chrome's virtual
// authenticator, through Keyway's exact server-to-server ceremony endpoints, on a real port.
// The test process plays the application backend; the page on http://localhost:<port> plays the
// application frontend, using the browser's native WebAuthn JSON methods.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestServer } from '../packages/server/test/support/test-server.ts';
import type { TenantFixture, TestServer } from '../packages/server/test/support/test-server.ts';
import { base64ToBase64Url, base64UrlToBase64, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import type { VirtualAuthenticatorOptions } from './support/browser.ts';
import { verifyIdToken } from './support/id-token.ts';
import { KeywayBackend } from './support/keyway-backend.ts';
import type { UserRef } from './support/keyway-backend.ts';
import { createCredentialInPage, expectCredential, getAssertionInPage, startRelyingPartyPage } from './support/relying-party-page.ts';
import type { PageCredentialJSON, RelyingPartyPageServer } from './support/relying-party-page.ts';
import { attestationAuthData, attestationFormat, parseAuthenticatorData } from './support/webauthn-data.ts';

const TENANT = 'acme';
const STORE = 'customers';
const RP_ID = 'localhost';
const ARTIFACTS = resolve(import.meta.dirname, '..', 'test-artifacts');

/** Registration policies: a platform passkey with UV required, and a security key with direct attestation. */
const REG_PLATFORM = 'platform-passkey';
const REG_SECURITY_KEY = 'security-key';
/** Authentication policies: UV required, and UV discouraged (for U2F keys, which cannot verify users). */
const AUTH_VERIFIED = 'verified-sign-in';
const AUTH_PRESENCE = 'presence-sign-in';

/** A virtual U2F security key: no resident keys, no user verification. */
const U2F_SECURITY_KEY: VirtualAuthenticatorOptions = {
  protocol: 'u2f',
  transport: 'usb',
  hasResidentKey: false,
  hasUserVerification: false,
  automaticPresenceSimulation: true,
};

// One browser and two static "application" pages for the whole file: the RP's listed origin, and an origin it does not list.
let browser: Browser;
let rpPage: RelyingPartyPageServer;
let foreignPage: RelyingPartyPageServer;
const openPages = new Set<WebAuthnPage>();

before(async () => {
  [browser, rpPage, foreignPage] = await Promise.all([launchChromium(), startRelyingPartyPage(), startRelyingPartyPage()]);
});
after(async () => {
  for (const page of openPages) await page.close();
  await browser?.close();
  await rpPage?.close();
  await foreignPage?.close();
});

interface Fixture {
  server: TestServer;
  tenant: TenantFixture;
  backend: KeywayBackend;
}

/** A fresh server and database, with a tenant, a store, the RP (listing only `rpPage`'s origin) and the policies. */
async function setUpKeyway(kind: 'sqlite' | 'postgres'): Promise<Fixture> {
  const server = await startTestServer({ kind });
  try {
    const tenant = await server.tenant(TENANT);
    const backend = new KeywayBackend(tenant.api, STORE);
    await backend.createStore('Customers');
    const rp = await backend.createRelyingParty({ id: RP_ID, name: 'Keyway E2E', origins: [rpPage.origin] });
    assert.deepEqual(rp.body.origins, [rpPage.origin]);
    await backend.createRegistrationPolicy({
      name: REG_PLATFORM,
      attestation: 'none',
      residentKey: 'required',
      userVerification: 'required',
      timeout: 60_000,
    });
    await backend.createRegistrationPolicy({
      name: REG_SECURITY_KEY,
      attestation: 'direct',
      authenticatorAttachment: 'cross-platform',
      residentKey: 'discouraged',
      userVerification: 'discouraged',
      hints: ['security-key'],
      timeout: 60_000,
    });
    await backend.createAuthenticationPolicy({ name: AUTH_VERIFIED, userVerification: 'required', timeout: 60_000, allowDiscoverable: true });
    await backend.createAuthenticationPolicy({ name: AUTH_PRESENCE, userVerification: 'discouraged', timeout: 60_000, allowDiscoverable: true });
    return { server, tenant, backend };
  } catch (err) {
    await server.close();
    throw err;
  }
}

async function openPage(origin: string = rpPage.origin): Promise<WebAuthnPage> {
  const page = await WebAuthnPage.open(browser, origin);
  openPages.add(page);
  return page;
}

async function closePage(page: WebAuthnPage): Promise<void> {
  openPages.delete(page);
  await page.close();
}

interface TestUser {
  id: string;
  externalId: string;
  userKey: string;
  email: string;
}

async function createUser(backend: KeywayBackend): Promise<TestUser> {
  const suffix = randomUUID().slice(0, 8);
  const userKey = `user-${suffix}`;
  const email = `${userKey}@example.com`;
  const externalId = `crm-${suffix}`;
  const user = await backend.createUser({ userKey, externalId, email, firstName: 'Ada', lastName: 'Lovelace' });
  assert.equal(user.externalId, externalId);
  return { id: user.id, externalId, userKey, email };
}

interface Started {
  clientRequest: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- WebAuthn JSON options, read field by field
  sessionId: string;
}

async function startRegistration(backend: KeywayBackend, user: UserRef, policy: string, body?: Record<string, unknown>): Promise<Started> {
  const started = backend.expectOk(await backend.startRegistration(user, RP_ID, policy, body)).body;
  assert.equal(typeof started.sessionId, 'string', 'start answers a sessionId');
  assert.equal(typeof started.clientRequest?.challenge, 'string', 'start answers the creation options JSON');
  return started;
}

async function startAuthentication(backend: KeywayBackend, user: UserRef, policy: string): Promise<Started> {
  const started = backend.expectOk(await backend.startAuthentication(user, RP_ID, policy)).body;
  assert.equal(typeof started.sessionId, 'string', 'start answers a sessionId');
  assert.equal(typeof started.clientRequest?.challenge, 'string', 'start answers the request options JSON');
  return started;
}

/** Start → browser create → complete, expecting success; answers the API's credential and the browser's JSON. */
async function register(backend: KeywayBackend, page: WebAuthnPage, user: TestUser, options: { by?: 'userId' | 'externalId'; policy?: string } = {}) {
  const ref: UserRef = options.by === 'externalId' ? { externalId: user.externalId } : { userId: user.id };
  const started = await startRegistration(backend, ref, options.policy ?? REG_PLATFORM);
  const browserCredential = expectCredential(await createCredentialInPage(page.page, started.clientRequest), 'navigator.credentials.create');
  // Registration answers 201 with the stored passkey.
  const completed = backend.expect(await backend.completeRegistration(user.id, started.sessionId, browserCredential), 201);
  return { started, browserCredential, credential: completed.body, response: completed };
}

/** Start → browser get → complete, expecting success; answers `{user, credential, idToken}` and the browser's JSON. */
async function signIn(backend: KeywayBackend, page: WebAuthnPage, user: TestUser, options: { by?: 'userId' | 'externalId'; policy?: string } = {}) {
  const ref: UserRef = options.by === 'externalId' ? { externalId: user.externalId } : { userId: user.id };
  const started = await startAuthentication(backend, ref, options.policy ?? AUTH_VERIFIED);
  const browserCredential = expectCredential(await getAssertionInPage(page.page, started.clientRequest), 'navigator.credentials.get');
  const completed = backend.expect(await backend.completeAuthentication(user.id, started.sessionId, browserCredential), 200);
  return { started, browserCredential, result: completed.body, response: completed };
}

function registeredFlags(credential: PageCredentialJSON) {
  return parseAuthenticatorData(attestationAuthData(credential.response.attestationObject!));
}

/** The register-and-sign-in path, by userId and by externalId, including the ID token. Run on both databases. */
function happyPathTests(fixture: () => Fixture, kind: string) {
  test(`register and sign in by userId through the exact endpoints (${kind})`, async () => {
    const { backend, server } = fixture();
    const user = await createUser(backend);
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);

    const { started, browserCredential, credential } = await register(backend, page, user);
    // The options come from the RP and the policy, and carry no PII as the user handle.
    assert.equal(started.clientRequest.rp.id, RP_ID);
    assert.equal(started.clientRequest.authenticatorSelection?.userVerification, 'required');
    assert.equal(started.clientRequest.authenticatorSelection?.residentKey, 'required');
    assert.equal(Buffer.from(started.clientRequest.challenge, 'base64url').length, 32, 'a 32-byte challenge');
    const handle = Buffer.from(started.clientRequest.user.id, 'base64url');
    assert.ok(handle.length >= 16 && handle.length <= 64, 'a random user handle of 16–64 bytes');
    for (const pii of [user.userKey, user.email, user.externalId])
      assert.ok(!handle.toString('latin1').includes(pii), `the user handle does not contain ${pii}`);
    assert.equal(registeredFlags(browserCredential).flags.uv, true);

    assert.equal(credential.credentialId, browserCredential.id, 'the API answers the browser credential ID');
    assert.equal(credential.userId, user.id);
    assert.equal(credential.rpId, RP_ID);
    assert.equal(credential.userVerified, true, 'UV at registration is recorded');
    assert.equal(credential.algorithm, browserCredential.response.publicKeyAlgorithm, 'the algorithm the browser reported');
    assert.equal(credential.algorithm, started.clientRequest.pubKeyCredParams[0].alg, 'the policy’s first choice (EdDSA by default), which Chrome supports');
    const stored = await page.getCredentials(authenticatorId);
    assert.deepEqual(
      stored.map((c) => base64ToBase64Url(c.credentialId)),
      [browserCredential.id],
    );
    const listed = await backend.listPasskeys(user.id);
    assert.deepEqual(
      listed.map((p) => p.credentialId),
      [browserCredential.id],
      'GET …/passkeys lists the new credential',
    );

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.page.screenshot({ path: resolve(ARTIFACTS, `passkey-registration-${kind}.png`), fullPage: true });

    const { result, browserCredential: assertion } = await signIn(backend, page, user);
    assert.equal(assertion.id, browserCredential.id);
    assert.equal(result.user?.id, user.id, 'the signed-in user');
    assert.equal(result.credential?.credentialId, browserCredential.id, 'the credential used');
    const token = await verifyIdToken(server.http, TENANT, result.idToken);
    assert.equal(token.payload.sub, user.id, 'the ID token names the user');
    assert.equal(token.payload.aud, RP_ID, 'the ID token is for the relying party');
    assert.ok(Array.isArray(token.payload.amr) && token.payload.amr.length > 0, `amr is a non-empty list: ${JSON.stringify(token.payload.amr)}`);
    assert.ok(typeof token.payload.exp === 'number' && typeof token.payload.iat === 'number' && token.payload.exp > token.payload.iat, 'iat < exp');
    await closePage(page);
  });

  test(`register and sign in by externalId (/ext start paths) (${kind})`, async () => {
    const { backend, server } = fixture();
    const user = await createUser(backend);
    const page = await openPage();
    await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);

    const { browserCredential, credential } = await register(backend, page, user, { by: 'externalId' });
    assert.equal(credential.credentialId, browserCredential.id);
    assert.deepEqual(
      (await backend.listPasskeys(user.id)).map((p) => p.credentialId),
      [browserCredential.id],
      'the passkey belongs to the user the external ID names',
    );

    const { started, result } = await signIn(backend, page, user, { by: 'externalId' });
    const allowed = (started.clientRequest.allowCredentials ?? []) as { id: string }[];
    assert.ok(allowed.length === 0 || allowed.some((c) => c.id === browserCredential.id), 'allowCredentials (when sent) lists the user’s passkey');
    assert.equal(result.user?.id, user.id);
    assert.equal(result.user?.externalId, user.externalId);
    await verifyIdToken(server.http, TENANT, result.idToken);
    await closePage(page);
  });
}

describe('passkeys in a real browser — sqlite', () => {
  let fx: Fixture;
  before(async () => {
    fx = await setUpKeyway('sqlite');
  });
  after(async () => {
    await fx?.server.close();
  });

  happyPathTests(() => fx, 'sqlite');

  test('the signature counter advances with each sign-in, in the authenticator and in the API', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    const { browserCredential, credential } = await register(backend, page, user);
    const credentialId = base64UrlToBase64(browserCredential.id);
    const atRegistration = (await page.getCredential(authenticatorId, credentialId)).signCount;
    assert.equal(credential.counter, registeredFlags(browserCredential).signCount, 'the registered counter is the one in the attested authenticator data');

    const counters: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { result, browserCredential: assertion } = await signIn(backend, page, user);
      const inAuthenticator = (await page.getCredential(authenticatorId, credentialId)).signCount;
      assert.equal(parseAuthenticatorData(assertion.response.authenticatorData!).signCount, inAuthenticator);
      assert.equal(result.credential?.counter, inAuthenticator, `sign-in ${i + 1}: the API's counter is the authenticator's`);
      counters.push(inAuthenticator);
    }
    assert.ok(atRegistration < counters[0]! && counters[0]! < counters[1]!, `counters increase: ${atRegistration}, ${counters.join(', ')}`);
    const [listed] = await backend.listPasskeys(user.id);
    assert.equal(listed?.counter, counters[1], 'the persisted counter is the latest');
    await closePage(page);
  });

  test('a discoverable credential signs in with its user handle', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    const { started: registration, browserCredential } = await register(backend, page, user);
    const userHandle: string = registration.clientRequest.user.id;

    const [resident] = await page.getCredentials(authenticatorId);
    assert.equal(resident?.isResidentCredential, true, 'residentKey required → a discoverable credential');
    assert.equal(base64ToBase64Url(resident.userHandle!), userHandle, 'the authenticator stored the clientRequest user.id as the user handle');

    // The user handle is stable per user: a second registration start offers the same one.
    const again = await startRegistration(backend, { userId: user.id }, REG_PLATFORM);
    assert.equal(again.clientRequest.user.id, userHandle, 'one user handle per user');
    assert.ok(
      (again.clientRequest.excludeCredentials ?? []).some((c: { id: string }) => c.id === browserCredential.id),
      'excludeCredentials lists the existing passkey',
    );

    const { browserCredential: assertion, result } = await signIn(backend, page, user);
    assert.equal(assertion.response.userHandle, userHandle, 'the assertion carries the user handle');
    assert.equal(result.user?.id, user.id, 'and the API accepts it for its user');
    assert.equal(result.credential?.credentialId, browserCredential.id);

    // The browser finds the credential by RP ID alone (empty allowCredentials, as a usernameless prompt
    // would ask); the user handle it returns is what ties the assertion to the account.
    const started = await startAuthentication(backend, { userId: user.id }, AUTH_VERIFIED);
    const discovered = expectCredential(await getAssertionInPage(page.page, { ...started.clientRequest, allowCredentials: [] }), 'discoverable get');
    assert.equal(discovered.id, browserCredential.id, 'the authenticator discovered the credential');
    assert.equal(discovered.response.userHandle, userHandle);
    const completed = backend.expect(await backend.completeAuthentication(user.id, started.sessionId, discovered), 200);
    assert.equal(completed.body.user.id, user.id);
    await closePage(page);
  });

  test('UV required at registration but the authenticator cannot verify → USER_VERIFICATION_REQUIRED, nothing stored', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    await page.addVirtualAuthenticator({ ...PLATFORM_AUTHENTICATOR, hasUserVerification: false, isUserVerified: false });
    const started = await startRegistration(backend, { userId: user.id }, REG_PLATFORM);
    assert.equal(started.clientRequest.authenticatorSelection?.userVerification, 'required');

    // An honest browser refuses outright: no authenticator here can satisfy the request.
    const refused = await createCredentialInPage(page.page, started.clientRequest);
    assert.deepEqual(refused.ok ? 'created' : refused.error.name, 'NotAllowedError');

    // A client that rewrites the options (UV discouraged) gets a credential made without UV;
    // Keyway takes UV from the policy, never from the client, and refuses it.
    const tampered = structuredClone(started.clientRequest);
    tampered.authenticatorSelection.userVerification = 'discouraged';
    const credential = expectCredential(await createCredentialInPage(page.page, tampered), 'create without UV');
    assert.equal(registeredFlags(credential).flags.uv, false, 'the authenticator really did not verify the user');
    backend.expect(await backend.completeRegistration(user.id, started.sessionId, credential), 400, 'USER_VERIFICATION_REQUIRED');
    assert.deepEqual(await backend.listPasskeys(user.id), [], 'no passkey was stored');
    await closePage(page);
  });

  test('UV required at sign-in but the user is not verified → USER_VERIFICATION_REQUIRED, counter unchanged', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    await register(backend, page, user);
    const before = await backend.listPasskeys(user.id);

    await page.setUserVerified(authenticatorId, false);
    const started = await startAuthentication(backend, { userId: user.id }, AUTH_VERIFIED);
    assert.equal(started.clientRequest.userVerification, 'required');
    const refused = await getAssertionInPage(page.page, started.clientRequest);
    assert.deepEqual(refused.ok ? 'asserted' : refused.error.name, 'NotAllowedError', 'the browser refuses when UV fails');

    const tampered = { ...started.clientRequest, userVerification: 'discouraged' };
    const assertion = expectCredential(await getAssertionInPage(page.page, tampered), 'get without UV');
    assert.equal(parseAuthenticatorData(assertion.response.authenticatorData!).flags.uv, false);
    backend.expect(await backend.completeAuthentication(user.id, started.sessionId, assertion), 400, 'USER_VERIFICATION_REQUIRED');
    assert.deepEqual(await backend.listPasskeys(user.id), before, 'the passkey (counter, last use) is unchanged');
    await closePage(page);
  });

  test('a page on an origin the RP does not list → ORIGIN_MISMATCH at registration and at sign-in', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const foreign = await openPage(foreignPage.origin);
    await foreign.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);

    const started = await startRegistration(backend, { userId: user.id }, REG_PLATFORM);
    // RP ID localhost is valid for every localhost origin, so the browser goes ahead; Keyway must not.
    const credential = expectCredential(await createCredentialInPage(foreign.page, started.clientRequest), 'create on the foreign origin');
    assert.equal(JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString()).origin, foreignPage.origin);
    backend.expect(await backend.completeRegistration(user.id, started.sessionId, credential), 400, 'ORIGIN_MISMATCH');
    assert.deepEqual(await backend.listPasskeys(user.id), [], 'no passkey was stored');

    // Register properly on the listed origin, then try to sign in from the foreign one with the same authenticator.
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    const { browserCredential } = await register(backend, page, user);
    const virtual = await page.getCredential(authenticatorId, base64UrlToBase64(browserCredential.id));
    // A fresh foreign page: its authenticator must not still hold the refused credential for the same user handle.
    await closePage(foreign);
    const foreignAgain = await openPage(foreignPage.origin);
    await foreignAgain.addCredential(await foreignAgain.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR), virtual);
    const before = await backend.listPasskeys(user.id);
    const signInStart = await startAuthentication(backend, { userId: user.id }, AUTH_VERIFIED);
    const assertion = expectCredential(await getAssertionInPage(foreignAgain.page, signInStart.clientRequest), 'get on the foreign origin');
    backend.expect(await backend.completeAuthentication(user.id, signInStart.sessionId, assertion), 400, 'ORIGIN_MISMATCH');
    assert.deepEqual(await backend.listPasskeys(user.id), before, 'the passkey is unchanged');
    await closePage(foreignAgain);
    await closePage(page);
  });

  test('completing a session twice → the second fails with SESSION_ALREADY_USED and changes nothing', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);

    const { started, browserCredential } = await register(backend, page, user);
    const afterRegistration = await backend.listPasskeys(user.id);
    backend.expect(await backend.completeRegistration(user.id, started.sessionId, browserCredential), 409, 'SESSION_ALREADY_USED');
    assert.deepEqual(await backend.listPasskeys(user.id), afterRegistration, 'still exactly one passkey, unchanged');

    const { started: signInStarted, browserCredential: assertion } = await signIn(backend, page, user);
    const afterSignIn = await backend.listPasskeys(user.id);
    backend.expect(await backend.completeAuthentication(user.id, signInStarted.sessionId, assertion), 409, 'SESSION_ALREADY_USED');
    assert.deepEqual(await backend.listPasskeys(user.id), afterSignIn, 'the replayed assertion changed nothing');
    await closePage(page);
  });

  test('a u2f security key registers with fido-u2f attestation under attestation direct, and signs in', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    await page.addVirtualAuthenticator(U2F_SECURITY_KEY);

    const { started, browserCredential, credential } = await register(backend, page, user, { policy: REG_SECURITY_KEY });
    assert.equal(started.clientRequest.attestation, 'direct');
    assert.equal(attestationFormat(browserCredential.response.attestationObject!), 'fido-u2f', 'the browser sent a FIDO U2F attestation');
    assert.equal(credential.attestationFormat, 'fido-u2f', 'the API records the attestation format');
    const [listed] = await backend.listPasskeys(user.id);
    assert.equal(listed?.attestationFormat, 'fido-u2f');

    const { result } = await signIn(backend, page, user, { policy: AUTH_PRESENCE });
    assert.equal(result.credential?.credentialId, browserCredential.id);
    await closePage(page);
  });

  test('a credential re-injected with WebAuthn.addCredential and a lowered counter → COUNTER_REGRESSION', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    const { browserCredential } = await register(backend, page, user);
    const credentialId = base64UrlToBase64(browserCredential.id);
    await signIn(backend, page, user);

    // The authenticator's copy (private key included) is put back with a counter jump: allowed, counters may skip.
    const original = await page.getCredential(authenticatorId, credentialId);
    assert.ok(original.privateKey.length > 0, 'getCredential exposes the private key');
    await page.removeCredential(authenticatorId, credentialId);
    await page.addCredential(authenticatorId, { ...original, signCount: 100 });
    const jumped = await signIn(backend, page, user);
    assert.equal(jumped.result.credential?.counter, 101);
    const before = await backend.listPasskeys(user.id);

    // A clone with an older counter: the next assertion reports 51 < 101.
    await page.removeCredential(authenticatorId, credentialId);
    await page.addCredential(authenticatorId, { ...original, signCount: 50 });
    const started = await startAuthentication(backend, { userId: user.id }, AUTH_VERIFIED);
    const assertion = expectCredential(await getAssertionInPage(page.page, started.clientRequest), 'get with the cloned credential');
    assert.equal(parseAuthenticatorData(assertion.response.authenticatorData!).signCount, 51);
    const refused = backend.expect(await backend.completeAuthentication(user.id, started.sessionId, assertion), 400, 'COUNTER_REGRESSION');
    assert.match(refused.body.detail, /\b51\b.*\b101\b/, 'the detail names the received and the stored counter');
    assert.deepEqual(await backend.listPasskeys(user.id), before, 'the counter stays at 101 and nothing else changed');
    await closePage(page);
  });

  test('a credential Keyway never registered (an ES256 key injected with WebAuthn.addCredential) cannot sign in', async () => {
    const { backend } = fx;
    const user = await createUser(backend);
    const page = await openPage();
    const authenticatorId = await page.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    const { started: registration } = await register(backend, page, user);
    const before = await backend.listPasskeys(user.id);

    // A resident credential for the same RP and the same user handle, made outside Keyway.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await page.removeCredential(authenticatorId, base64UrlToBase64(before[0]!.credentialId));
    await page.addCredential(authenticatorId, {
      credentialId: randomBytes(32).toString('base64'),
      isResidentCredential: true,
      rpId: RP_ID,
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: base64UrlToBase64(registration.clientRequest.user.id),
      signCount: 100,
    });
    const started = await startAuthentication(backend, { userId: user.id }, AUTH_VERIFIED);
    // allowCredentials names only the registered passkey, so an honest browser finds nothing; a discoverable request (empty list) uses the injected key.
    const discoverable = { ...started.clientRequest, allowCredentials: [] };
    const assertion = expectCredential(await getAssertionInPage(page.page, discoverable), 'get with the injected credential');
    backend.expect(await backend.completeAuthentication(user.id, started.sessionId, assertion), 400, 'CREDENTIAL_NOT_ALLOWED');
    assert.deepEqual(await backend.listPasskeys(user.id), before);
    await closePage(page);
  });
});

describe('passkeys in a real browser — postgres (happy path)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await setUpKeyway('postgres');
  });
  after(async () => {
    await fx?.server.close();
  });

  happyPathTests(() => fx, 'postgres');
});
