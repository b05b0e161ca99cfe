// Real-browser support: Debian Chromium driven by playwright-core, with Chrome's virtual authenticator over CDP.
// Launch flags for a quiet headless Chromium in a container: no sandbox, GPU, QUIC, sync or background traffic.
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Debian Chromium (`KEYWAY_CHROMIUM_PATH`, which `scripts/run-tests.ts` exports, or /usr/bin/chromium). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KEYWAY_CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/** CDP `WebAuthn.VirtualAuthenticatorOptions` (the subset Keyway's tests use). */
export interface VirtualAuthenticatorOptions {
  protocol: 'ctap2' | 'u2f';
  ctap2Version?: 'ctap2_0' | 'ctap2_1';
  transport: 'internal' | 'usb' | 'nfc' | 'ble' | 'cable' | 'hybrid';
  hasResidentKey: boolean;
  hasUserVerification: boolean;
  isUserVerified?: boolean;
  automaticPresenceSimulation?: boolean;
  hasLargeBlob?: boolean;
  hasPrf?: boolean;
  defaultBackupEligibility?: boolean;
  defaultBackupState?: boolean;
}

/** The recipe's authenticator: a platform (internal) CTAP2 authenticator with resident keys and a verified user. */
export const PLATFORM_AUTHENTICATOR: VirtualAuthenticatorOptions = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
};

/** CDP `WebAuthn.Credential`: binary fields are standard base64 (not base64url). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  /** PKCS#8, base64 */
  privateKey: string;
  userHandle?: string;
  signCount: number;
  largeBlob?: string;
  backupEligibility?: boolean;
  backupState?: boolean;
  userName?: string;
  userDisplayName?: string;
}

/** A browser context with one page and a CDP session on which the WebAuthn domain is enabled. */
export class WebAuthnPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly cdp: CDPSession;

  private constructor(context: BrowserContext, page: Page, cdp: CDPSession) {
    this.context = context;
    this.page = page;
    this.cdp = cdp;
  }

  /** Opens a fresh context (no shared state with other tests), navigates to `url` and enables `WebAuthn` on it. */
  static async open(browser: Browser, url: string): Promise<WebAuthnPage> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
      const cdp = await context.newCDPSession(page);
      // enableUI: false — the virtual environment answers without Chrome's account-selection UI.
      await cdp.send('WebAuthn.enable', { enableUI: false });
      return new WebAuthnPage(context, page, cdp);
    } catch (err) {
      await context.close();
      throw err;
    }
  }

  async addVirtualAuthenticator(options: VirtualAuthenticatorOptions): Promise<string> {
    const { authenticatorId } = await this.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { automaticPresenceSimulation: true, ...options },
    });
    return authenticatorId;
  }

  async removeVirtualAuthenticator(authenticatorId: string): Promise<void> {
    await this.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  }

  async getCredentials(authenticatorId: string): Promise<VirtualCredential[]> {
    const { credentials } = await this.cdp.send('WebAuthn.getCredentials', { authenticatorId });
    return credentials as VirtualCredential[];
  }

  async getCredential(authenticatorId: string, credentialId: string): Promise<VirtualCredential> {
    const { credential } = await this.cdp.send('WebAuthn.getCredential', { authenticatorId, credentialId });
    return credential as VirtualCredential;
  }

  async addCredential(authenticatorId: string, credential: VirtualCredential): Promise<void> {
    await this.cdp.send('WebAuthn.addCredential', { authenticatorId, credential });
  }

  async removeCredential(authenticatorId: string, credentialId: string): Promise<void> {
    await this.cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId });
  }

  async setUserVerified(authenticatorId: string, isUserVerified: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified });
  }

  async close(): Promise<void> {
    await this.cdp.detach().catch(() => undefined);
    await this.context.close();
  }
}

/** base64url (WebAuthn JSON) → standard base64 (CDP). */
export function base64UrlToBase64(value: string): string {
  return Buffer.from(value, 'base64url').toString('base64');
}

/** standard base64 (CDP) → base64url (WebAuthn JSON). */
export function base64ToBase64Url(value: string): string {
  return Buffer.from(value, 'base64').toString('base64url');
}

/** Waits for the page to be at `url`; when it is not, the failure shows where it is and what it says. */
export async function arrive(page: Page, url: string): Promise<void> {
  try {
    await page.waitForURL(url, { timeout: 15_000 });
  } catch (error) {
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '');
    throw new Error(`expected ${url}, at ${page.url()}: ${text.slice(0, 500)}`, { cause: error });
  }
}
