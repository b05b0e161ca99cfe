import type { Insertable, Kysely } from 'kysely';
import type { AuditEventsTable, Schema } from '../storage/schema.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import { precompiled } from '../storage/precompiled-query.ts';

/** Who did something: the API client (or `cli`, `self-service`, …) and the request it came in. */
export interface Actor {
  tenantId: string;
  actor: string;
  requestId?: string;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  outcome?: 'success' | 'failure';
  details?: Record<string, unknown>;
}

/**
 * Appends one event. Call it with the transaction that makes the change, so the change and its
 * audit record commit (or roll back) together.
 */
export async function appendAuditEvent(trx: Kysely<Schema>, actor: Actor, entry: AuditEntry, now: Date): Promise<void> {
  await insertAuditEvent.execute(trx, {
    id: newTimeOrderedId(now),
    tenant_id: actor.tenantId,
    actor: actor.actor,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId ?? null,
    outcome: entry.outcome ?? 'success',
    details: entry.details === undefined ? null : JSON.stringify(entry.details),
    request_id: actor.requestId ?? null,
    created_at: now.getTime(),
  });
}

// Every audited request appends an event or two: the statement is built once.
const insertAuditEvent = precompiled((db, event: Insertable<AuditEventsTable>) => db.insertInto('audit_events').values(event));
