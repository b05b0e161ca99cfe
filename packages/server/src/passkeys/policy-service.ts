import { claimEdit, type EditPrecondition } from '../storage/edit-version.ts';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import { deepFreeze, VersionedCache } from '../shared/versioned-cache.ts';
import type { PoliciesTable, Schema } from '../storage/schema.ts';
import type { StoreVersion } from './relying-party-service.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import type {
  CreateAuthenticationPolicyInput,
  CreateRegistrationPolicyInput,
  UpdateAuthenticationPolicyInput,
  UpdateRegistrationPolicyInput,
} from './passkey-config-schemas.ts';
import type { AuthenticationPolicy, AuthenticationPolicySettings, RegistrationPolicy, RegistrationPolicySettings } from './passkey-config.ts';
import {
  authenticationSettingsWithDefaults,
  checkAuthenticationSettings,
  checkRegistrationSettings,
  registrationSettingsWithDefaults,
} from './policy-rules.ts';

export interface PolicyServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  /** Resolves store names to store rows (tenant-scoped). */
  identity: Pick<IdentityService, 'findStore'>;
  /** The only directory MDS file sources may come from (KEYWAY_TRUST_DIR); none: file sources refused. */
  trustDir?: string | undefined;
}

type PolicyTable = 'registration_policies' | 'authentication_policies';
type PolicyRow = Selectable<PoliciesTable>;
/** A stored policy as the API returns it: its settings with its name and times. */
type Policy<Settings> = Settings & { name: string; createdAt: string; updatedAt: string };

/** What differs between the two kinds of policy: where they live, how they are named in audit, how settings are completed. */
interface PolicyKind<Settings> {
  table: PolicyTable;
  /** Audit action prefix and target type */
  noun: 'registrationPolicy' | 'authenticationPolicy';
  label: string;
  /** Stored settings completed with today's defaults (a field added later reads as its default). */
  read(stored: Partial<Settings>): Settings;
}

const REGISTRATION: PolicyKind<RegistrationPolicySettings> = {
  table: 'registration_policies',
  noun: 'registrationPolicy',
  label: 'registration policy',
  read: (stored) => registrationSettingsWithDefaults(stored),
};

const AUTHENTICATION: PolicyKind<AuthenticationPolicySettings> = {
  table: 'authentication_policies',
  noun: 'authenticationPolicy',
  label: 'authentication policy',
  read: (stored) => authenticationSettingsWithDefaults(stored),
};

const iso = (ms: number) => new Date(ms).toISOString();

function toPolicy<Settings>(kind: PolicyKind<Settings>, row: PolicyRow): Policy<Settings> {
  return {
    name: row.name,
    ...kind.read(JSON.parse(row.settings) as Partial<Settings>),
    createdAt: iso(Number(row.created_at)),
    updatedAt: iso(Number(row.updated_at)),
  };
}

/** Without the fields a patch sets to null (null clears an optional field). */
function withoutNulls<T extends object>(patch: T): Partial<{ [K in keyof T]: Exclude<T[K], null> }> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== null)) as Partial<{ [K in keyof T]: Exclude<T[K], null> }>;
}

/** Registration and authentication policies of an identity store. Every query is scoped by tenant and store. */
/** Policies kept in memory per node (under a kilobyte each). */
const CACHED_POLICIES = 10_000;

export class PolicyService {
  readonly #byStoreVersion = new VersionedCache<RegistrationPolicy | AuthenticationPolicy>(CACHED_POLICIES);
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #identity: Pick<IdentityService, 'findStore'>;
  readonly #trustDir: string | undefined;

  constructor(deps: PolicyServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#identity = deps.identity;
    this.#trustDir = deps.trustDir;
  }

  // ── ceremony lookups ────────────────────────────────────────────────────

