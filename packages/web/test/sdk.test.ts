// @keyway/web pieces that do not need a browser: base64url, the Level 3 JSON fallbacks (the browser
// paths are covered in e2e/selfservice-sdk.test.ts), error mapping, and problem+json over real HTTP.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fromBase64Url, toBase64Url } from '../src/base64url.ts';
import {
  fromWebAuthnError,
  KeywayCancelledError,
  KeywayCredentialExistsError,
  KeywayNetworkError,
  KeywayNotAllowedError,
  KeywayServerError,
  KeywayUnsupportedError,
  KeywayWebError,
} from '../src/errors.ts';
import { requestJSON } from '../src/http.ts';
import { credentialToJSON, parseCreationOptions, parseRequestOptions } from '../src/webauthn-json.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

test('base64url: RFC 4648 §5 alphabet, no padding, round trip of every length', () => {
  assert.equal(toBase64Url(bytes(0xfb, 0xff, 0xfe)), '-__-');
  assert.equal(toBase64Url(bytes()), '');
  assert.equal(toBase64Url(bytes(0x66)), 'Zg');
  for (let n = 0; n < 70; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
    const encoded = toBase64Url(data);
    assert.doesNotMatch(encoded, /[+/=]/);
    assert.equal(encoded, Buffer.from(data).toString('base64url'));
    assert.deepEqual(new Uint8Array(fromBase64Url(encoded)), data);
  }
  assert.deepEqual(new Uint8Array(fromBase64Url('Zg==')), bytes(0x66), 'padding is accepted');
  assert.throws(() => fromBase64Url('a+b/'), TypeError, 'standard base64 is refused');
  assert.throws(() => fromBase64Url('ab$'), TypeError);
  // A view into a larger buffer encodes only its own bytes.
  assert.equal(toBase64Url(new Uint8Array([1, 2, 3, 4]).subarray(1, 3)), Buffer.from([2, 3]).toString('base64url'));
});

