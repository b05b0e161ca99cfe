import type { Kysely, Selectable } from 'kysely';
import { decodeCursor, pageSize, toPage, type Page } from '../shared/pagination.ts';
import type { AuditEventsTable, Schema } from '../storage/schema.ts';

export interface AuditEvent {
  id: string;
  tenant: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: string;
  details: Record<string, unknown> | null;
  requestId: string | null;
  time: string;
}

export interface AuditFilter {
  action?: string;
  targetType?: string;
  targetId?: string;
  actor?: string;
  cursor?: string;
  limit?: number;
}

function toEvent(row: Selectable<AuditEventsTable>): AuditEvent {
  return {
    id: row.id,
    tenant: row.tenant_id,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    requestId: row.request_id,
    time: new Date(row.created_at).toISOString(),
  };
}

/** Reads the append-only audit log, oldest first, keyset-paginated on the (tenant, id) index. */
export class AuditService {
  readonly #db: Kysely<Schema>;
  constructor({ db }: { db: Kysely<Schema> }) {
    this.#db = db;
  }

  async list(tenantId: string, filter: AuditFilter): Promise<Page<AuditEvent>> {
    const limit = pageSize(filter);
    const after = decodeCursor(filter.cursor);
    let query = this.#db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.targetType !== undefined) query = query.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toEvent,
    );
  }
}
