// Which WebAuthn request the custom page bridge runs for a page: only one the server sent with the step, named by
// its challenge (or the step's only one of the kind when the page gives no options); anything else is refused
// with ERR_PAGE_CEREMONY_REFUSED. The bridge around it, in a window, is journey-bridge.test.ts and e2e/journeys-runner.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeywayWebError } from '../src/errors.ts';
import { KeywayPageCeremonyRefusedError, pageCeremonies, pageCeremonyRequest, type PageCeremony } from '../src/page-ceremony.ts';

const REGISTRATION = {
  challenge: 'cmVnaXN0cmF0aW9uLWNoYWxsZW5nZQ',
  rp: { id: 'localhost', name: 'Acme Shop' },
  user: { id: 'dXNlci0x', name: 'carol', displayName: 'Carol' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
} as PublicKeyCredentialCreationOptionsJSON;
const AUTHENTICATION = {
  challenge: 'YXV0aGVudGljYXRpb24tY2hhbGxlbmdl',
  rpId: 'localhost',
  allowCredentials: [{ type: 'public-key', id: 'Y3JlZC0x' }],
  userVerification: 'required',
} as PublicKeyCredentialRequestOptionsJSON;
const CEREMONIES: PageCeremony[] = [
  { kind: 'registration', key: 'passkeyReg1', clientRequest: REGISTRATION },
  { kind: 'authentication', key: 'passkeyAuth1', clientRequest: AUTHENTICATION },
];
// e.g. a console sign-in challenge fetched by whoever wrote the page
const FOREIGN = { challenge: 'Y29uc29sZS1zaWduLWluLWNoYWxsZW5nZQ', rpId: 'localhost', userVerification: 'required' };

function refused(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KeywayPageCeremonyRefusedError);
    assert.ok(error instanceof KeywayWebError);
    assert.equal(error.code, 'ERR_PAGE_CEREMONY_REFUSED');
    assert.equal(KeywayPageCeremonyRefusedError.code, 'ERR_PAGE_CEREMONY_REFUSED');
    assert.equal(error.name, 'KeywayPageCeremonyRefusedError');
    assert.match(error.message, message);
    return true;
  });
}

test("the step's own request, named by the page's copy of it, is the server's object (never the page's)", () => {
  const pageCopy = structuredClone(AUTHENTICATION);
  assert.equal(pageCeremonyRequest(CEREMONIES, 'get', pageCopy), AUTHENTICATION);
  assert.equal(pageCeremonyRequest(CEREMONIES, 'create', structuredClone(REGISTRATION)), REGISTRATION);
});

test("the page's other members are not run: extensions, allowCredentials, a mediation", () => {
  const widened = { ...AUTHENTICATION, allowCredentials: [], extensions: { prf: { eval: { first: 'c2FsdA' } } }, mediation: 'conditional' };
  const request = pageCeremonyRequest(CEREMONIES, 'get', widened);
  assert.deepEqual(request, AUTHENTICATION);
  assert.equal('extensions' in request, false);
  assert.equal('mediation' in request, false);
});

test('no options: the only ceremony of the kind; none or several of the kind is refused', () => {
  assert.equal(pageCeremonyRequest(CEREMONIES, 'get', undefined), AUTHENTICATION);
  assert.equal(pageCeremonyRequest(CEREMONIES, 'create', null), REGISTRATION);
  refused(() => pageCeremonyRequest([], 'get', undefined), /^getCredential: the journey started no passkey authentication for this page$/);
  const two: PageCeremony[] = [...CEREMONIES, { kind: 'registration', key: 'passkeyReg2', clientRequest: { ...REGISTRATION, challenge: 'b3RoZXI' } }];
  refused(
    () => pageCeremonyRequest(two, 'create', undefined),
    /^createCredential: the journey started 2 passkey registrations; pass the options of the one to run$/,
  );
  assert.equal(pageCeremonyRequest(two, 'create', { challenge: 'b3RoZXI' }).challenge, 'b3RoZXI');
});

test('a foreign challenge is refused, also when the step has a ceremony of its own', () => {
  refused(
    () => pageCeremonyRequest(CEREMONIES, 'get', FOREIGN),
    /^getCredential: the challenge is not that of a passkey authentication the journey started for this page$/,
  );
  refused(() => pageCeremonyRequest([], 'get', FOREIGN), /challenge is not that of/);
  refused(() => pageCeremonyRequest(CEREMONIES, 'create', { ...REGISTRATION, challenge: FOREIGN.challenge }), /^createCredential: the challenge/);
});

test("the kind must match: an authentication's challenge does not open a registration", () => {
  refused(() => pageCeremonyRequest(CEREMONIES, 'create', { challenge: AUTHENTICATION.challenge }), /passkey registration the journey started/);
  refused(() => pageCeremonyRequest(CEREMONIES, 'get', { challenge: REGISTRATION.challenge }), /passkey authentication the journey started/);
});

test('the right challenge with another RP ID or user handle is refused; left out, they are the request’s', () => {
  refused(
    () => pageCeremonyRequest(CEREMONIES, 'get', { ...AUTHENTICATION, rpId: 'evil.example' }),
    /^getCredential: rpId differs from the journey's request$/,
  );
  refused(() => pageCeremonyRequest(CEREMONIES, 'create', { ...REGISTRATION, rp: { id: 'evil.example', name: 'x' } }), /rp\.id differs/);
  refused(() => pageCeremonyRequest(CEREMONIES, 'create', { ...REGISTRATION, user: { ...REGISTRATION.user, id: 'b3duZXI' } }), /user\.id differs/);
  assert.equal(pageCeremonyRequest(CEREMONIES, 'get', { challenge: AUTHENTICATION.challenge }), AUTHENTICATION);
  assert.equal(pageCeremonyRequest(CEREMONIES, 'create', { challenge: REGISTRATION.challenge }), REGISTRATION);
});

test('hostile options: not an object, a challenge that is not a string, prototype tricks', () => {
  for (const options of [
    'x',
    42,
    [AUTHENTICATION],
    {},
    { challenge: 7 },
    { challenge: new Uint8Array(16) },
    JSON.parse('{"__proto__":{"challenge":"YXV0aGVudGljYXRpb24tY2hhbGxlbmdl"}}'),
  ])
    refused(() => pageCeremonyRequest(CEREMONIES, 'get', options), /^getCredential: the options must be the JSON of a request the journey started/);
  refused(() => pageCeremonyRequest(CEREMONIES, 'get', { challenge: '' }), /challenge is not that of/);
  refused(() => pageCeremonyRequest(CEREMONIES, 'get', { challenge: 'constructor' }), /challenge is not that of/);
});

test("the step's ceremonies as the server sent them: malformed entries dropped", () => {
  assert.deepEqual(pageCeremonies(undefined), []);
  assert.deepEqual(pageCeremonies({ 0: CEREMONIES[0] }), []);
  assert.deepEqual(
    pageCeremonies([
      ...CEREMONIES,
      { kind: 'registration', key: 'noUser', clientRequest: { challenge: 'eA' } },
      { kind: 'console', key: 'x', clientRequest: FOREIGN },
      { kind: 'authentication', key: 'noChallenge', clientRequest: { rpId: 'localhost' } },
      { kind: 'authentication', key: 'emptyChallenge', clientRequest: { challenge: '' } },
      { kind: 'authentication', key: 7, clientRequest: AUTHENTICATION },
      null,
      'x',
    ]),
    CEREMONIES,
  );
});
