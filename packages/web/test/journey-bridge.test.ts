// The custom page bridge of the journey client (CustomPageStep.attach) with stand-ins for the browser: a window that
// receives the page's postMessages, the iframe's window that receives the replies, and navigator.credentials, which
// records what it is asked. A page asking for a request the server did not send with its step (a console sign-in
// challenge) is answered SecurityError / ERR_PAGE_CEREMONY_REFUSED and navigator.credentials is never called; the
// step's own ceremony runs with the server's options. The same in Chromium: e2e/journeys-runner.test.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { toStep, type CustomPageStep, type StepResponse } from '../src/journey.ts';

const REGISTRATION = {
  challenge: 'cmVnaXN0cmF0aW9uLWNoYWxsZW5nZQ',
  rp: { id: 'localhost', name: 'Acme Shop' },
  user: { id: 'dXNlci0x', name: 'carol', displayName: 'Carol' },
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
};
const AUTHENTICATION = { challenge: 'YXV0aGVudGljYXRpb24tY2hhbGxlbmdl', rpId: 'localhost', userVerification: 'required' };
const FOREIGN = { challenge: 'Y29uc29sZS1zaWduLWluLWNoYWxsZW5nZQ', rpId: 'localhost', userVerification: 'required' };
const CREDENTIAL = { id: 'Y3JlZA', rawId: 'Y3JlZA', type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON: 'e30' } };

interface Call {
  method: 'get' | 'create';
  challenge: string;
  options: CredentialRequestOptions | CredentialCreationOptions;
}
let calls: Call[] = [];
const decode = (value: BufferSource) => Buffer.from(value as ArrayBuffer).toString('base64url');

const restore: (() => void)[] = [];
function stand(target: object, name: string, value: unknown): void {
  const previous = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { value, configurable: true, writable: true });
  restore.push(() => (previous ? Object.defineProperty(target, name, previous) : delete (target as Record<string, unknown>)[name]));
}

before(() => {
  const runner = Object.assign(new EventTarget(), { isSecureContext: true });
  stand(globalThis, 'window', runner);
  // No Level 3 JSON statics: the SDK's own parsing runs, so the test sees the bytes it hands to the browser.
  stand(globalThis, 'PublicKeyCredential', function PublicKeyCredential() {});
  stand(globalThis.navigator, 'credentials', {
    get: async (options: CredentialRequestOptions) => {
      calls.push({ method: 'get', challenge: decode(options.publicKey!.challenge), options });
      return { toJSON: () => CREDENTIAL };
    },
    create: async (options: CredentialCreationOptions) => {
      calls.push({ method: 'create', challenge: decode(options.publicKey!.challenge), options });
      return { toJSON: () => CREDENTIAL };
    },
  });
});
after(() => {
  for (const undo of restore.reverse()) undo();
});
beforeEach(() => {
  calls = [];
});

/** A custom page step as the server presents it, attached to a stand-in iframe whose window collects the replies. */
function attached(ceremonies: unknown) {
  const response: StepResponse = {
    journeyStepId: 'page',
    stepType: 'trustx.customPageV2',
    sessionId: 's1',
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    clientResponseOptions: ['client_input', 'cancel'],
    data: {
      page: { url: '/acme/journeys/pages/g1', name: 'evil', version: 1 },
      // What the definition wrote: the page sees it, the bridge does not trust it.
      sessionData: { request: FOREIGN },
      constants: {},
      ceremonies,
    },
  };
  const step = toStep({ baseUrl: 'http://127.0.0.1:9/acme' }, response) as CustomPageStep;
  assert.equal(step.kind, 'customPage');
  const replies: Record<string, unknown>[] = [];
  let answered: (() => void) | undefined;
  const frameWindow = {
    postMessage(message: Record<string, unknown>, target: string) {
      assert.equal(target, '*');
      replies.push(message);
      answered?.();
    },
  };
  const controller = new AbortController();
  const attaching = step.attach({ contentWindow: frameWindow } as unknown as HTMLIFrameElement, { signal: controller.signal });
  attaching.catch(() => undefined);
  /** Posts a message as `source` would and waits for the bridge's reply. */
  const ask = async (message: Record<string, unknown>, source: unknown = frameWindow) => {
    const replied = new Promise<void>((resolve) => (answered = resolve));
    const event = new Event('message');
    Object.defineProperties(event, { data: { value: { keyway: 1, ...message } }, source: { value: source } });
    window.dispatchEvent(event);
    await Promise.race([replied, new Promise((resolve) => setTimeout(resolve, 200))]);
    return replies.at(-1);
  };
  return { step, ask, replies, stop: () => controller.abort() };
}

