// The test process plays the application's backend: it calls Keyway's server-to-server API with the
// tenant's admin token, hands `clientRequest` to the browser page and posts the page's
// `PublicKeyCredential.toJSON()` back. Every call is recorded so a failed expectation shows the exact
// request and response.
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE } from '../../packages/server/src/errors/catalogue.ts';
import type { ErrorCode } from '../../packages/server/src/errors/catalogue.ts';
import type { ApiResponse, HttpClient } from '../../packages/server/test/support/http-client.ts';

const BASE = '/api/identity-store';

/** Who a ceremony is started for: the user's ID, or the user's external ID (the `/ext` paths). */
export type UserRef = { userId: string } | { externalId: string };

export interface RecordedCall {
  method: string;
  path: string;
  body: unknown;
  status: number;
  response: unknown;
}

export class KeywayBackend {
  readonly api: HttpClient;
  readonly store: string;
  /** The most recent calls, newest last (bounded), for failure messages. */
  readonly calls: RecordedCall[] = [];

  constructor(api: HttpClient, store: string) {
    this.api = api;
    this.store = store;
  }

  async call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const response = await this.api.request(method, path, body);
    this.calls.push({ method, path, body, status: response.status, response: response.body });
    if (this.calls.length > 20) this.calls.shift();
    return response;
  }

  /** Asserts a status (and, for errors, the problem `code`), showing the request and response when it differs. */
  expect(response: ApiResponse, status: number, code?: ErrorCode): ApiResponse {
    const last = this.calls.at(-1);
    const context = () =>
      `\n  request:  ${last?.method} ${last?.path}\n  body:     ${truncate(JSON.stringify(last?.body))}\n  response: ${response.status} ${truncate(JSON.stringify(response.body))}`;
    assert.equal(response.status, status, `expected HTTP ${status}${code ? ` ${code}` : ''}${context()}`);
    if (code !== undefined) {
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, `expected a problem+json answer${context()}`);
      assert.equal(response.body?.code, code, `expected code ${code}${context()}`);
      assert.equal(response.body?.status, status, `the problem's status member matches the HTTP status${context()}`);
      assert.equal(response.body?.title, ERROR_CATALOGUE[code].title, `the problem's title is the catalogue's${context()}`);
      assert.equal(typeof response.body?.detail, 'string', `the problem has a detail${context()}`);
    }
    return response;
  }

  /** Asserts a 2xx answer (200 or 201: creation may answer either), showing the request and response when not. */
  expectOk(response: ApiResponse): ApiResponse {
    if (response.status === 200 || response.status === 201) return response;
    return this.expect(response, 200);
  }

  async createStore(displayName = 'E2E store'): Promise<void> {
    this.expect(await this.call('POST', `${BASE}/stores`, { name: this.store, displayName }), 201);
  }

  async createRelyingParty(body: { id: string; name: string; origins: string[] }): Promise<ApiResponse> {
    return this.expect(await this.call('POST', `${BASE}/stores/${this.store}/passkeys/relyingParties`, body), 201);
  }

  async createRegistrationPolicy(body: Record<string, unknown> & { name: string }): Promise<ApiResponse> {
    return this.expect(await this.call('POST', `${BASE}/stores/${this.store}/passkeys/registrationPolicies`, body), 201);
  }

  async createAuthenticationPolicy(body: Record<string, unknown> & { name: string }): Promise<ApiResponse> {
    return this.expect(await this.call('POST', `${BASE}/stores/${this.store}/passkeys/authenticationPolicies`, body), 201);
  }

  async createUser(body: Record<string, unknown> & { userKey: string }): Promise<{ id: string; externalId: string; [key: string]: unknown }> {
    return this.expect(await this.call('POST', `${BASE}/stores/${this.store}/users`, body), 201).body;
  }

  private userPath(user: UserRef): string {
    return 'userId' in user ? `users/${encodeURIComponent(user.userId)}` : `users/${encodeURIComponent(user.externalId)}`;
  }

  /** POST …/users/{userId}/passkeys/relyingParties/{rpId}/registrations/{policy}[/ext] */
  startRegistration(user: UserRef, rpId: string, policy: string, body: Record<string, unknown> = {}): Promise<ApiResponse> {
    const ext = 'externalId' in user ? '/ext' : '';
    return this.call('POST', `${BASE}/stores/${this.store}/${this.userPath(user)}/passkeys/relyingParties/${rpId}/registrations/${policy}${ext}`, body);
  }

  /** POST …/users/{userId}/passkeys/registrations/sessions/{sessionId} with the browser's toJSON() */
  completeRegistration(userId: string, sessionId: string, credential: unknown): Promise<ApiResponse> {
    return this.call(
      'POST',
      `${BASE}/stores/${this.store}/users/${encodeURIComponent(userId)}/passkeys/registrations/sessions/${encodeURIComponent(sessionId)}`,
      credential,
    );
  }

  /** POST …/users/{userId}/passkeys/relyingParties/{rpId}/authentications/{policy}[/ext] */
  startAuthentication(user: UserRef, rpId: string, policy: string, body: Record<string, unknown> = {}): Promise<ApiResponse> {
    const ext = 'externalId' in user ? '/ext' : '';
    return this.call('POST', `${BASE}/stores/${this.store}/${this.userPath(user)}/passkeys/relyingParties/${rpId}/authentications/${policy}${ext}`, body);
  }

  /** POST …/users/{userId}/passkeys/authentications/sessions/{sessionId} with the browser's toJSON() */
  completeAuthentication(userId: string, sessionId: string, credential: unknown): Promise<ApiResponse> {
    return this.call(
      'POST',
      `${BASE}/stores/${this.store}/users/${encodeURIComponent(userId)}/passkeys/authentications/sessions/${encodeURIComponent(sessionId)}`,
      credential,
    );
  }

  /** GET …/users/{userId}/passkeys → the items */
  async listPasskeys(userId: string): Promise<PasskeyRecord[]> {
    return this.expect(await this.call('GET', `${BASE}/stores/${this.store}/users/${encodeURIComponent(userId)}/passkeys`), 200).body.items;
  }
}

/** A passkey as the API answers it (the fields the e2e tests read). */
export interface PasskeyRecord {
  credentialId: string;
  counter: number;
  attestationFormat?: string;
  [key: string]: unknown;
}

function truncate(text: string | undefined, max = 1500): string {
  if (text === undefined) return '(none)';
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