  /** The registration policy `name` of the store `storeId`, or POLICY_NOT_FOUND. */
  async findRegistrationPolicy(tenantId: string, storeId: string, name: string, executor: Kysely<Schema> = this.#db): Promise<RegistrationPolicy> {
    return toPolicy(REGISTRATION, await this.#findRow(REGISTRATION, executor, tenantId, storeId, name));
  }

  /** The authentication policy `name` of the store `storeId`, or POLICY_NOT_FOUND. */
  async findAuthenticationPolicy(tenantId: string, storeId: string, name: string, executor: Kysely<Schema> = this.#db): Promise<AuthenticationPolicy> {
    return toPolicy(AUTHENTICATION, await this.#findRow(AUTHENTICATION, executor, tenantId, storeId, name));
  }

  /**
   * `findRegistrationPolicy` for a store row read or checked in this request: served from memory while the store's
   * config_version (which every change of its policies advances) is the one in the row. The object is shared: frozen.
   */
  async findRegistrationPolicyForStore(store: StoreVersion, name: string): Promise<RegistrationPolicy> {
    const policy = this.#byStoreVersion.get(`${store.id}\nregistration\n${name}`, store.config_version, async () =>
      deepFreeze(await this.findRegistrationPolicy(store.tenant_id, store.id, name)),
    );
    return policy as Promise<RegistrationPolicy>;
  }

  /** `findAuthenticationPolicy` from memory while the store's config_version is unchanged (see findRegistrationPolicyForStore). */
  async findAuthenticationPolicyForStore(store: StoreVersion, name: string): Promise<AuthenticationPolicy> {
    const policy = this.#byStoreVersion.get(`${store.id}\nauthentication\n${name}`, store.config_version, async () =>
      deepFreeze(await this.findAuthenticationPolicy(store.tenant_id, store.id, name)),
    );
    return policy as Promise<AuthenticationPolicy>;
  }

  // ── registration policies ───────────────────────────────────────────────

  async createRegistrationPolicy(actor: Actor, storeName: string, input: CreateRegistrationPolicyInput): Promise<RegistrationPolicy> {
    const { name, ...fields } = input;
    const settings = await checkRegistrationSettings(registrationSettingsWithDefaults(fields), this.#clock.now(), this.#trustDir);
    return this.#create(REGISTRATION, actor, storeName, name, settings);
  }

  async listRegistrationPolicies(tenantId: string, storeName: string, page: PageRequest): Promise<Page<RegistrationPolicy>> {
    return this.#list(REGISTRATION, tenantId, storeName, page);
  }

  async getRegistrationPolicy(tenantId: string, storeName: string, name: string): Promise<RegistrationPolicy> {
    const store = await this.#identity.findStore(tenantId, storeName);
    return this.findRegistrationPolicy(tenantId, store.id, name);
  }

  /** Replaces the top-level fields the patch names (null clears authenticatorAttachment), then validates the whole policy. */
  async updateRegistrationPolicy(
    actor: Actor,
    storeName: string,
    name: string,
    patch: UpdateRegistrationPolicyInput,
    edit?: EditPrecondition,
  ): Promise<RegistrationPolicy> {
    return this.#update(REGISTRATION, actor, storeName, name, Object.keys(patch), edit, async (current) => {
      const { name: _name, createdAt: _c, updatedAt: _u, ...settings } = current;
      const merged = { ...settings, ...withoutNulls(patch) };
      if (patch.authenticatorAttachment === null) delete merged.authenticatorAttachment;
      return checkRegistrationSettings(registrationSettingsWithDefaults(merged), this.#clock.now(), this.#trustDir);
    });
  }

  async deleteRegistrationPolicy(actor: Actor, storeName: string, name: string, edit?: EditPrecondition): Promise<void> {
    await this.#delete(REGISTRATION, actor, storeName, name, edit);
  }

  // ── authentication policies ─────────────────────────────────────────────

  async createAuthenticationPolicy(actor: Actor, storeName: string, input: CreateAuthenticationPolicyInput): Promise<AuthenticationPolicy> {
    const { name, ...fields } = input;
    const settings = checkAuthenticationSettings(authenticationSettingsWithDefaults(fields));
    return this.#create(AUTHENTICATION, actor, storeName, name, settings);
  }

  async listAuthenticationPolicies(tenantId: string, storeName: string, page: PageRequest): Promise<Page<AuthenticationPolicy>> {
    return this.#list(AUTHENTICATION, tenantId, storeName, page);
  }

  async getAuthenticationPolicy(tenantId: string, storeName: string, name: string): Promise<AuthenticationPolicy> {
    const store = await this.#identity.findStore(tenantId, storeName);
    return this.findAuthenticationPolicy(tenantId, store.id, name);
  }