const CEREMONIES = [
  { kind: 'registration', key: 'passkeyReg1', clientRequest: REGISTRATION },
  { kind: 'authentication', key: 'passkeyAuth1', clientRequest: AUTHENTICATION },
];

test('a foreign challenge (a console sign-in one) is refused to the page and nothing is run', async () => {
  const { step, ask, stop } = attached(CEREMONIES);
  assert.deepEqual(
    step.ceremonies.map((c) => c.key),
    ['passkeyReg1', 'passkeyAuth1'],
  );
  assert.deepEqual(await ask({ type: 'keyway:webauthn:get', id: 1, options: FOREIGN }), {
    keyway: 1,
    type: 'keyway:webauthn:error',
    id: 1,
    name: 'SecurityError',
    code: 'ERR_PAGE_CEREMONY_REFUSED',
    message: 'getCredential: the challenge is not that of a passkey authentication the journey started for this page',
  });
  // A create with the step's authentication challenge, or a wrong RP ID, is refused alike.
  assert.equal(
    (await ask({ type: 'keyway:webauthn:create', id: 2, options: { ...REGISTRATION, challenge: AUTHENTICATION.challenge } }))?.code,
    'ERR_PAGE_CEREMONY_REFUSED',
  );
  assert.equal((await ask({ type: 'keyway:webauthn:get', id: 3, options: { ...AUTHENTICATION, rpId: 'example.com' } }))?.code, 'ERR_PAGE_CEREMONY_REFUSED');
  assert.deepEqual(calls, [], 'navigator.credentials was never called');
  stop();
});

test('a step without ceremonies: every request of the page is refused, with or without options', async () => {
  const { ask, stop } = attached(undefined);
  assert.equal((await ask({ type: 'keyway:webauthn:get', id: 1, options: FOREIGN }))?.code, 'ERR_PAGE_CEREMONY_REFUSED');
  const none = await ask({ type: 'keyway:webauthn:create', id: 2 });
  assert.equal(none?.name, 'SecurityError');
  assert.equal(none?.message, 'createCredential: the journey started no passkey registration for this page');
  assert.deepEqual(calls, []);
  stop();
});

test("the step's own authentication runs with the server's options, not the page's extras", async () => {
  const { ask, stop } = attached(CEREMONIES);
  const widened = { ...AUTHENTICATION, allowCredentials: [{ type: 'public-key', id: 'b3RoZXI' }], extensions: { prf: { eval: { first: 'c2FsdA' } } } };
  assert.deepEqual(await ask({ type: 'keyway:webauthn:get', id: 7, options: widened }), {
    keyway: 1,
    type: 'keyway:webauthn:result',
    id: 7,
    credential: CREDENTIAL,
  });
  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.equal(call!.method, 'get');
  assert.equal(call!.challenge, AUTHENTICATION.challenge);
  const publicKey = (call!.options as CredentialRequestOptions).publicKey!;
  assert.equal(publicKey.rpId, 'localhost');
  assert.equal(publicKey.extensions, undefined, "the page's extensions are not run");
  assert.equal(publicKey.allowCredentials, undefined, "the page's allowCredentials are not run");
  assert.equal('mediation' in call!.options, false, 'never a conditional request for a page');
  stop();
});

test("without options the page gets the step's only ceremony of the kind", async () => {
  const { ask, stop } = attached(CEREMONIES);
  assert.equal((await ask({ type: 'keyway:webauthn:create', id: 1 }))?.type, 'keyway:webauthn:result');
  assert.deepEqual(
    calls.map((c) => [c.method, c.challenge]),
    [['create', REGISTRATION.challenge]],
  );
  assert.equal(decode((calls[0]!.options as CredentialCreationOptions).publicKey!.user.id), REGISTRATION.user.id);
  stop();
});

test('messages from another window than the iframe are not answered', async () => {
  const { ask, replies, stop } = attached(CEREMONIES);
  await ask({ type: 'keyway:webauthn:get', id: 1, options: AUTHENTICATION }, { postMessage() {} });
  assert.deepEqual(replies, []);
  assert.deepEqual(calls, []);
  stop();
});
