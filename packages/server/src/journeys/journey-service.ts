import { claimEdit, nextEditVersion, type EditPrecondition } from '../storage/edit-version.ts';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError, validationError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { JourneysTable, JourneyVersionsTable, Schema } from '../storage/schema.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import type { JourneyDefinition } from './definition.ts';
import { validateDefinition, type ValidationReport } from './definition-validation.ts';
import type { InstanceStatus, JourneyInstanceStore } from './engine/instance-store.ts';
import type { StepTypeLookup } from './step-registry.ts';
import { subJourneyProblems } from './sub-journey-check.ts';
import { assertMayPublishActs, userActsOf, type Publisher } from './user-acts.ts';

export interface Journey {
  journeyId: string;
  name: string;
  draft: unknown;
  draftUpdatedAt: string | null;
  latestVersion: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface JourneyVersionSummary {
  journeyId: string;
  version: number;
  publishedBy: string;
  publishedAt: string;
}

export interface JourneyVersion extends JourneyVersionSummary {
  definition: JourneyDefinition;
}

export interface JourneyInstanceSummary {
  instanceId: string;
  journeyId: string;
  version: number;
  status: InstanceStatus;
  currentStep: string | null;
  resultCode: string | null;
  userId: string | null;
  startedBy: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export interface JourneyServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** The step types definitions are checked against (the server's registry). */
  stepTypes: StepTypeLookup;
  instances: Pick<JourneyInstanceStore, 'list' | 'deleteAllOf'>;
}

const RESERVED_JOURNEY_IDS = ['templates', 'step-types', 'sessions'];

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

function toJourney(row: Selectable<JourneysTable>): Journey {
  return {
    journeyId: row.journey_id,
    name: row.name,
    draft: row.draft === null ? null : (JSON.parse(row.draft) as unknown),
    draftUpdatedAt: row.draft_updated_at === null ? null : iso(row.draft_updated_at),
    latestVersion: Number(row.latest_version) === 0 ? null : Number(row.latest_version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function toSummary(journeyId: string, row: Selectable<JourneyVersionsTable>): JourneyVersionSummary {
  return { journeyId, version: Number(row.version), publishedBy: row.published_by, publishedAt: iso(row.published_at) };
}

/** The report as a 400: each problem's pointer is the field, prefixed with its step id. */
export function invalidDefinitionError(report: ValidationReport): KeywayError {
  const errors = report.problems
    .filter((p) => p.severity === 'error')
    .map((p) => ({ field: p.pointer, message: `${p.stepId ? `[${p.stepId}] ` : ''}${p.code}: ${p.message}` }));
  return new KeywayError('JOURNEY_DEFINITION_INVALID', `${errors.length} problem(s); the first: ${errors[0]?.message ?? ''}`, { errors });
}

/**
 * Journey definitions: a journey has one editable draft and numbered published
 * versions. Publishing validates the draft and stores it as the next version, which is never
 * changed again; running instances keep the version they started on.
 */
export class JourneyService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #stepTypes: StepTypeLookup;
  readonly #instances: JourneyServiceDeps['instances'];

  constructor(deps: JourneyServiceDeps) {
    this.#instances = deps.instances;
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#stepTypes = deps.stepTypes;
  }

  async #row(executor: Kysely<Schema>, tenantId: string, journeyId: string): Promise<Selectable<JourneysTable>> {
    const row = await executor.selectFrom('journeys').selectAll().where('tenant_id', '=', tenantId).where('journey_id', '=', journeyId).executeTakeFirst();
    if (!row) throw new KeywayError('JOURNEY_NOT_FOUND', `No journey ${journeyId}`);
    return row;
  }

  async create(actor: Actor, input: { journeyId: string; name?: string | undefined; definition?: unknown }): Promise<Journey> {
    // These would shadow the static paths /api/journeys/templates/… and /{tenant}/journeys/sessions/….
    if (RESERVED_JOURNEY_IDS.includes(input.journeyId)) throw validationError('journeyId', `${input.journeyId} is reserved`);
    const now = this.#clock.now();
    const row: Selectable<JourneysTable> = {
      id: newTimeOrderedId(now),
      tenant_id: actor.tenantId,
      journey_id: input.journeyId,
      name: input.name ?? input.journeyId,
      draft: input.definition === undefined ? null : JSON.stringify(input.definition),
      draft_updated_at: input.definition === undefined ? null : now.getTime(),
      latest_version: 0,
      created_at: now.getTime(),
      updated_at: now.getTime(),
      edit_version: 0,
    };
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx.insertInto('journeys').values(row).execute();
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'journey.create',
            targetType: 'journey',
            targetId: input.journeyId,
            details: { name: row.name, withDraft: input.definition !== undefined },
          },
          now,
        );
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined) throw new KeywayError('JOURNEY_ALREADY_EXISTS', `journeyId: a journey ${input.journeyId} already exists`);
      throw error;
    }
    return toJourney(row);
  }

  async get(tenantId: string, journeyId: string): Promise<Journey> {
    return toJourney(await this.#row(this.#db, tenantId, journeyId));
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<Journey>> {
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('journeys').selectAll().where('tenant_id', '=', tenantId);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toJourney,
    );
  }

  /** Replaces the draft (drafts may be invalid: they are work in progress) and answers its validation report. */
  async putDraft(
    actor: Actor,
    journeyId: string,
    definition: unknown,
    name?: string,
    edit?: EditPrecondition,
  ): Promise<{ journey: Journey; validation: ValidationReport }> {
    const now = this.#clock.now();
    const journey = await this.#db.transaction().execute(async (trx) => {
      const row = await this.#row(trx, actor.tenantId, journeyId);
      await claimEdit(trx, edit, 'journeys', { column: 'id', value: row.id });
      const changes = {
        draft: JSON.stringify(definition),
        draft_updated_at: now.getTime(),
        updated_at: now.getTime(),
        ...(name === undefined ? {} : { name }),
      };
      await trx.updateTable('journeys').set(changes).where('id', '=', row.id).execute();
      await appendAuditEvent(trx, actor, { action: 'journey.draft.update', targetType: 'journey', targetId: journeyId }, now);
      return toJourney({ ...row, ...changes });
    });
    return { journey, validation: await this.#validate(this.#db, actor.tenantId, journeyId, definition) };
  }

  /** Reads a journey's latest published definition (for the checks of the journeys a definition calls). */
  #latest(executor: Kysely<Schema>, tenantId: string): (journeyId: string) => Promise<JourneyDefinition | undefined> {
    return async (id: string) => {
      const row = await executor
        .selectFrom('journeys')
        .innerJoin('journey_versions', (join) =>
          join.onRef('journey_versions.journey_row_id', '=', 'journeys.id').onRef('journey_versions.version', '=', 'journeys.latest_version'),
        )
        .select('journey_versions.definition')
        .where('journeys.tenant_id', '=', tenantId)
        .where('journeys.journey_id', '=', id)
        .executeTakeFirst();
      return row ? (JSON.parse(row.definition) as JourneyDefinition) : undefined;
    };
  }

  /** The definition's own checks, then those against the tenant's other journeys (its sub-journeys). */
  async #validate(executor: Kysely<Schema>, tenantId: string, journeyId: string, definition: unknown): Promise<ValidationReport> {
    const report = validateDefinition(definition, this.#stepTypes);
    if (!report.valid) return report;
    const problems = [...report.problems, ...(await subJourneyProblems(journeyId, definition as JourneyDefinition, this.#latest(executor, tenantId)))];
    return { valid: !problems.some((p) => p.severity === 'error'), problems };
  }

  /**
   * The publisher answers for what the definition does to users other than the journey's own (user-acts.ts): each
   * act needs the permission the same act needs through the API, checked before anything is written.
   */
  async #assertPublisherMay(executor: Kysely<Schema>, tenantId: string, publisher: Publisher, definition: JourneyDefinition, what?: string): Promise<void> {
    if (publisher.kind === 'command-line') return;
    assertMayPublishActs(publisher, await userActsOf(definition, this.#stepTypes, this.#latest(executor, tenantId)), what);
  }

  /** Validates the given definition, or the journey's draft. */
  async validate(tenantId: string, journeyId: string, definition?: unknown): Promise<ValidationReport> {
    if (definition !== undefined) {
      await this.#row(this.#db, tenantId, journeyId);
      return this.#validate(this.#db, tenantId, journeyId, definition);
    }
    const row = await this.#row(this.#db, tenantId, journeyId);
    if (row.draft === null) throw new KeywayError('JOURNEY_NO_DRAFT', `Journey ${journeyId} has no draft`);
    return this.#validate(this.#db, tenantId, journeyId, JSON.parse(row.draft));
  }

  /**
   * Publishes the draft as the next version. The version number is taken by compare-and-set on
   * the journey's latest_version (and the (journey, version) key is unique), so two concurrent
   * publishes produce two consecutive versions, never one overwritten. The publisher must hold the permissions the
   * definition's acts on users need (403 JOURNEY_PUBLISHER_NOT_PERMITTED, nothing published).
   */
  async publish(actor: Actor, journeyId: string, publisher: Publisher): Promise<JourneyVersion> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#row(trx, actor.tenantId, journeyId);
      if (row.draft === null) throw new KeywayError('JOURNEY_NO_DRAFT', `Journey ${journeyId} has no draft to publish`);
      const definition = JSON.parse(row.draft) as unknown;
      const report = await this.#validate(trx, actor.tenantId, journeyId, definition);
      if (!report.valid) throw invalidDefinitionError(report);
      await this.#assertPublisherMay(trx, actor.tenantId, publisher, definition as JourneyDefinition);
      return this.#insertVersion(trx, actor, row, definition as JourneyDefinition, now);
    });
  }

  async #insertVersion(trx: Kysely<Schema>, actor: Actor, row: Selectable<JourneysTable>, definition: JourneyDefinition, now: Date): Promise<JourneyVersion> {
    const version = Number(row.latest_version) + 1;
    const claimed = await trx
      .updateTable('journeys')
      // The journey's latest version is part of it: a copy loaded before the publish is stale.
      .set({ latest_version: version, updated_at: now.getTime(), edit_version: nextEditVersion })
      .where('id', '=', row.id)
      .where('latest_version', '=', row.latest_version)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1)
      throw new KeywayError('JOURNEY_CHANGED_CONCURRENTLY', 'Another publish of this journey happened at the same time; publish again');
    const versionRow: Selectable<JourneyVersionsTable> = {
      id: newTimeOrderedId(now),
      tenant_id: actor.tenantId,
      journey_row_id: row.id,
      version,
      definition: JSON.stringify(definition),
      published_by: actor.actor,
      published_at: now.getTime(),
    };
    await trx.insertInto('journey_versions').values(versionRow).execute();
    await appendAuditEvent(trx, actor, { action: 'journey.publish', targetType: 'journey', targetId: row.journey_id, details: { version } }, now);
    return { ...toSummary(row.journey_id, versionRow), definition };
  }

  /**
   * What installing a definition as `journeyId` needs, without writing anything: a valid definition, and a publisher
   * who may publish what it does to users (templates check every template this way before installing any).
   */
  async checkInstall(tenantId: string, journeyId: string, definition: JourneyDefinition, publisher: Publisher): Promise<void> {
    const report = validateDefinition(definition, this.#stepTypes);
    if (!report.valid) throw invalidDefinitionError(report);
    await this.#assertPublisherMay(this.#db, tenantId, publisher, definition, journeyId);
  }

  async listVersions(tenantId: string, journeyId: string, page: PageRequest): Promise<Page<JourneyVersionSummary>> {
    const row = await this.#row(this.#db, tenantId, journeyId);
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('journey_versions').selectAll().where('journey_row_id', '=', row.id);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      (v) => toSummary(journeyId, v),
    );
  }

  async getVersion(tenantId: string, journeyId: string, version: number): Promise<JourneyVersion> {
    const row = await this.#row(this.#db, tenantId, journeyId);
    const versionRow = await this.#db
      .selectFrom('journey_versions')
      .selectAll()
      .where('journey_row_id', '=', row.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!versionRow) throw new KeywayError('JOURNEY_VERSION_NOT_FOUND', `Journey ${journeyId} has no version ${version}`);
    return { ...toSummary(journeyId, versionRow), definition: JSON.parse(versionRow.definition) as JourneyDefinition };
  }

  /** A journey's instances, oldest first, optionally by status (for support and monitoring; the variables stay inside). */
  async listInstances(
    tenantId: string,
    journeyId: string,
    query: PageRequest & { status?: InstanceStatus | undefined },
  ): Promise<Page<JourneyInstanceSummary>> {
    const row = await this.#row(this.#db, tenantId, journeyId);
    const limit = pageSize(query);
    const items = await this.#instances.list(row.id, { after: decodeCursor(query.cursor), limit: limit + 1, status: query.status });
    return toPage(items, limit, (instance) => ({
      instanceId: instance.id,
      journeyId,
      version: instance.version,
      status: instance.status,
      currentStep: instance.currentStep,
      resultCode: instance.resultCode,
      userId: instance.userId,
      startedBy: instance.startedBy,
      createdAt: iso(instance.createdAt),
      updatedAt: iso(instance.updatedAt),
      expiresAt: iso(instance.expiresAt),
    }));
  }

  /** Deletes the journey, its versions and its instances (running ones end: their sessions are gone). */
  async delete(actor: Actor, journeyId: string, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#row(trx, actor.tenantId, journeyId);
      await claimEdit(trx, edit, 'journeys', { column: 'id', value: row.id });
      // Children first: SQLite enforces the foreign keys only when asked, so the order does not rely on cascades.
      await this.#instances.deleteAllOf(row.id, trx);
      await trx.deleteFrom('journey_versions').where('journey_row_id', '=', row.id).execute();
      await trx.deleteFrom('journeys').where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'journey.delete', targetType: 'journey', targetId: journeyId, details: { versions: Number(row.latest_version) } },
        now,
      );
    });
  }

  /**
   * Installs a definition as a journey's newest version (templates): creates the journey if it
   * is absent, and publishes only when the definition differs from the latest version. The
   * publisher answers for it as for a publish (checkInstall).
   */
  async installDefinition(
    actor: Actor,
    journeyId: string,
    name: string,
    definition: JourneyDefinition,
    publisher: Publisher,
  ): Promise<{ journeyId: string; version: number; status: 'created' | 'updated' | 'unchanged' }> {
    await this.checkInstall(actor.tenantId, journeyId, definition, publisher);
    const now = this.#clock.now();
    const install = () =>
      this.#db.transaction().execute(async (trx) => {
        let row = await trx.selectFrom('journeys').selectAll().where('tenant_id', '=', actor.tenantId).where('journey_id', '=', journeyId).executeTakeFirst();
        let status: 'created' | 'updated' = 'updated';
        if (!row) {
          status = 'created';
          row = {
            id: newTimeOrderedId(now),
            tenant_id: actor.tenantId,
            journey_id: journeyId,
            name,
            draft: null,
            draft_updated_at: null,
            latest_version: 0,
            created_at: now.getTime(),
            updated_at: now.getTime(),
            edit_version: 0,
          };
          await trx.insertInto('journeys').values(row).execute();
          await appendAuditEvent(trx, actor, { action: 'journey.create', targetType: 'journey', targetId: journeyId, details: { name, template: true } }, now);
        } else if (Number(row.latest_version) > 0) {
          const latest = await trx
            .selectFrom('journey_versions')
            .select(['definition', 'version'])
            .where('journey_row_id', '=', row.id)
            .where('version', '=', row.latest_version)
            .executeTakeFirstOrThrow();
          if (latest.definition === JSON.stringify(definition)) return { journeyId, version: Number(latest.version), status: 'unchanged' as const };
        }
        // Replacing the draft is an edit: a console holding the journey's old ETag must not overwrite it.
        await claimEdit(trx, undefined, 'journeys', { column: 'id', value: row.id });
        await trx
          .updateTable('journeys')
          .set({ draft: JSON.stringify(definition), draft_updated_at: now.getTime() })
          .where('id', '=', row.id)
          .execute();
        const published = await this.#insertVersion(trx, actor, row, definition, now);
        return { journeyId, version: published.version, status };
      });
    try {
      return await install();
    } catch (error) {
      // Two installs racing to create the journey: the loser finds it on the second try.
      if (uniqueViolation(error) !== undefined) return install();
      throw error;
    }
  }
}
