import type { Actor } from '../../audit/audit-log.ts';
import type { DeviceProof, DeviceStatus } from '../../passkeys/device-key-service.ts';
import { parseDevicePublicKey, verifyDeviceProof, type DevicePublicKey } from '../../passkeys/device-key-proof.ts';
import { emailNotConfigured } from '../../email/email-service.ts';
import { KeywayError } from '../../errors/keyway-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { StepPort } from '../step-port.ts';
import { DEFAULT_PAGE_GRANT_SECONDS, type PageGrant, type PageGrantInput, type PageService } from '../pages/page-service.ts';
import { StepFailure } from '../engine/step-failure.ts';

/** The id the sandbox's own device key answers Known Device Status with (a proof the sandbox itself judges). */
export const SANDBOX_DEVICE_KEY_ID = 'dry-run-device';

/**
 * The e-mail, custom page and device parts of a dry-run's step port. Each keeps what a step hands it in this object
 * (the code that would have been mailed, the page that would have been served, the status a device proof is given)
 * and writes nothing: no outbox row, no page grant, no device key, so no mail leaves and no URL opens.
 */
export class SandboxServices {
  readonly #clock: Clock;
  readonly #pages: Pick<PageService, 'findPublished'>;
  /** The last code each address would have been sent: the script's `succeeds` / `wrongCode` at an e-mail step read it. */
  readonly #codes = new Map<string, string>();
  /** What the next Known Device Status proof is judged to be (the operator's choice for that step). */
  deviceStatus: DeviceStatus = 'unknown';

  readonly #emailConfigured: boolean;

  constructor(deps: { clock: Clock; pages: Pick<PageService, 'findPublished'>; emailConfigured: boolean }) {
    this.#clock = deps.clock;
    this.#pages = deps.pages;
    this.#emailConfigured = deps.emailConfigured;
  }

  /** The code last "sent" to an address in this run. */
  codeFor(to: string): string | undefined {
    return this.#codes.get(to);
  }

  /** The last code "sent" in this run, whatever the address (the step shows the address masked only). */
  lastCode(): string | undefined {
    return [...this.#codes.values()].at(-1);
  }

  email(): StepPort['email'] {
    return {
      sendOneTimeCode: (_actor: Actor, input: { to: string; code: string }) => {
        // As the real service: without SMTP a real run cannot send the code, so the run shows that, not a success.
        if (!this.#emailConfigured) return Promise.reject(emailNotConfigured());
        // Deleted first so the map's order is the order of sending.
        this.#codes.delete(input.to);
        this.#codes.set(input.to, input.code);
        return Promise.resolve();
      },
    };
  }

  pages(): StepPort['pages'] {
    return {
      // The page must exist and be published, as for a real run; no grant row is written, so no URL serves it.
      grant: async (input: PageGrantInput): Promise<PageGrant> => {
        const version = await this.#pages.findPublished(input.tenantId, input.pageName, input.pageVersion);
        const expiresAt = this.#clock.now().getTime() + (input.ttlSeconds ?? DEFAULT_PAGE_GRANT_SECONDS) * 1000;
        return { url: 'about:blank', name: input.pageName, version: version.version, expiresAt: new Date(expiresAt).toISOString() };
      },
      revoke: () => Promise.resolve(),
    };
  }

  devices(): StepPort['devices'] {
    return {
      // Pure checks of the proof, exactly the real service's (no database).
      verifyBindingProof: async (challenge: string, proof: DeviceProof): Promise<DevicePublicKey> => {
        const key = await parseDevicePublicKey(proof.publicKey);
        if (!verifyDeviceProof(key.key, challenge, proof.signature))
          throw new KeywayError('DEVICE_KEY_INVALID', 'the device key’s signature over the registration’s challenge does not verify');
        return key;
      },
      // Binding writes a device_keys row in the passkey's commit; the sandbox's registration runs no commit hook.
      bindIn: () => Promise.reject(new StepFailure('JOURNEY_STEP_FAILED', 'devices are not bound in a dry-run')),
      status: (_tenantId, _storeName, _userId, keyId) => Promise.resolve(keyId === SANDBOX_DEVICE_KEY_ID ? this.deviceStatus : 'unknown'),
    };
  }
}
