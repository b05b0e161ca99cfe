import { claimEdit, type EditPrecondition } from '../storage/edit-version.ts';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import { deepFreeze, VersionedCache } from '../shared/versioned-cache.ts';
import type { RelyingPartiesTable, Schema, StoresTable } from '../storage/schema.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import { isAndroidOrigin, originScopeProblem, originSyntaxProblem, rpIdProblem, webOriginProblem } from './origin-rules.ts';
import type { CreateRelyingPartyInput, UpdateRelyingPartyInput } from './passkey-config-schemas.ts';
import type { AndroidApp, RelyingParty } from './passkey-config.ts';
import { problemsError } from './policy-rules.ts';

export interface RelyingPartyServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Resolves store names to store rows (tenant-scoped). */
  identity: Pick<IdentityService, 'findStore'>;
}

/** What a relying party is made of, before it is stored. */
type RelyingPartyFields = Pick<RelyingParty, 'id' | 'name' | 'origins' | 'relatedOrigins' | 'topOrigins' | 'androidApps' | 'appleAppIds'>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The columns of a store row that say which store and which version of its configuration. */
export type StoreVersion = Pick<Selectable<StoresTable>, 'id' | 'tenant_id' | 'config_version'>;

/** Relying parties kept in memory per node (a few hundred bytes each). */
const CACHED_RELYING_PARTIES = 10_000;

function toRelyingParty(row: Selectable<RelyingPartiesTable>): RelyingParty {
  return {
    id: row.rp_id,
    name: row.name,
    origins: JSON.parse(row.origins) as string[],
    relatedOrigins: JSON.parse(row.related_origins) as string[],
    topOrigins: JSON.parse(row.top_origins) as string[],
    androidApps: JSON.parse(row.android_apps) as AndroidApp[],
    appleAppIds: JSON.parse(row.apple_app_ids) as string[],
    createdAt: iso(Number(row.created_at)),
    updatedAt: iso(Number(row.updated_at)),
  };
}

function columns(rp: RelyingPartyFields) {
  return {
    name: rp.name,
    origins: JSON.stringify(rp.origins),
    related_origins: JSON.stringify(rp.relatedOrigins),
    top_origins: JSON.stringify(rp.topOrigins),
    android_apps: JSON.stringify(rp.androidApps),
    apple_app_ids: JSON.stringify(rp.appleAppIds),
  };
}

/**
 * Checks a complete relying party (on create, and after a PATCH is merged) and answers it
 * normalised. Every problem found is reported, each naming its field.
 */
function checkRelyingParty(rp: RelyingPartyFields): RelyingPartyFields {
  const idProblem = rpIdProblem(rp.id);
  // Without a valid RP ID, whether an origin is "under" it means nothing: report the RP ID alone.
  if (idProblem) throw problemsError('VALIDATION_FAILED', [{ field: 'id', message: idProblem }]);
  const problems: FieldProblem[] = [];
  for (const [index, origin] of rp.relatedOrigins.entries()) {
    const problem = isAndroidOrigin(origin) ? 'must be a web origin; list Android app origins in origins' : webOriginProblem(origin);
    if (problem) problems.push({ field: `relatedOrigins.${index}`, message: problem });
  }
  // A top origin is the page the browser shows (any site the RP chooses to be embedded in): a web
  // origin as the browser serialises it, never an app origin, and not tied to the RP ID.
  for (const [index, origin] of rp.topOrigins.entries()) {
    const problem = isAndroidOrigin(origin) ? 'must be a web origin; Android apps do not embed ceremonies in iframes' : webOriginProblem(origin);
    if (problem) problems.push({ field: `topOrigins.${index}`, message: problem });
  }
  for (const [index, origin] of rp.origins.entries()) {
    const problem = originSyntaxProblem(origin) ?? originScopeProblem(origin, rp.id, rp.relatedOrigins);
    if (problem) problems.push({ field: `origins.${index}`, message: problem });
  }
  const packages = new Set<string>();
  for (const [index, app] of rp.androidApps.entries()) {
    if (packages.has(app.packageName))
      problems.push({ field: `androidApps.${index}.packageName`, message: `${app.packageName} is listed twice; give all its fingerprints in one entry` });
    packages.add(app.packageName);
  }
  if (problems.length > 0) throw problemsError('VALIDATION_FAILED', problems);
  return {
    ...rp,
    // Digital Asset Links compares fingerprints as upper-case colon-separated hex.
    androidApps: rp.androidApps.map((app) => ({
      packageName: app.packageName,
      sha256CertFingerprints: [...new Set(app.sha256CertFingerprints.map((f) => f.toUpperCase()))],
    })),
  };
}

