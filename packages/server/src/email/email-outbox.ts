import type { Kysely } from 'kysely';
import { isSealed, openSecret, sealSecret } from '../secrets/envelope.ts';
import type { MasterKey } from '../secrets/master-key.ts';
import { OUTBOX_BODY_COLUMN, sealedAad } from '../secrets/sealed-columns.ts';
import type { Clock } from '../shared/clock.ts';
import { IntervalJob } from '../shared/interval-job.ts';
import { withoutEmailAddresses } from '../logging/scrub-text.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { DatabaseLease } from '../storage/database-lease.ts';
import type { Schema } from '../storage/schema.ts';
import type { MailAttachment, MailTransport } from './mail-transport.ts';

/** Attempts per e-mail before it is given up (failed_at set). */
export const MAX_DELIVERY_ATTEMPTS = 8;
const FIRST_RETRY_MS = 30_000;
const LONGEST_RETRY_MS = 60 * 60 * 1000;
/** Delivered and given-up e-mails are kept this long (for support questions: sent when, to whom), then deleted (retention-rules.ts). */
export const OUTBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The wait before attempt `attempt + 1`: 30 s, 1 min, 2 min, … at most an hour. */
export function retryDelayMs(attempt: number): number {
  return Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

/** An e-mail ready to queue: rendered, addressed, and what it is for. */
export interface OutgoingEmail {
  tenantId: string;
  to: string;
  /** e.g. 'lost-passkey', 'email-verification', 'one-time-code' */
  purpose: string;
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
  /**
   * The user whose account it is about (a recovery link, a verification link, a one-time code for their address), if
   * any: when that user is deleted before delivery, the e-mail goes with them and is not sent (`email_outbox.user_id`,
   * ON DELETE CASCADE, migration 040).
   */
  userId?: string | undefined;
}

interface EmailBody {
  text: string;
  html: string;
  attachments: MailAttachment[];
}

/**
 * Queues an e-mail inside the caller's transaction: it is sent if and only if the change that sends it commits (a
 * recovery link and the e-mail that carries it exist together or not at all). The outbox worker delivers it. The
 * body (it carries a recovery link or a one-time code) is sealed under the master key, bound to the row's id: a
 * database reader sees neither until delivery empties it.
 */
export async function enqueueEmail(trx: Kysely<Schema>, masterKey: MasterKey, email: OutgoingEmail, now: Date): Promise<string> {
  const id = newTimeOrderedId(now);
  const body: EmailBody = { text: email.text, html: email.html, attachments: email.attachments };
  await trx
    .insertInto('email_outbox')
    .values({
      id,
      tenant_id: email.tenantId,
      user_id: email.userId ?? null,
      to_address: email.to,
      subject: email.subject,
      body: sealSecret(masterKey, JSON.stringify(body), sealedAad(OUTBOX_BODY_COLUMN, { id })),
      purpose: email.purpose,
      attempts: 0,
      next_attempt_at: now.getTime(),
      sent_at: null,
      failed_at: null,
      last_error: null,
      created_at: now.getTime(),
    })
    .execute();
  return id;
}

export interface EmailOutboxDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Opens the sealed bodies. */
  masterKey: MasterKey;
  /** Held by the one node that delivers (the lease of the job `email-outbox`). */
  lease: Pick<DatabaseLease, 'acquire' | 'release'>;
  /** Undefined when no SMTP server is configured: nothing is delivered (and nothing is queued: see EmailService). */
  transport: MailTransport | undefined;
  /** E-mails attempted per tick at most (the rest on the next tick). */
  batchSize?: number;
}

/**
 * Delivers queued e-mails. Each tick, the node holding the database lease takes the due e-mails; each attempt is
 * claimed first by compare-and-set on its attempt count, which also schedules the retry (so a node that dies while
 * sending leaves the e-mail to be retried, not lost). A delivered e-mail is marked sent and its body emptied (it may
 * hold a one-time link or code); a failed attempt is retried with exponential backoff, up to MAX_DELIVERY_ATTEMPTS.
 * Delivery is at least once: a node that dies between the relay's acceptance and the mark sends it again. An e-mail
 * about a user's account goes with the user (ON DELETE CASCADE): one whose user was deleted is not sent.
 */
export class EmailOutbox {
  readonly #deps: EmailOutboxDeps;
  readonly #batchSize: number;
  readonly #job = new IntervalJob('e-mail outbox', 'KEYWAY_EMAIL_OUTBOX', () => this.tick());

  constructor(deps: EmailOutboxDeps) {
    this.#deps = deps;
    this.#batchSize = deps.batchSize ?? 50;
  }

  /** One pass: answers how many e-mails this node delivered. */
  async tick(): Promise<number> {
    const transport = this.#deps.transport;
    if (!transport || !(await this.#deps.lease.acquire())) return 0;
    const db = this.#deps.db;
    const due = await db
      .selectFrom('email_outbox')
      .select(['id', 'attempts'])
      .where('sent_at', 'is', null)
      .where('failed_at', 'is', null)
      .where('next_attempt_at', '<=', this.#deps.clock.now().getTime())
      .orderBy('next_attempt_at')
      .limit(this.#batchSize)
      .execute();
    let delivered = 0;
    for (const candidate of due) {
      const now = this.#deps.clock.now().getTime();
      const attempt = Number(candidate.attempts) + 1;
      const claimed = await db
        .updateTable('email_outbox')
        .set({ attempts: attempt, next_attempt_at: now + retryDelayMs(attempt) })
        .where('id', '=', candidate.id)
        .where('attempts', '=', Number(candidate.attempts))
        .where('sent_at', 'is', null)
        .where('failed_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      const row = await db.selectFrom('email_outbox').select(['to_address', 'subject', 'body']).where('id', '=', candidate.id).executeTakeFirst();
      // Gone since the claim: its user was deleted (and the e-mail with them).
      if (!row) continue;
      // One queued before bodies were sealed is still clear.
      const clear = isSealed(row.body) ? openSecret(this.#deps.masterKey, row.body, sealedAad(OUTBOX_BODY_COLUMN, { id: candidate.id })) : row.body;
      const body = JSON.parse(clear) as EmailBody;
      try {
        await transport.send({ to: row.to_address, subject: row.subject, ...body });
      } catch (error) {
        const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
        await db
          .updateTable('email_outbox')
          // Given up: the body goes too (its link or code is of no use to anyone now).
          .set({ last_error: reason, ...(attempt >= MAX_DELIVERY_ATTEMPTS ? { failed_at: this.#deps.clock.now().getTime(), body: '' } : {}) })
          .where('id', '=', candidate.id)
          .execute();
        // The refusal may quote the recipient's address: the warning (stderr, logs) says why without whose.
        process.emitWarning(`e-mail ${candidate.id} attempt ${attempt} failed: ${withoutEmailAddresses(reason)}`, { code: 'KEYWAY_EMAIL_OUTBOX' });
        continue;
      }
      await db
        .updateTable('email_outbox')
        .set({ sent_at: this.#deps.clock.now().getTime(), body: '', last_error: null })
        .where('id', '=', candidate.id)
        .execute();
      delivered += 1;
    }
    return delivered;
  }

  /** Ticks every `intervalMs` until `stop` (a tick still running is not overlapped); nothing without a transport. */
  start(intervalMs: number): void {
    if (this.#deps.transport) this.#job.start(intervalMs);
  }

  /** Stops ticking and gives the lease up (if this node holds it), so another node need not wait for it to expire. */
  async stop(): Promise<void> {
    await this.#job.stop();
    await this.#deps.lease.release();
    this.#deps.transport?.close();
  }
}