  async updateAuthenticationPolicy(
    actor: Actor,
    storeName: string,
    name: string,
    patch: UpdateAuthenticationPolicyInput,
    edit?: EditPrecondition,
  ): Promise<AuthenticationPolicy> {
    return this.#update(AUTHENTICATION, actor, storeName, name, Object.keys(patch), edit, async (current) => {
      const { name: _name, createdAt: _c, updatedAt: _u, ...settings } = current;
      return checkAuthenticationSettings(authenticationSettingsWithDefaults({ ...settings, ...patch }));
    });
  }

  async deleteAuthenticationPolicy(actor: Actor, storeName: string, name: string, edit?: EditPrecondition): Promise<void> {
    await this.#delete(AUTHENTICATION, actor, storeName, name, edit);
  }

  // ── shared by both kinds ────────────────────────────────────────────────

  async #findRow<S>(kind: PolicyKind<S>, executor: Kysely<Schema>, tenantId: string, storeId: string, name: string): Promise<PolicyRow> {
    const row = await executor
      .selectFrom(kind.table)
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('store_id', '=', storeId)
      .where('name', '=', name)
      .executeTakeFirst();
    if (!row) throw new KeywayError('POLICY_NOT_FOUND', `No ${kind.label} ${name} in this store`);
    return row;
  }

  async #create<S>(kind: PolicyKind<S>, actor: Actor, storeName: string, name: string, settings: S): Promise<Policy<S>> {
    const now = this.#clock.now();
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
        const row = {
          id: newTimeOrderedId(now),
          tenant_id: actor.tenantId,
          store_id: store.id,
          name,
          settings: JSON.stringify(settings),
          created_at: now.getTime(),
          updated_at: now.getTime(),
          edit_version: 0,
        };
        await trx.insertInto(kind.table).values(row).execute();
        await appendAuditEvent(trx, actor, { action: `${kind.noun}.create`, targetType: kind.noun, targetId: name, details: { store: storeName } }, now);
        return toPolicy(kind, row);
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new KeywayError('POLICY_ALREADY_EXISTS', `name: store ${storeName} already has a ${kind.label} named ${name}`);
      throw error;
    }
  }

  async #list<S>(kind: PolicyKind<S>, tenantId: string, storeName: string, page: PageRequest): Promise<Page<Policy<S>>> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom(kind.table).selectAll().where('tenant_id', '=', tenantId).where('store_id', '=', store.id);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      (row) => toPolicy(kind, row),
    );
  }

  async #update<S>(
    kind: PolicyKind<S>,
    actor: Actor,
    storeName: string,
    name: string,
    fields: string[],
    edit: EditPrecondition | undefined,
    merge: (current: Policy<S>) => Promise<S>,
  ): Promise<Policy<S>> {
    const now = this.#clock.now();
    return this.#db.transaction().execute(async (trx) => {
      const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
      // Write first, read second: the write takes the row lock (PostgreSQL), so two concurrent
      // PATCHes merge one after the other instead of the second overwriting the first's change.
      await trx
        .updateTable(kind.table)
        .set({ updated_at: now.getTime() })
        .where('tenant_id', '=', actor.tenantId)
        .where('store_id', '=', store.id)
        .where('name', '=', name)
        .execute();
      const row = await this.#findRow(kind, trx, actor.tenantId, store.id, name);
      await claimEdit(trx, edit, kind.table, { column: 'id', value: row.id });
      const settings = await merge(toPolicy(kind, row));
      const changes = { settings: JSON.stringify(settings), updated_at: now.getTime() };
      await trx.updateTable(kind.table).set(changes).where('id', '=', row.id).execute();
      await appendAuditEvent(trx, actor, { action: `${kind.noun}.update`, targetType: kind.noun, targetId: name, details: { store: storeName, fields } }, now);
      return toPolicy(kind, { ...row, ...changes });
    });
  }

  async #delete<S>(kind: PolicyKind<S>, actor: Actor, storeName: string, name: string, edit: EditPrecondition | undefined): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
      const row = await this.#findRow(kind, trx, actor.tenantId, store.id, name);
      await claimEdit(trx, edit, kind.table, { column: 'id', value: row.id });
      await trx.deleteFrom(kind.table).where('id', '=', row.id).execute();
      await appendAuditEvent(trx, actor, { action: `${kind.noun}.delete`, targetType: kind.noun, targetId: name, details: { store: storeName } }, now);
    });
  }
}
