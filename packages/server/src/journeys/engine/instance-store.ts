import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DeletionHook } from '../../identity/deletion-hooks.ts';
import type { JourneyInstancesTable, Schema } from '../../storage/schema.ts';
import type { JourneyDefinition } from '../definition.ts';

export type InstanceStatus = JourneyInstancesTable['status'];

/** What a client-facing step shows while it waits for a submit. */
export interface Presentation {
  data: unknown;
  options: string[];
  /** The language the step was presented in (a step a timer enters is presented in it too). */
  locale?: string;
  /** Entered by a step timeout, not by an answer of the client: a submit must name the step it answers. */
  afterTimeout?: boolean;
}

/** One journey instance as the engine sees it: everything it needs to continue on any node. */
export interface JourneyInstance {
  id: string;
  tenantId: string;
  journeyRowId: string;
  versionId: string;
  status: InstanceStatus;
  currentStep: string | null;
  presentation: Presentation | null;
  sessionHash: string | null;
  previousSessionHash: string | null;
  resultCode: string | null;
  /** The variables (the expression context) as stored: JSON text. */
  varsJson: string;
  /** API client id, or 'public'. */
  startedBy: string;
  origin: string | null;
  /** The one browser that may drive it (browser-binding.ts): its cookie secret's SHA-256; null for any holder of the session id. */
  browserBinding: string | null;
  stepDeadline: number | null;
  revision: number;
  expiresAt: number;
  updatedAt: number;
}

/** The state a request leaves an instance in (written whole, by insert or compare-and-set). */
export interface InstanceChanges {
  status: InstanceStatus;
  currentStep: string | null;
  presentation: Presentation | null;
  varsJson: string;
  userId: string | null;
  stepDeadline: number | null;
  resultCode: string | null;
  sessionHash: string | null;
  previousSessionHash: string | null;
  revision: number;
  updatedAt: number;
}

/** The published version a start runs. */
export interface PublishedJourney {
  journeyRowId: string;
  versionId: string;
  version: number;
}

/** Work that must commit with an instance's change (its audit event), or not at all. */
export type InTransaction = (trx: Transaction<Schema>) => Promise<void>;

/**
 * Everything the engine stores and reads about journey instances, and the published versions they run. The engine
 * talks to this interface only; every change is a compare-and-set on `revision`, so nodes sharing one database never
 * both advance an instance.
 */
export interface JourneyInstanceStore {
  /** The latest published version of a journey; `unpublished` when the journey exists without one. */
  findPublished(tenantId: string, journeyId: string): Promise<PublishedJourney | 'unpublished' | undefined>;
  /** A published version's definition (immutable). */
  definition(versionId: string): Promise<JourneyDefinition>;
  /** The instance whose current session token hashes to `sessionHash`. */
  findBySession(tenantId: string, sessionHash: string): Promise<JourneyInstance | undefined>;
  /** Whether `sessionHash` is a spent token of some instance (a stale submit, not an unknown one). */
  isSpentSession(tenantId: string, sessionHash: string): Promise<boolean>;
  /** waiting → running at `revision`; false when another request claimed it first. */
  claim(instance: JourneyInstance, now: number): Promise<boolean>;
  /** running → waiting again after a refused submit (bad input): the step waits for a corrected one. */
  release(instanceId: string, claimedRevision: number, now: number): Promise<void>;
  /** Stores a new instance in its first state, with `inTransaction` in the same commit. */
  insert(instance: JourneyInstance, createdAt: number, changes: InstanceChanges, inTransaction?: InTransaction): Promise<void>;
  /** Writes `changes` if the instance is still at `expectedRevision`, with `inTransaction` in the same commit; false otherwise. */
  update(instanceId: string, expectedRevision: number, changes: InstanceChanges, inTransaction?: InTransaction): Promise<boolean>;
  /** Spends the session of an instance a timer ended, once its end has been delivered; false when another request did first. */
  spendSession(instanceId: string, expectedRevision: number, now: number): Promise<boolean>;
  /** Waiting instances whose step deadline passed before `now` (of every tenant: the timer serves them all), oldest deadline first. */
  dueTimeouts(now: number, limit: number): Promise<JourneyInstance[]>;
  /** A journey's instances by id (time order) after `after`, optionally by status (for support and monitoring). */
  list(journeyRowId: string, query: { after: string | undefined; limit: number; status?: InstanceStatus | undefined }): Promise<InstanceSummary[]>;
  /** Deletes a journey's instances, inside the transaction that deletes the journey. */
  deleteAllOf(journeyRowId: string, trx: Transaction<Schema>): Promise<void>;
}

