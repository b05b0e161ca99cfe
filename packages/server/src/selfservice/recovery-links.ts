import type { Kysely, Selectable } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { Schema, SelfServiceRecoveryLinksTable } from '../storage/schema.ts';
import { hashBrowserToken, isBrowserToken, newBrowserToken } from './browser-tokens.ts';

/**
 * Recovery links: one-time, expiring links to the hosted recovery page, where the holder registers a new passkey for
 * the link's user. A row per link, found by the hash of its token (browser-tokens.ts). A link is spent by setting
 * `consumed_at`: by its own use, and by whatever makes the user's other outstanding links untrustworthy
 * (`revokeRecoveryLinks`, identity/recovery-link-revocation.ts): a completed recovery, a newer e-mailed link, a change of the address, a lock, an admin.
 * A revoked link answers as a used one (RECOVERY_LINK_USED: the page says it no longer works; ask for a new one).
 */

export type RecoveryLinkRow = Selectable<SelfServiceRecoveryLinksTable>;

/** `created_by` of the links the lost-passkey e-mail carries (admin-issued links name the API client). */
export const EMAILED_LINK_CREATOR = 'self-service:email';

/** A new recovery link (not stored yet): its id, URL with the one-time token, expiry, and the insert that stores it. */
export function newRecoveryLink(input: { publicUrl: string; tenantId: string; storeName: string; now: Date; ttlSeconds: number }) {
  const token = newBrowserToken();
  const id = newTimeOrderedId(input.now);
  const expiresAt = input.now.getTime() + input.ttlSeconds * 1000;
  const url = `${input.publicUrl}/${encodeURIComponent(input.tenantId)}/identity/${encodeURIComponent(input.storeName)}/recover#${token}`;
  return {
    id,
    url,
    expiresAt,
    insert: async (trx: Kysely<Schema>, owner: { storeId: string; userId: string; createdBy: string }) => {
      await trx
        .insertInto('selfservice_recovery_links')
        .values({
          id,
          token_hash: hashBrowserToken(token),
          tenant_id: input.tenantId,
          store_id: owner.storeId,
          user_id: owner.userId,
          created_by: owner.createdBy,
          expires_at: expiresAt,
          consumed_at: null,
          created_at: input.now.getTime(),
        })
        .execute();
    },
  };
}

/**
 * The link of a token in one store, if it can still be used: unknown → 404 RECOVERY_LINK_NOT_FOUND, used or
 * revoked → 410 RECOVERY_LINK_USED, past its expiry →
 * 410 RECOVERY_LINK_EXPIRED (at `expires_at` exactly it still works).
 */
export async function findUsableRecoveryLink(db: Kysely<Schema>, storeId: string, token: string, now: Date): Promise<RecoveryLinkRow> {
  const link = isBrowserToken(token)
    ? await db
        .selectFrom('selfservice_recovery_links')
        .selectAll()
        .where('token_hash', '=', hashBrowserToken(token))
        .where('store_id', '=', storeId)
        .executeTakeFirst()
    : undefined;
  if (!link) throw new KeywayError('RECOVERY_LINK_NOT_FOUND', 'This recovery link is not valid; ask for a new one');
  if (link.consumed_at !== null)
    throw new KeywayError('RECOVERY_LINK_USED', 'This recovery link was already used or has been revoked (e.g. replaced by a newer one); ask for a new one');
  if (now.getTime() > Number(link.expires_at)) throw new KeywayError('RECOVERY_LINK_EXPIRED', 'This recovery link has expired; ask for a new one');
  return link;
}

/** Spends one link by compare-and-set; answers whether this call spent it (false: already spent, or expired). */
export async function consumeRecoveryLink(trx: Kysely<Schema>, linkId: string, now: Date): Promise<boolean> {
  const consumed = await trx
    .updateTable('selfservice_recovery_links')
    .set({ consumed_at: now.getTime() })
    .where('id', '=', linkId)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>=', now.getTime())
    .executeTakeFirst();
  return Number(consumed.numUpdatedRows) === 1;
}

/** How many e-mailed links the user was sent since `since` (spent or not: each was an e-mail). */
export async function countEmailedLinksSince(db: Kysely<Schema>, userId: string, since: number): Promise<number> {
  const row = await db
    .selectFrom('selfservice_recovery_links')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('created_by', '=', EMAILED_LINK_CREATOR)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
