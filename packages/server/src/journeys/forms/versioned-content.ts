import { claimEdit, nextEditVersion, type EditPrecondition } from '../../storage/edit-version.ts';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../../audit/audit-log.ts';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { KeywayError, type FieldProblem } from '../../errors/keyway-error.ts';
import type { Clock } from '../../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../../shared/pagination.ts';
import { newTimeOrderedId } from '../../shared/time-ordered-id.ts';
import type { JourneyContentTable, JourneyContentVersionsTable, Schema } from '../../storage/schema.ts';
import { uniqueViolation } from '../../storage/unique-violation.ts';

/**
 * Named, versioned journey content of a tenant — custom forms and custom pages share the life
 * cycle: create (version 1, a draft), add a version (the next number, a draft), edit a draft,
 * validate, publish. A published version never changes, so a running journey that uses it keeps
 * seeing exactly what it started with; journeys only use published versions.
 */

export type ContentKind = 'form' | 'page';
export type VersionStatus = 'draft' | 'published';

export interface ContentSummary {
  name: string;
  description?: string;
  latestVersion: number;
  /** The highest published version, null while nothing is published */
  latestPublishedVersion: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContentVersionSummary {
  name: string;
  version: number;
  status: VersionStatus;
  createdAt: string;
  updatedAt: string;
  publishedAt?: string;
}

export interface ContentVersion<Body> extends ContentVersionSummary {
  body: Body;
}

export interface ValidationReport {
  valid: boolean;
  errors: FieldProblem[];
  /** Things that work but are probably not meant (e.g. a page that loads a blocked script) */
  warnings: FieldProblem[];
}

/** What differs between forms and pages: the error codes, the audit names and the body's codec and checks. */
export interface ContentKindSpec<Body> {
  kind: ContentKind;
  /** 'form' / 'page', for audit actions (`journey.form.create`) and messages */
  noun: string;
  notFound: ErrorCode;
  alreadyExists: ErrorCode;
  versionNotFound: ErrorCode;
  /** Problems that make the body unusable (field paths start with the body's name, e.g. `form.components.0.id`) */
  check(body: unknown): FieldProblem[];
  warnings?(body: Body): FieldProblem[];
  serialize(body: Body): string;
  parse(text: string): Body;
}

export interface VersionedContentDeps {
  db: Kysely<Schema>;
  clock: Clock;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();
const CAS_ATTEMPTS = 5;

function toVersionSummary(name: string, row: Selectable<JourneyContentVersionsTable>): ContentVersionSummary {
  return {
    name,
    version: Number(row.version),
    status: row.status,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    ...(row.published_at === null ? {} : { publishedAt: iso(row.published_at) }),
  };
}

const PUBLISHED_CACHE_SIZE = 1000;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export class VersionedContentService<Body> {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #spec: ContentKindSpec<Body>;
  /**
   * Published versions never change (there is no write path to them), so a journey's pinned version is
   * read and parsed once per process rather than at every present and submit. Keyed by tenant, name and
   * version; bounded, oldest dropped first. "The latest published" is always read from the database.
   */
  readonly #publishedCache = new Map<string, ContentVersion<Body> & { id: string }>();

  constructor(deps: VersionedContentDeps, spec: ContentKindSpec<Body>) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#spec = spec;
  }

  /** Checks a body without storing anything. */
  validate(body: unknown): ValidationReport {
    const errors = this.#spec.check(body);
    const warnings = errors.length === 0 && this.#spec.warnings ? this.#spec.warnings(body as Body) : [];
    return { valid: errors.length === 0, errors, warnings };
  }

  #assertValid(body: unknown): Body {
    const errors = this.#spec.check(body);
    if (errors.length > 0) throw new KeywayError('VALIDATION_FAILED', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
    return body as Body;
  }