/** What an instance list shows: where each instance is, never its variables. */
export interface InstanceSummary {
  id: string;
  version: number;
  status: InstanceStatus;
  currentStep: string | null;
  resultCode: string | null;
  userId: string | null;
  startedBy: string;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

type InstanceRow = Selectable<JourneyInstancesTable>;

function toInstance(row: InstanceRow): JourneyInstance {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    journeyRowId: row.journey_row_id,
    versionId: row.version_id,
    status: row.status,
    currentStep: row.current_step,
    presentation: row.presentation === null ? null : (JSON.parse(row.presentation) as Presentation),
    sessionHash: row.session_hash,
    previousSessionHash: row.previous_session_hash,
    resultCode: row.result_code,
    varsJson: row.vars,
    startedBy: row.started_by,
    origin: row.origin,
    browserBinding: row.browser_binding,
    stepDeadline: row.step_deadline === null ? null : Number(row.step_deadline),
    revision: Number(row.revision),
    expiresAt: Number(row.expires_at),
    updatedAt: Number(row.updated_at),
  };
}

function toColumns(changes: InstanceChanges) {
  return {
    status: changes.status,
    current_step: changes.currentStep,
    presentation: changes.presentation === null ? null : JSON.stringify(changes.presentation),
    vars: changes.varsJson,
    user_id: changes.userId,
    step_deadline: changes.stepDeadline,
    result_code: changes.resultCode,
    session_hash: changes.sessionHash,
    previous_session_hash: changes.previousSessionHash,
    revision: changes.revision,
    updated_at: changes.updatedAt,
  };
}

/** The store on Keyway's database (SQLite or PostgreSQL through Kysely); every query is scoped by tenant or instance id. */
export class KyselyJourneyInstanceStore implements JourneyInstanceStore {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async findPublished(tenantId: string, journeyId: string): Promise<PublishedJourney | 'unpublished' | undefined> {
    const journey = await this.#db
      .selectFrom('journeys')
      .innerJoin('journey_versions', (join) =>
        join.onRef('journey_versions.journey_row_id', '=', 'journeys.id').onRef('journey_versions.version', '=', 'journeys.latest_version'),
      )
      .select(['journeys.id as journeyRowId', 'journey_versions.id as versionId', 'journey_versions.version as version'])
      .where('journeys.tenant_id', '=', tenantId)
      .where('journeys.journey_id', '=', journeyId)
      .executeTakeFirst();
    if (journey) return { journeyRowId: journey.journeyRowId, versionId: journey.versionId, version: Number(journey.version) };
    const exists = await this.#db.selectFrom('journeys').select('id').where('tenant_id', '=', tenantId).where('journey_id', '=', journeyId).executeTakeFirst();
    return exists ? 'unpublished' : undefined;
  }

  async definition(versionId: string): Promise<JourneyDefinition> {
    const row = await this.#db.selectFrom('journey_versions').select('definition').where('id', '=', versionId).executeTakeFirstOrThrow();
    return JSON.parse(row.definition) as JourneyDefinition;
  }

  async findBySession(tenantId: string, sessionHash: string): Promise<JourneyInstance | undefined> {
    const row = await this.#db
      .selectFrom('journey_instances')
      .selectAll()
      .where('session_hash', '=', sessionHash)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? toInstance(row) : undefined;
  }

  async isSpentSession(tenantId: string, sessionHash: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('journey_instances')
      .select('id')
      .where('previous_session_hash', '=', sessionHash)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async claim(instance: JourneyInstance, now: number): Promise<boolean> {
    const claimed = await this.#db
      .updateTable('journey_instances')
      .set({ status: 'running', revision: instance.revision + 1, updated_at: now })
      .where('id', '=', instance.id)
      .where('revision', '=', instance.revision)
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) === 1;
  }

  async release(instanceId: string, claimedRevision: number, now: number): Promise<void> {
    await this.#db
      .updateTable('journey_instances')
      .set({ status: 'waiting', revision: claimedRevision + 1, updated_at: now })
      .where('id', '=', instanceId)
      .where('revision', '=', claimedRevision)
      .execute();
  }

