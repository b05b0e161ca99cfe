import type { Kysely } from 'kysely';

/** oidc_state as this migration sees it. */
interface OidcState {
  oidc_state: { tenant_id: string; model: string; id: string; payload: string; account_id: string | null };
}

const BATCH = 500;

/**
 * `oidc_state.account_id`: the user an artifact of the OpenID Provider belongs to (its payload's `accountId`: OP
 * sessions, grants, codes, access and refresh tokens), indexed per tenant like `client_id` and `grant_id`, so that
 * everything issued for a user can be ended at once (oidc/oidc-account-revocation.ts: a recovery that removes the
 * account's other sign-ins ends its applications' sessions too). Existing rows are backfilled from their payloads.
 */
export async function up(unknownDb: Kysely<unknown>): Promise<void> {
  const db = unknownDb as unknown as Kysely<OidcState>;
  await db.schema.alterTable('oidc_state').addColumn('account_id', 'text').execute();
  let after: { tenant_id: string; model: string; id: string } | undefined;
  for (;;) {
    let query = db.selectFrom('oidc_state').select(['tenant_id', 'model', 'id', 'payload']);
    if (after) {
      const last = after;
      query = query.where((eb) =>
        eb.or([
          eb('tenant_id', '>', last.tenant_id),
          eb.and([eb('tenant_id', '=', last.tenant_id), eb('model', '>', last.model)]),
          eb.and([eb('tenant_id', '=', last.tenant_id), eb('model', '=', last.model), eb('id', '>', last.id)]),
        ]),
      );
    }
    const rows = await query.orderBy('tenant_id').orderBy('model').orderBy('id').limit(BATCH).execute();
    for (const row of rows) {
      after = row;
      const accountId = (JSON.parse(row.payload) as { accountId?: unknown }).accountId;
      if (typeof accountId !== 'string') continue;
      await db
        .updateTable('oidc_state')
        .set({ account_id: accountId })
        .where('tenant_id', '=', row.tenant_id)
        .where('model', '=', row.model)
        .where('id', '=', row.id)
        .execute();
    }
    if (rows.length < BATCH) break;
  }
  await db.schema.createIndex('oidc_state_account_idx').on('oidc_state').columns(['tenant_id', 'account_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oidc_state_account_idx').execute();
  await db.schema.alterTable('oidc_state').dropColumn('account_id').execute();
}