/** Relying parties of an identity store. Every query is scoped by tenant and store. */
export class RelyingPartyService {
  readonly #byStoreVersion = new VersionedCache<RelyingParty>(CACHED_RELYING_PARTIES);
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #identity: Pick<IdentityService, 'findStore'>;

  constructor(deps: RelyingPartyServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#identity = deps.identity;
  }

  async #findRow(executor: Kysely<Schema>, tenantId: string, storeId: string, rpId: string): Promise<Selectable<RelyingPartiesTable>> {
    const row = await executor
      .selectFrom('relying_parties')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('store_id', '=', storeId)
      .where('rp_id', '=', rpId)
      .executeTakeFirst();
    if (!row) throw new KeywayError('RELYING_PARTY_NOT_FOUND', `No relying party ${rpId} in this store`);
    return row;
  }

  /** The ceremony lookup: the relying party `rpId` of the store `storeId`, or RELYING_PARTY_NOT_FOUND. */
  async find(tenantId: string, storeId: string, rpId: string, executor: Kysely<Schema> = this.#db): Promise<RelyingParty> {
    return toRelyingParty(await this.#findRow(executor, tenantId, storeId, rpId));
  }

  /**
   * `find` for a store row read or checked in this request: served from memory while the store's config_version (which
   * every change of its relying parties advances) is the one in the row. The object is shared: frozen, never changed.
   */
  async findForStore(store: StoreVersion, rpId: string): Promise<RelyingParty> {
    return this.#byStoreVersion.get(`${store.id}\n${rpId}`, store.config_version, async () => deepFreeze(await this.find(store.tenant_id, store.id, rpId)));
  }

  /** Every relying party with this RP ID, across stores and tenants (for the well-known files served on its host). */
  /**
   * The relying parties behind an RP ID's well-known files. Only one tenant may speak for a domain:
   * merging several tenants' entries would let one tenant put its apps into another's domain files,
   * so an RP ID configured by more than one tenant serves nothing (fail closed) until one removes it.
   */
  async findAllByRpId(rpId: string): Promise<RelyingParty[]> {
    const rows = await this.#db.selectFrom('relying_parties').selectAll().where('rp_id', '=', rpId).orderBy('id').execute();
    if (new Set(rows.map((row) => row.tenant_id)).size > 1) {
      throw new KeywayError(
        'RELYING_PARTY_NOT_FOUND',
        `The relying party ${rpId} is configured by more than one tenant, so its well-known files are not served`,
      );
    }
    return rows.map(toRelyingParty);
  }

  async create(actor: Actor, storeName: string, input: CreateRelyingPartyInput): Promise<RelyingParty> {
    const rp = checkRelyingParty({
      id: input.id,
      name: input.name,
      origins: input.origins,
      relatedOrigins: input.relatedOrigins ?? [],
      topOrigins: input.topOrigins ?? [],
      androidApps: input.androidApps ?? [],
      appleAppIds: input.appleAppIds ?? [],
    });
    const now = this.#clock.now();
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
        const row = {
          id: newTimeOrderedId(now),
          tenant_id: actor.tenantId,
          store_id: store.id,
          rp_id: rp.id,
          ...columns(rp),
          created_at: now.getTime(),
          updated_at: now.getTime(),
          edit_version: 0,
        };
        await trx.insertInto('relying_parties').values(row).execute();
        await appendAuditEvent(
          trx,
          actor,
          { action: 'relyingParty.create', targetType: 'relyingParty', targetId: rp.id, details: { store: storeName, origins: rp.origins } },
          now,
        );
        return toRelyingParty(row);
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new KeywayError('RELYING_PARTY_ALREADY_EXISTS', `id: store ${storeName} already has a relying party ${rp.id}`);
      throw error;
    }
  }

  async list(tenantId: string, storeName: string, page: PageRequest): Promise<Page<RelyingParty>> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('relying_parties').selectAll().where('tenant_id', '=', tenantId).where('store_id', '=', store.id);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toRelyingParty,
    );
  }

  async get(tenantId: string, storeName: string, rpId: string): Promise<RelyingParty> {
    const store = await this.#identity.findStore(tenantId, storeName);
    return this.find(tenantId, store.id, rpId);
  }

  /**
   * The web origins of a store's relying parties: where a browser may run the store's journeys from. An unknown
   * store has none (the caller refuses the origin, and learns nothing about which stores exist).
   */
  async webOrigins(tenantId: string, storeName: string): Promise<Set<string>> {
    const rows = await this.#db
      .selectFrom('relying_parties')
      .innerJoin('stores', 'stores.id', 'relying_parties.store_id')
      .select('relying_parties.origins')
      .where('stores.tenant_id', '=', tenantId)
      .where('relying_parties.tenant_id', '=', tenantId)
      .where('stores.name', '=', storeName)
      .execute();
    return new Set(rows.flatMap((row) => JSON.parse(row.origins) as string[]).filter((origin) => /^https?:\/\//.test(origin)));
  }

  /** Replaces the fields the patch names, then validates the whole relying party again. */
  async update(actor: Actor, storeName: string, rpId: string, patch: UpdateRelyingPartyInput, edit?: EditPrecondition): Promise<RelyingParty> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
      // Write first, read second: the write takes the row lock (PostgreSQL), so two concurrent
      // PATCHes merge one after the other instead of the second overwriting the first's change.
      await trx
        .updateTable('relying_parties')
        .set({ updated_at: now.getTime() })
        .where('tenant_id', '=', actor.tenantId)
        .where('store_id', '=', store.id)
        .where('rp_id', '=', rpId)
        .execute();
      const row = await this.#findRow(trx, actor.tenantId, store.id, rpId);
      await claimEdit(trx, edit, 'relying_parties', { column: 'id', value: row.id });
      const current = toRelyingParty(row);
      const merged = checkRelyingParty({
        id: current.id,
        name: patch.name ?? current.name,
        origins: patch.origins ?? current.origins,
        relatedOrigins: patch.relatedOrigins ?? current.relatedOrigins,
        topOrigins: patch.topOrigins ?? current.topOrigins,
        androidApps: patch.androidApps ?? current.androidApps,
        appleAppIds: patch.appleAppIds ?? current.appleAppIds,
      });
      const changes = { ...columns(merged), updated_at: now.getTime() };
      await trx.updateTable('relying_parties').set(changes).where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'relyingParty.update', targetType: 'relyingParty', targetId: rpId, details: { store: storeName, fields: Object.keys(patch) } },
        now,
      );
      return toRelyingParty({ ...row, ...changes });
    });
  }

  /**
   * Removes the relying party's configuration. Passkeys registered for its RP ID stay (they are
   * the users'); they cannot be used until a relying party with that ID is configured again.
   */
  async delete(actor: Actor, storeName: string, rpId: string, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
      const row = await this.#findRow(trx, actor.tenantId, store.id, rpId);
      await claimEdit(trx, edit, 'relying_parties', { column: 'id', value: row.id });
      await trx.deleteFrom('relying_parties').where('id', '=', row.id).execute();
      await appendAuditEvent(trx, actor, { action: 'relyingParty.delete', targetType: 'relyingParty', targetId: rpId, details: { store: storeName } }, now);
    });
  }
}