describe('WebAuthn JSON without the Level 3 methods', () => {
  const original = (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential;
  before(() => {
    // A browser with WebAuthn Level 2 only: no parse…FromJSON, no toJSON.
    (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential = class {};
  });
  after(() => {
    (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential = original;
  });

  test('creation options: challenge, user.id and excludeCredentials become bytes; the rest is kept', () => {
    const options = parseCreationOptions({
      challenge: 'AAEC',
      rp: { id: 'example.com', name: 'Example' },
      user: { id: '_-8', name: 'ada', displayName: 'Ada' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: [{ type: 'public-key', id: 'AQ', transports: ['internal'] }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
      timeout: 60000,
      hints: ['client-device'],
    });
    assert.deepEqual(new Uint8Array(options.challenge as ArrayBuffer), bytes(0, 1, 2));
    assert.deepEqual(new Uint8Array(options.user.id as ArrayBuffer), bytes(0xff, 0xef));
    assert.equal(options.user.name, 'ada');
    assert.deepEqual(new Uint8Array(options.excludeCredentials![0]!.id as ArrayBuffer), bytes(1));
    assert.deepEqual(options.excludeCredentials![0]!.transports, ['internal']);
    assert.equal(options.attestation, 'none');
    assert.equal(options.timeout, 60000);
    assert.deepEqual((options as unknown as { hints: string[] }).hints, ['client-device']);
  });

  test('request options: challenge and allowCredentials become bytes', () => {
    const options = parseRequestOptions({
      challenge: 'AAEC',
      rpId: 'example.com',
      allowCredentials: [{ type: 'public-key', id: 'AQ' }],
      userVerification: 'required',
    });
    assert.deepEqual(new Uint8Array(options.challenge as ArrayBuffer), bytes(0, 1, 2));
    assert.deepEqual(new Uint8Array(options.allowCredentials![0]!.id as ArrayBuffer), bytes(1));
    assert.equal(options.userVerification, 'required');
    assert.equal(parseRequestOptions({ challenge: 'AA' }).allowCredentials, undefined, 'discoverable: no allowCredentials');
  });

  test('credentialToJSON: a registration, with the Level 2 getters', () => {
    const credential = {
      id: 'AQI',
      rawId: bytes(1, 2).buffer,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      getClientExtensionResults: () => ({ credProps: { rk: true }, prf: { enabled: true, results: { first: bytes(9).buffer } } }),
      response: {
        clientDataJSON: bytes(1).buffer,
        attestationObject: bytes(2).buffer,
        getTransports: () => ['internal', 'hybrid'],
        getPublicKey: () => bytes(3).buffer,
        getPublicKeyAlgorithm: () => -7,
        getAuthenticatorData: () => bytes(4).buffer,
      },
    };
    assert.deepEqual(credentialToJSON(credential as unknown as PublicKeyCredential), {
      id: 'AQI',
      rawId: 'AQI',
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true }, prf: { enabled: true, results: { first: 'CQ' } } },
      response: {
        clientDataJSON: 'AQ',
        attestationObject: 'Ag',
        transports: ['internal', 'hybrid'],
        authenticatorData: 'BA',
        publicKey: 'Aw',
        publicKeyAlgorithm: -7,
      },
    });
  });

  test('credentialToJSON: an assertion; a null user handle is left out', () => {
    const assertion = (userHandle: ArrayBuffer | null) =>
      credentialToJSON({
        id: 'AQ',
        rawId: bytes(1).buffer,
        type: 'public-key',
        authenticatorAttachment: null,
        getClientExtensionResults: () => ({}),
        response: { clientDataJSON: bytes(1).buffer, authenticatorData: bytes(2).buffer, signature: bytes(3).buffer, userHandle },
      } as unknown as PublicKeyCredential);
    assert.deepEqual(assertion(bytes(7).buffer).response, { clientDataJSON: 'AQ', authenticatorData: 'Ag', signature: 'Aw', userHandle: 'Bw' });
    assert.deepEqual(assertion(null).response, { clientDataJSON: 'AQ', authenticatorData: 'Ag', signature: 'Aw' });
    assert.equal(assertion(null).authenticatorAttachment, null);
  });

  test('the native methods are used when present', () => {
    const calls: string[] = [];
    (globalThis as { PublicKeyCredential?: unknown }).PublicKeyCredential = {
      parseCreationOptionsFromJSON: () => (calls.push('create'), { native: true }),
      parseRequestOptionsFromJSON: () => (calls.push('get'), { native: true }),
    };
    assert.deepEqual(parseCreationOptions({} as PublicKeyCredentialCreationOptionsJSON), { native: true });
    assert.deepEqual(parseRequestOptions({} as PublicKeyCredentialRequestOptionsJSON), { native: true });
    assert.deepEqual(credentialToJSON({ toJSON: () => ({ id: 'native' }) } as unknown as PublicKeyCredential), { id: 'native' });
    assert.deepEqual(calls, ['create', 'get']);
  });
});

test('DOMExceptions become typed errors with a stable code; the cause is kept', () => {
  const cases: [string, new (...args: never[]) => KeywayWebError, string][] = [
    ['AbortError', KeywayCancelledError, 'ERR_CANCELLED'],
    ['NotAllowedError', KeywayNotAllowedError, 'ERR_NOT_ALLOWED'],
    ['SecurityError', KeywayNotAllowedError, 'ERR_NOT_ALLOWED'],
    ['InvalidStateError', KeywayCredentialExistsError, 'ERR_CREDENTIAL_EXISTS'],
    ['NotSupportedError', KeywayUnsupportedError, 'ERR_UNSUPPORTED'],
    ['ConstraintError', KeywayUnsupportedError, 'ERR_UNSUPPORTED'],
  ];
  for (const [name, type, code] of cases) {
    const cause = new DOMException('browser said no', name);
    const mapped = fromWebAuthnError(cause) as KeywayWebError;
    assert.ok(mapped instanceof type, name);
    assert.ok(mapped instanceof KeywayWebError);
    assert.equal(mapped.code, code);
    assert.equal((type as unknown as { code: string }).code, code, 'the code is also static');
    assert.equal(mapped.name, type.name);
    assert.equal(mapped.cause, cause);
  }
  const unknown = new TypeError('a bug');
  assert.equal(fromWebAuthnError(unknown), unknown, 'anything else is rethrown unchanged');
});

describe('problem+json over real HTTP', () => {
  let url: string;
  const server = createServer((request, response) => {
    if (request.url === '/limited') {
      response.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '17' });
      response.end(
        JSON.stringify({
          type: 'urn:keyway:error:RATE_LIMITED',
          title: 'Too many requests',
          status: 429,
          code: 'RATE_LIMITED',
          detail: 'slow down',
          instance: 'req-1',
        }),
      );
    } else if (request.url === '/html') {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<h1>Bad gateway</h1>');
    } else if (request.url === '/echo') {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ method: request.method, contentType: request.headers['content-type'] ?? null, body }));
      });
    } else {
      response.writeHead(204).end();
    }
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a problem becomes KeywayServerError with its code, status and Retry-After', async () => {
    const error = await requestJSON('POST', `${url}/limited`, {}).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof KeywayServerError);
    assert.equal(error.code, 'ERR_SERVER');
    assert.equal(error.problemCode, 'RATE_LIMITED');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterSeconds, 17);
    assert.equal(error.message, 'slow down');
    assert.equal(error.problem.instance, 'req-1');
  });

  test('a non-problem error answer still has a code', async () => {
    const error = await requestJSON('GET', `${url}/html`).catch((e: unknown) => e);
    assert.ok(error instanceof KeywayServerError);
    assert.equal(error.problemCode, 'HTTP_502');
    assert.equal(error.retryAfterSeconds, undefined);
  });

  test('JSON body only when there is one; 204 is undefined', async () => {
    assert.deepEqual(await requestJSON('POST', `${url}/echo`, { a: 1 }), { method: 'POST', contentType: 'application/json', body: '{"a":1}' });
    assert.deepEqual(await requestJSON('POST', `${url}/echo`), { method: 'POST', contentType: null, body: '' });
    assert.equal(await requestJSON('DELETE', `${url}/nothing`), undefined);
  });

  test('unreachable → KeywayNetworkError; aborted → KeywayCancelledError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.ok((await requestJSON('GET', `http://127.0.0.1:${port}/`).catch((e: unknown) => e)) instanceof KeywayNetworkError);
    assert.ok((await requestJSON('GET', `${url}/echo`, undefined, AbortSignal.abort()).catch((e: unknown) => e)) instanceof KeywayCancelledError);
    const timedOut = AbortSignal.abort(new DOMException('too slow', 'TimeoutError'));
    assert.ok((await requestJSON('GET', `${url}/echo`, undefined, timedOut).catch((e: unknown) => e)) instanceof KeywayCancelledError, 'whatever the reason');
  });
});
