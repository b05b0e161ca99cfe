import type { Kysely } from 'kysely';
import type { Schema } from '../../src/storage/schema.ts';

/** The error code of the latest refused `action` in the audit log (a refused ceremony is audited with its code). */
export async function latestRefusalCode(db: Kysely<Schema>, action: string): Promise<unknown> {
  const refusal = await db
    .selectFrom('audit_events')
    .select('details')
    .where('action', '=', action)
    .where('outcome', '=', 'failure')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return (JSON.parse(refusal.details ?? '{}') as { code?: unknown }).code;
}
