// Set-up and observation helpers for the hosted self-service pages in a real browser: a store with
// self-service enabled, screenshots into test-artifacts/, and a watch for CSP violations and
// uncaught page errors (a strict CSP that silently blocks a script would otherwise look like a hang).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { DatabaseKind } from '../../packages/server/test/support/databases.ts';
import { KeywayBackend } from './keyway-backend.ts';
import { startSelfServiceServer, type SelfServiceServer } from './selfservice-server.ts';

export const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'test-artifacts');
export const RP_ID = 'localhost';
export const REGISTRATION_POLICY = 'hosted-passkey';
export const AUTHENTICATION_POLICY = 'hosted-sign-in';

export interface HostedStore {
  backend: KeywayBackend;
  /** `http://localhost:<port>/{tenant}/identity/{store}` */
  base: string;
  url(page: 'signup' | 'signin' | 'passkeys' | 'recover' | 'lost-passkey' | 'verify-email'): string;
}

/**
 * Inside a describe: a Keyway server on `kind` with the acme/customers hosted store (setUpHostedStore), started before
 * the suite's tests (and before hooks declared after this call) and closed after them.
 */
export function hostedStoreSuite(kind: DatabaseKind): { server: SelfServiceServer; store: HostedStore } {
  const suite = {} as { server: SelfServiceServer; store: HostedStore };
  before(async () => {
    suite.server = await startSelfServiceServer(kind);
    suite.store = await setUpHostedStore(suite.server, 'acme', 'customers', 'Acme Customers');
  });
  after(async () => {
    await suite.server?.close();
  });
  return suite;
}

/** A tenant and a store whose self-service uses an RP on the server's own origin (passkeys on localhost, UV required). */
export async function setUpHostedStore(server: SelfServiceServer, tenantId: string, storeName: string, displayName: string): Promise<HostedStore> {
  const { api } = await server.tenant(tenantId);
  const backend = new KeywayBackend(api, storeName);
  await backend.createStore(displayName);
  await backend.createRelyingParty({ id: RP_ID, name: displayName, origins: [server.origin] });
  await backend.createRegistrationPolicy({
    name: REGISTRATION_POLICY,
    attestation: 'none',
    residentKey: 'required',
    userVerification: 'required',
    timeout: 120_000,
  });
  await backend.createAuthenticationPolicy({ name: AUTHENTICATION_POLICY, userVerification: 'required', timeout: 120_000, allowDiscoverable: true });
  backend.expect(
    await backend.call('PATCH', `/api/identity-store/stores/${storeName}`, {
      selfService: {
        enabled: true,
        relyingPartyId: RP_ID,
        registrationPolicy: REGISTRATION_POLICY,
        authenticationPolicy: AUTHENTICATION_POLICY,
        allowSignUp: true,
      },
    }),
    200,
  );
  const base = `${server.origin}/${tenantId}/identity/${storeName}`;
  return { backend, base, url: (page) => `${base}/${page}` };
}

/** Saves a full-page screenshot as test-artifacts/selfservice-<name>.png (look at them: the issue asks for it). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: resolve(ARTIFACTS, `selfservice-${name}.png`), fullPage: true });
}

/** Collects CSP violations and uncaught errors of a page; `problems()` should stay empty. */
export function watchPage(page: Page): { problems(): string[] } {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return { problems: () => [...problems] };
}

/** One `navigator.credentials.create/get` call the page made. */
export interface WebAuthnCall {
  method: 'create' | 'get';
  /** `conditional` for passkey autofill, `modal` otherwise */
  mediation: string;
  /** allowCredentials (get) or excludeCredentials (create) length */
  descriptors: number;
}

/**
 * Records every WebAuthn call of the context's pages (from the next navigation on), so a test can
 * tell an autofill sign-in (mediation `conditional`) from a modal one. The calls still go to the browser.
 */
export async function recordWebAuthnCalls(context: BrowserContext): Promise<WebAuthnCall[]> {
  const calls: WebAuthnCall[] = [];
  await context.exposeFunction('keywayRecordWebAuthnCall', (call: WebAuthnCall) => {
    calls.push(call);
  });
  await context.addInitScript(() => {
    const page = window as unknown as { keywayRecordWebAuthnCall(call: unknown): void; keywayWebAuthnCalls: unknown[] };
    page.keywayWebAuthnCalls = [];
    const record = (call: unknown) => {
      page.keywayWebAuthnCalls.push(call);
      page.keywayRecordWebAuthnCall(call);
    };
    const container = navigator.credentials;
    const get = container.get.bind(container);
    const create = container.create.bind(container);
    container.get = (options?: CredentialRequestOptions) => {
      record({ method: 'get', mediation: options?.mediation ?? 'modal', descriptors: options?.publicKey?.allowCredentials?.length ?? 0 });
      return get(options);
    };
    container.create = (options?: CredentialCreationOptions) => {
      record({
        method: 'create',
        mediation: (options as { mediation?: string } | undefined)?.mediation ?? 'modal',
        descriptors: options?.publicKey?.excludeCredentials?.length ?? 0,
      });
      return create(options);
    };
  });
  return calls;
}

/** Waits until the sign-in page has decided on autofill (armed, or unavailable in this browser state). */
export async function waitForAutofillDecision(page: Page): Promise<string> {
  const field = page.locator('#identifier[data-autofill]');
  await field.waitFor({ state: 'attached' });
  return (await field.getAttribute('data-autofill'))!;
}
