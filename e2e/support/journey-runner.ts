// Set-up and observation helpers for the hosted journey runner in a real browser: a tenant whose store
// has a relying party on the server's own origin and the journey templates installed, the runtime
// answers the page received, and screenshots into test-artifacts/journeys-*.png.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { HttpClient } from '../../packages/server/test/support/http-client.ts';
import { ARTIFACTS, AUTHENTICATION_POLICY, REGISTRATION_POLICY, RP_ID } from './hosted-pages.ts';
import { KeywayBackend } from './keyway-backend.ts';
import type { WebAuthnPage, VirtualCredential } from './browser.ts';
import { PLATFORM_AUTHENTICATOR } from './browser.ts';
import type { SelfServiceServer } from './selfservice-server.ts';

export const STORE = 'customers';

export interface JourneyTenant {
  tenantId: string;
  api: HttpClient;
  backend: KeywayBackend;
  /** `http://localhost:<port>/{tenant}/journeys/{journeyId}` plus an optional query. */
  runnerUrl(journeyId: string, query?: string): string;
}

/** A tenant, store `customers` (display name "Acme Shop") with an RP on the server's origin, its policies, and the four templates. */
export async function setUpJourneyTenant(server: SelfServiceServer, tenantId = 'acme'): Promise<JourneyTenant> {
  const { api } = await server.tenant(tenantId);
  const backend = new KeywayBackend(api, STORE);
  await backend.createStore('Acme Shop');
  await backend.createRelyingParty({ id: RP_ID, name: 'Acme Shop', origins: [server.origin] });
  await backend.createRegistrationPolicy({
    name: REGISTRATION_POLICY,
    attestation: 'none',
    residentKey: 'required',
    userVerification: 'required',
    timeout: 120_000,
  });
  await backend.createAuthenticationPolicy({ name: AUTHENTICATION_POLICY, userVerification: 'required', timeout: 120_000, allowDiscoverable: true });
  const installed = await api.post('/api/journeys/templates/install', {
    store: STORE,
    relyingPartyId: RP_ID,
    registrationPolicy: REGISTRATION_POLICY,
    authenticationPolicy: AUTHENTICATION_POLICY,
  });
  assert.equal(installed.status, 200, JSON.stringify(installed.body));
  assert.equal(installed.body.items.length, 4);
  return { tenantId, api, backend, runnerUrl: (journeyId, query = '') => `${server.origin}/${tenantId}/journeys/${journeyId}${query}` };
}

/** Creates (or redrafts) and publishes a journey definition. */
export async function publishJourney(api: HttpClient, journeyId: string, definition: Record<string, unknown>): Promise<void> {
  const existing = await api.get(`/api/journeys/${journeyId}`);
  if (existing.status === 404) assert.equal((await api.post('/api/journeys', { journeyId })).status, 201);
  const draft = await api.request('PUT', `/api/journeys/${journeyId}/draft`, { definition });
  assert.equal(draft.status, 200, JSON.stringify(draft.body));
  const published = await api.post(`/api/journeys/${journeyId}/publish`);
  assert.equal(published.status, 201, JSON.stringify(published.body));
}

export interface RuntimeAnswer {
  url: string;
  status: number;
  body: { journeyStepId?: string; sessionId?: string; data?: Record<string, unknown>; code?: string };
}

/**
 * Every answer of the runtime API (start, submit, current) the page receives, in order. An answer's body is read
 * after the page has it, so the page may already show the next step when it is recorded: `first` waits for it.
 */
export class RuntimeAnswers extends Array<RuntimeAnswer> {
  /** filter, map and slice answer plain arrays (compared to array literals by the tests). */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  readonly #waiting: { matches(answer: RuntimeAnswer): boolean; resolve(answer: RuntimeAnswer): void }[] = [];

  /** @internal */
  record(answer: RuntimeAnswer): void {
    this.push(answer);
    for (const waiter of this.#waiting.filter((w) => w.matches(answer))) {
      this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
      waiter.resolve(answer);
    }
  }

  /** The first answer that matches, once it has been recorded. */
  first(matches: (answer: RuntimeAnswer) => boolean): Promise<RuntimeAnswer> {
    const found = this.find(matches);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiting.push({ matches, resolve }));
  }
}

/** Records every answer of the runtime API (start, submit, current) the page receives. */
export function recordRuntime(page: Page): RuntimeAnswers {
  const answers = new RuntimeAnswers();
  page.on('response', (response) => {
    const url = response.url();
    if (!/\/journeys\/(?:[^/]+\/start|sessions\/[^/]+(?:\/submit)?)$/.test(new URL(url).pathname)) return;
    response
      .json()
      .then((body: RuntimeAnswer['body']) => answers.record({ url, status: response.status(), body }))
      .catch(() => undefined);
  });
  return answers;
}

/** The runner's current step area once it shows a step of `kind` (data-kind on #step). */
export async function waitForStep(page: Page, kind: string, heading?: string | RegExp): Promise<Locator> {
  const step = page.locator(`#step[data-kind="${kind}"]`);
  await step.waitFor();
  if (heading !== undefined) await step.getByRole('heading', { level: 1, name: heading }).waitFor();
  return step;
}

/** The element that has focus: its tag and text (the runner moves focus to each new step's heading). */
export function focused(page: Page): Promise<{ tag: string; text: string; id: string }> {
  return page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    return { tag: active?.tagName.toLowerCase() ?? '', text: active?.textContent?.trim() ?? '', id: active?.id ?? '' };
  });
}

/** Saves a full-page screenshot as test-artifacts/journeys-<name>.png. */
export async function journeyScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: resolve(ARTIFACTS, `journeys-${name}.png`), fullPage: true });
}

/**
 * The device of a test: a platform authenticator that can be taken away and brought back with its
 * passkeys. Taken away, a stand-in that cannot verify the user takes its place: with no authenticator
 * at all Chrome waits for the request's timeout, while an authenticator unable to meet the request
 * makes it answer NotAllowedError at once — what a user dismissing the prompt produces.
 */
export class Device {
  readonly webauthn: WebAuthnPage;
  authenticatorId: string | undefined;
  #standIn: string | undefined;
  #saved: VirtualCredential[] = [];

  constructor(webauthn: WebAuthnPage) {
    this.webauthn = webauthn;
  }

  async attach(): Promise<void> {
    if (this.#standIn) await this.webauthn.removeVirtualAuthenticator(this.#standIn);
    this.#standIn = undefined;
    this.authenticatorId = await this.webauthn.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
    for (const credential of this.#saved) await this.webauthn.addCredential(this.authenticatorId, credential);
  }

  async detach(): Promise<void> {
    assert.ok(this.authenticatorId, 'the authenticator is attached');
    this.#saved = await this.webauthn.getCredentials(this.authenticatorId);
    await this.webauthn.removeVirtualAuthenticator(this.authenticatorId);
    this.authenticatorId = undefined;
    this.#standIn = await this.webauthn.addVirtualAuthenticator({ ...PLATFORM_AUTHENTICATOR, hasUserVerification: false, isUserVerified: false });
  }

  async credentials(): Promise<VirtualCredential[]> {
    return this.authenticatorId ? this.webauthn.getCredentials(this.authenticatorId) : this.#saved;
  }
}
