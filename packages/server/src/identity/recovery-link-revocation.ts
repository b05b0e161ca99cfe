// Revoking a user's outstanding recovery links (selfservice_recovery_links): something identity does too, when a
// user's e-mail address changes or they are locked or disabled (identity-service.ts), so it lives below self-service,
// which issues and spends the links (selfservice/recovery-links.ts).
import type { Kysely } from 'kysely';
import type { Schema } from '../storage/schema.ts';

/**
 * Revokes a user's outstanding links (unspent and unexpired: expired ones are refused anyway) by marking them spent,
 * so they answer RECOVERY_LINK_USED; `createdBy` narrows it to one kind (the e-mailed ones). Answers how many.
 */
export async function revokeRecoveryLinks(trx: Kysely<Schema>, userId: string, now: Date, createdBy?: string): Promise<number> {
  let query = trx
    .updateTable('selfservice_recovery_links')
    .set({ consumed_at: now.getTime() })
    .where('user_id', '=', userId)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>=', now.getTime());
  if (createdBy !== undefined) query = query.where('created_by', '=', createdBy);
  return Number((await query.executeTakeFirst()).numUpdatedRows);
}
