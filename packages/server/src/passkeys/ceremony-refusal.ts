import type { Kysely } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Schema } from '../storage/schema.ts';
import { relaxCommit } from '../storage/relaxed-commit.ts';
import { inSmallTransaction } from '../storage/small-transaction.ts';

/**
 * Records a refused completion of a passkey ceremony in the audit log: the action the success would
 * have been (`passkey.authenticate`, `passkey.register`) with outcome `failure` and the error code,
 * so refusals can be counted by code. Its own small transaction with a relaxed commit: a refusal
 * changes nothing else, and a flood of bad responses must not cost a disk flush each. Recording
 * must never hide the refusal itself, so a failure to record is dropped.
 */
export async function recordRefusal(
  db: Kysely<Schema>,
  actor: Actor,
  refusal: { action: 'passkey.authenticate' | 'passkey.register'; error: unknown; storeName: string; sessionId: string },
  now: Date,
): Promise<void> {
  if (!(refusal.error instanceof KeywayError)) return;
  const code = refusal.error.code;
  try {
    await inSmallTransaction(db, async (trx) => {
      await relaxCommit(trx);
      await appendAuditEvent(
        trx,
        actor,
        { action: refusal.action, targetType: 'ceremony', targetId: refusal.sessionId, outcome: 'failure', details: { code, store: refusal.storeName } },
        now,
      );
    });
  } catch {
    // The caller answers the refusal either way.
  }
}

/** Runs a ceremony's completion; a coded refusal is recorded before it is answered. */
export async function recordingRefusals<T>(
  db: Kysely<Schema>,
  actor: Actor,
  refusal: { action: 'passkey.authenticate' | 'passkey.register'; storeName: string; sessionId: string; now: Date },
  complete: () => Promise<T>,
): Promise<T> {
  try {
    return await complete();
  } catch (error) {
    await recordRefusal(db, actor, { ...refusal, error }, refusal.now);
    throw error;
  }
}
