import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import type { BrandingService, StoreRef } from '../branding/branding-service.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import { normaliseEmail } from '../identity/user-record.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { enqueueEmail, type OutgoingEmail } from './email-outbox.ts';
import { emailLanguage, renderEmail, type EmailContent } from './email-templates.ts';

export interface EmailServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Seals the bodies of queued e-mails */
  masterKey: MasterKey;
  branding: Pick<BrandingService, 'forStore'>;
  identity: Pick<IdentityService, 'findStore'>;
  /** Whether an SMTP server is configured (KEYWAY_SMTP_HOST): without one, nothing is queued. */
  configured: boolean;
  /** Limits the one-time codes sent to one address (absent: unlimited, for tools that send no codes). */
  limiter?: Pick<RateLimiter, 'hit'> | undefined;
}

/** The refusal of every e-mail feature on a server without SMTP. */
export function emailNotConfigured(): KeywayError {
  return new KeywayError('EMAIL_NOT_CONFIGURED', 'This server has no SMTP server configured (KEYWAY_SMTP_HOST), so it sends no e-mail');
}

/**
 * One-time codes one address receives per minute at most, across journeys and nodes: each code gives a few guesses
 * (general.emailOtp's maxAttempts), so this bounds the guesses an attacker gets at an account per minute however many
 * journeys they start, and stops a flood of codes into someone's inbox.
 */
export const ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE = 5;

/** An e-mail to write for a store: to whom, why, what, and the languages the reader prefers, best first. */
export interface EmailRequest {
  store: StoreRef;
  to: string;
  purpose: string;
  content: EmailContent;
  languages: readonly (string | null | undefined)[];
  /** The user whose account it is about: deleted with them if still queued (OutgoingEmail.userId). */
  userId?: string | undefined;
}

/**
 * Writes a store's e-mails (its branding, the reader's language) for the outbox. Callers queue them with
 * `enqueue` inside the transaction of the change they announce; `sendOneTimeCode` is the journeys' way in.
 */
export class EmailService {
  readonly #deps: EmailServiceDeps;

  constructor(deps: EmailServiceDeps) {
    this.#deps = deps;
  }

  get configured(): boolean {
    return this.#deps.configured;
  }

  /** Refuses (503 EMAIL_NOT_CONFIGURED) when no SMTP server is configured, before any change is made. */
  requireConfigured(): void {
    if (!this.#deps.configured) throw emailNotConfigured();
  }

  /** Renders an e-mail in the store's branding and the first of the reader's languages that e-mails are written in. */
  async compose(request: EmailRequest): Promise<OutgoingEmail> {
    const branding = await this.#deps.branding.forStore(request.store);
    const language = emailLanguage([...request.languages, branding.languages.default]);
    return {
      tenantId: request.store.tenant_id,
      to: request.to,
      purpose: request.purpose,
      ...renderEmail(request.content, language, branding),
      ...(request.userId === undefined ? {} : { userId: request.userId }),
    };
  }

  /**
   * Queues an e-mail in the caller's transaction, its body sealed (email-outbox.ts). An e-mail about a user's account
   * names the user (`userId`, given to compose or set here), so that it is not sent once the user is deleted.
   */
  enqueue(trx: Kysely<Schema>, email: OutgoingEmail, now: Date): Promise<string> {
    return enqueueEmail(trx, this.#deps.masterKey, email, now);
  }

  /** A journey's one-time code: queued (with its audit event, never the code) in one transaction. */
  async sendOneTimeCode(
    actor: Actor,
    input: { storeName: string; to: string; code: string; expiresInMinutes: number; languages: readonly string[]; userId?: string | undefined },
  ): Promise<void> {
    this.requireConfigured();
    const store = await this.#deps.identity.findStore(actor.tenantId, input.storeName);
    // Keyed by a hash of the address's comparison form: the rate-limit table holds no addresses.
    await this.#deps.limiter?.hit(
      `one-time-code|${actor.tenantId}|${createHash('sha256').update(normaliseEmail(input.to)).digest('base64url')}`,
      ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE,
      'for this e-mail address',
    );
    const email = await this.compose({
      store,
      to: input.to,
      purpose: 'one-time-code',
      content: { kind: 'oneTimeCode', code: input.code, expiresInMinutes: input.expiresInMinutes },
      languages: input.languages,
      userId: input.userId,
    });
    const now = this.#deps.clock.now();
    await this.#deps.db.transaction().execute(async (trx) => {
      const id = await this.enqueue(trx, email, now);
      await appendAuditEvent(
        trx,
        actor,
        {
          action: 'email.oneTimeCode.send',
          targetType: input.userId ? 'user' : 'email',
          targetId: input.userId ?? null,
          details: { store: input.storeName, emailId: id },
        },
        now,
      );
    });
  }
}
