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
  /** The same as targetId (the console's name for it) */
  target?: string;
  actor?: string;
  /** ISO date-time: events at or after it */
  from?: string;
  /** ISO date-time: events at or before it */
  to?: string;
  cursor?: string;
  limit?: number;
}

/** Events per database round trip when exporting. */
const EXPORT_BATCH = 500;

/** The smallest time-ordered id of an instant (shared/time-ordered-id.ts): a time window then uses the (tenant_id, id) index. */
function firstIdAt(ms: number): string {
  return Math.max(0, ms).toString(16).padStart(12, '0') + '0000';
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

  #query(tenantId: string, filter: AuditFilter, after: string | undefined) {
    let query = this.#db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.targetType !== undefined) query = query.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
    if (filter.target !== undefined) query = query.where('target_id', '=', filter.target);
    if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
    if (filter.from !== undefined) {
      const from = Date.parse(filter.from);
      query = query.where('created_at', '>=', from).where('id', '>=', firstIdAt(from));
    }
    if (filter.to !== undefined) {
      const to = Date.parse(filter.to);
      query = query.where('created_at', '<=', to).where('id', '<', firstIdAt(to + 1));
    }
    if (after) query = query.where('id', '>', after);
    return query.orderBy('id');
  }

  async list(tenantId: string, filter: AuditFilter): Promise<Page<AuditEvent>> {
    const limit = pageSize(filter);
    return toPage(
      await this.#query(tenantId, filter, decodeCursor(filter.cursor))
        .limit(limit + 1)
        .execute(),
      limit,
      toEvent,
    );
  }

  /** Every event the filter matches, oldest first, read in batches (an export never holds the whole log in memory). */
  all(tenantId: string, filter: AuditFilter): AsyncGenerator<AuditEvent> {
    // The cursor is checked now, before an answer starts, not when the first batch is read.
    return this.#batches(tenantId, filter, decodeCursor(filter.cursor));
  }

  async *#batches(tenantId: string, filter: AuditFilter, start: string | undefined): AsyncGenerator<AuditEvent> {
    let after = start;
    for (;;) {
      const rows = await this.#query(tenantId, filter, after).limit(EXPORT_BATCH).execute();
      for (const row of rows) yield toEvent(row);
      if (rows.length < EXPORT_BATCH) return;
      after = rows.at(-1)!.id;
    }
  }
}