  async create(actor: Actor, input: { name: string; description?: string | undefined; body: unknown }): Promise<ContentVersion<Body>> {
    const body = this.#assertValid(input.body);
    const at = this.#clock.now();
    const now = at.getTime();
    const contentId = newTimeOrderedId(at);
    const version = {
      id: newTimeOrderedId(at),
      content_id: contentId,
      tenant_id: actor.tenantId,
      version: 1,
      status: 'draft' as const,
      body: this.#spec.serialize(body),
      created_at: now,
      updated_at: now,
      published_at: null,
      edit_version: 0,
    };
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx
          .insertInto('journey_content')
          .values({
            id: contentId,
            tenant_id: actor.tenantId,
            kind: this.#spec.kind,
            name: input.name,
            description: input.description ?? null,
            latest_version: 1,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await trx.insertInto('journey_content_versions').values(version).execute();
        await appendAuditEvent(
          trx,
          actor,
          { action: `journey.${this.#spec.noun}.create`, targetType: this.#spec.noun, targetId: input.name, details: { version: 1 } },
          at,
        );
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new KeywayError(this.#spec.alreadyExists, `name: a ${this.#spec.noun} named ${input.name} already exists`);
      throw error;
    }
    return { ...toVersionSummary(input.name, version), body };
  }

  /** Adds the next version as a draft. Two concurrent calls get two different numbers (compare-and-set on latest_version). */
  async addVersion(actor: Actor, name: string, input: { body: unknown }): Promise<ContentVersion<Body>> {
    const body = this.#assertValid(input.body);
    for (let attempt = 1; ; attempt++) {
      const now = this.#clock.now();
      const created = await this.#db.transaction().execute(async (trx) => {
        const content = await this.#findContent(trx, actor.tenantId, name);
        const next = Number(content.latest_version) + 1;
        const moved = await trx
          .updateTable('journey_content')
          .set({ latest_version: next, updated_at: now.getTime() })
          .where('id', '=', content.id)
          .where('latest_version', '=', content.latest_version)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return undefined;
        const row = {
          id: newTimeOrderedId(now),
          content_id: content.id,
          tenant_id: actor.tenantId,
          version: next,
          status: 'draft' as const,
          body: this.#spec.serialize(body),
          created_at: now.getTime(),
          updated_at: now.getTime(),
          published_at: null,
          edit_version: 0,
        };
        await trx.insertInto('journey_content_versions').values(row).execute();
        await appendAuditEvent(
          trx,
          actor,
          { action: `journey.${this.#spec.noun}.version.create`, targetType: this.#spec.noun, targetId: name, details: { version: next } },
          now,
        );
        return row;
      });
      if (created) return { ...toVersionSummary(name, created), body };
      if (attempt >= CAS_ATTEMPTS) throw new Error(`could not add a version to ${this.#spec.noun} ${name}: too much contention`);
    }
  }

  /** Replaces the body of a draft; a published version is immutable (CONTENT_VERSION_PUBLISHED). */
  async updateDraft(actor: Actor, name: string, version: number, input: { body: unknown }, edit?: EditPrecondition): Promise<ContentVersion<Body>> {
    const body = this.#assertValid(input.body);
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const content = await this.#findContent(trx, actor.tenantId, name);
      const row = await this.#findVersion(trx, content, version);
      if (row.status === 'published')
        throw new KeywayError('CONTENT_VERSION_PUBLISHED', `${this.#spec.noun} ${name} version ${version} is published and cannot change; add a new version`);
      await claimEdit(trx, edit, 'journey_content_versions', { column: 'id', value: row.id });
      // Only a draft is updated: a publish that commits first makes this update match nothing.
      const updated = await trx
        .updateTable('journey_content_versions')
        .set({ body: this.#spec.serialize(body), updated_at: now.getTime() })
        .where('id', '=', row.id)
        .where('status', '=', 'draft')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1)
        throw new KeywayError('CONTENT_VERSION_PUBLISHED', `${this.#spec.noun} ${name} version ${version} was published meanwhile`);
      await trx.updateTable('journey_content').set({ updated_at: now.getTime() }).where('id', '=', content.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: `journey.${this.#spec.noun}.version.update`, targetType: this.#spec.noun, targetId: name, details: { version } },
        now,
      );
      return { ...toVersionSummary(name, { ...row, updated_at: now.getTime() }), body };
    });
  }

  /** Publishes a draft (checked again, in case the rules grew since it was saved). Publishing a published version changes nothing. */
  async publish(actor: Actor, name: string, version: number): Promise<ContentVersion<Body>> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const content = await this.#findContent(trx, actor.tenantId, name);
      const row = await this.#findVersion(trx, content, version);
      const body = this.#assertValid(this.#spec.parse(row.body));
      if (row.status === 'published') return { ...toVersionSummary(name, row), body };
      const updated = await trx
        .updateTable('journey_content_versions')
        .set({ status: 'published', published_at: now.getTime(), updated_at: now.getTime(), edit_version: nextEditVersion })
        .where('id', '=', row.id)
        .where('status', '=', 'draft')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) {
        await trx.updateTable('journey_content').set({ updated_at: now.getTime() }).where('id', '=', content.id).execute();
        await appendAuditEvent(
          trx,
          actor,
          { action: `journey.${this.#spec.noun}.publish`, targetType: this.#spec.noun, targetId: name, details: { version } },
          now,
        );
      }
      return { ...toVersionSummary(name, { ...row, status: 'published', published_at: now.getTime(), updated_at: now.getTime() }), body };
    });
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<ContentSummary>> {
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('journey_content').selectAll().where('tenant_id', '=', tenantId).where('kind', '=', this.#spec.kind);
    if (after) query = query.where('id', '>', after);
    const rows = await query
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const published = await this.#latestPublished(rows.map((r) => r.id));
    return toPage(rows, limit, (row) => this.#toSummary(row, published.get(row.id) ?? null));
  }

  async get(tenantId: string, name: string): Promise<ContentSummary> {
    const row = await this.#findContent(this.#db, tenantId, name);
    return this.#toSummary(row, (await this.#latestPublished([row.id])).get(row.id) ?? null);
  }

  async listVersions(tenantId: string, name: string, page: PageRequest): Promise<Page<ContentVersionSummary>> {
    const content = await this.#findContent(this.#db, tenantId, name);
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('journey_content_versions').selectAll().where('content_id', '=', content.id);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      (row) => toVersionSummary(name, row),
    );
  }

  async getVersion(tenantId: string, name: string, version: number): Promise<ContentVersion<Body>> {
    const content = await this.#findContent(this.#db, tenantId, name);
    const row = await this.#findVersion(this.#db, content, version);
    return { ...toVersionSummary(name, row), body: this.#spec.parse(row.body) };
  }

  /**
   * For the journey runtime: a published version (the given one, or the highest published one).
   * A draft is refused with CONTENT_VERSION_NOT_PUBLISHED: journeys never show unpublished content.
   */
  async findPublished(tenantId: string, name: string, version?: number): Promise<ContentVersion<Body> & { id: string }> {
    const cacheKey = version === undefined ? undefined : `${tenantId}\0${name}\0${version}`;
    const cached = cacheKey === undefined ? undefined : this.#publishedCache.get(cacheKey);
    if (cached) return cached;
    const content = await this.#findContent(this.#db, tenantId, name);
    let row: Selectable<JourneyContentVersionsTable> | undefined;
    if (version !== undefined) {
      row = await this.#findVersion(this.#db, content, version);
      if (row.status !== 'published')
        throw new KeywayError('CONTENT_VERSION_NOT_PUBLISHED', `${this.#spec.noun} ${name} version ${version} is a draft; publish it first`);
    } else {
      row = await this.#db
        .selectFrom('journey_content_versions')
        .selectAll()
        .where('content_id', '=', content.id)
        .where('status', '=', 'published')
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!row) throw new KeywayError('CONTENT_VERSION_NOT_PUBLISHED', `${this.#spec.noun} ${name} has no published version`);
    }
    const found = { id: row.id, ...toVersionSummary(name, row), body: this.#spec.parse(row.body) };
    if (cacheKey !== undefined) {
      if (this.#publishedCache.size >= PUBLISHED_CACHE_SIZE) this.#publishedCache.delete(this.#publishedCache.keys().next().value!);
      this.#publishedCache.set(cacheKey, deepFreeze(found)); // shared by every request: nobody may change it
    }
    return found;
  }

  async #findContent(executor: Kysely<Schema>, tenantId: string, name: string): Promise<Selectable<JourneyContentTable>> {
    const row = await executor
      .selectFrom('journey_content')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', this.#spec.kind)
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw new KeywayError(this.#spec.notFound, `No ${this.#spec.noun} ${name}`);
    return row;
  }

  async #findVersion(executor: Kysely<Schema>, content: Selectable<JourneyContentTable>, version: number): Promise<Selectable<JourneyContentVersionsTable>> {
    const row = await executor
      .selectFrom('journey_content_versions')
      .selectAll()
      .where('content_id', '=', content.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) throw new KeywayError(this.#spec.versionNotFound, `${this.#spec.noun} ${content.name} has no version ${version}`);
    return row;
  }

  /** The highest published version of each content id, in one query (no N+1). */
  async #latestPublished(contentIds: string[]): Promise<Map<string, number>> {
    if (contentIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom('journey_content_versions')
      .select((eb) => ['content_id', eb.fn.max('version').as('version')])
      .where('content_id', 'in', contentIds)
      .where('status', '=', 'published')
      .groupBy('content_id')
      .execute();
    return new Map(rows.map((r) => [r.content_id, Number(r.version)]));
  }

  #toSummary(row: Selectable<JourneyContentTable>, latestPublished: number | null): ContentSummary {
    return {
      name: row.name,
      ...(row.description === null ? {} : { description: row.description }),
      latestVersion: Number(row.latest_version),
      latestPublishedVersion: latestPublished,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  }
}