  async insert(instance: JourneyInstance, createdAt: number, changes: InstanceChanges, inTransaction?: InTransaction): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('journey_instances')
        .values({
          id: instance.id,
          tenant_id: instance.tenantId,
          journey_row_id: instance.journeyRowId,
          version_id: instance.versionId,
          started_by: instance.startedBy,
          origin: instance.origin,
          browser_binding: instance.browserBinding,
          expires_at: instance.expiresAt,
          created_at: createdAt,
          ...toColumns(changes),
        })
        .execute();
      await inTransaction?.(trx);
    });
  }

  async update(instanceId: string, expectedRevision: number, changes: InstanceChanges, inTransaction?: InTransaction): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('journey_instances')
        .set(toColumns(changes))
        .where('id', '=', instanceId)
        .where('revision', '=', expectedRevision)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
      await inTransaction?.(trx);
      return true;
    });
  }

  async spendSession(instanceId: string, expectedRevision: number, now: number): Promise<boolean> {
    const updated = await this.#db
      .updateTable('journey_instances')
      .set((eb) => ({ previous_session_hash: eb.ref('session_hash'), session_hash: null, revision: expectedRevision + 1, updated_at: now }))
      .where('id', '=', instanceId)
      .where('revision', '=', expectedRevision)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async dueTimeouts(now: number, limit: number): Promise<JourneyInstance[]> {
    const rows = await this.#db
      .selectFrom('journey_instances')
      .selectAll()
      .where('status', '=', 'waiting')
      .where('step_deadline', '<', now)
      .where('expires_at', '>', now)
      .orderBy('step_deadline')
      .limit(limit)
      .execute();
    return rows.map(toInstance);
  }

  async list(journeyRowId: string, query: { after: string | undefined; limit: number; status?: InstanceStatus | undefined }): Promise<InstanceSummary[]> {
    let select = this.#db
      .selectFrom('journey_instances')
      .innerJoin('journey_versions', 'journey_versions.id', 'journey_instances.version_id')
      .select([
        'journey_instances.id as id',
        'journey_versions.version as version',
        'journey_instances.status as status',
        'journey_instances.current_step as current_step',
        'journey_instances.result_code as result_code',
        'journey_instances.user_id as user_id',
        'journey_instances.started_by as started_by',
        'journey_instances.created_at as created_at',
        'journey_instances.updated_at as updated_at',
        'journey_instances.expires_at as expires_at',
      ])
      .where('journey_instances.journey_row_id', '=', journeyRowId);
    if (query.status !== undefined) select = select.where('journey_instances.status', '=', query.status);
    if (query.after) select = select.where('journey_instances.id', '>', query.after);
    const rows = await select.orderBy('journey_instances.id').limit(query.limit).execute();
    return rows.map((row) => ({
      id: row.id,
      version: Number(row.version),
      status: row.status,
      currentStep: row.current_step,
      resultCode: row.result_code,
      userId: row.user_id,
      startedBy: row.started_by,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      expiresAt: Number(row.expires_at),
    }));
  }

  async deleteAllOf(journeyRowId: string, trx: Transaction<Schema>): Promise<void> {
    await trx.deleteFrom('journey_instances').where('journey_row_id', '=', journeyRowId).execute();
  }
}

/**
 * A deleted user's instances go with them, running or ended (a deletion hook of identity, deletion-hooks.ts): their
 * variables hold what the user typed and was sent (form input, e-mail address, phone). A deleted store's users' go too.
 * An instance a request holds at that moment fails its compare-and-set, as when another request changed it. Found
 * through `journey_instances.user_id` (indexed by migration 040; no foreign key: the column follows the variables).
 */
export const journeyInstancesOfDeleted: DeletionHook = {
  async ofUser(trx, _actor, user) {
    const result = await trx.deleteFrom('journey_instances').where('tenant_id', '=', user.tenantId).where('user_id', '=', user.id).executeTakeFirst();
    return { journeyInstances: Number(result.numDeletedRows) };
  },
  async ofStore(trx, _actor, store) {
    const result = await trx
      .deleteFrom('journey_instances')
      .where('tenant_id', '=', store.tenantId)
      .where('user_id', 'in', trx.selectFrom('users').select('id').where('store_id', '=', store.id))
      .executeTakeFirst();
    return { journeyInstances: Number(result.numDeletedRows) };
  },
};
