import { claimEdit, nextEditVersion, type EditPrecondition } from '../storage/edit-version.ts';
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import { RateLimiter, rateLimitAddress } from '../http/rate-limiter.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newSecret } from '../shared/secrets.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { ApiClientsTable, Schema } from '../storage/schema.ts';
import { isSubset, permissionString } from './permissions.ts';
import { DUMMY_SECRET_HASH, hashSecret, verifySecret } from './secret-hash.ts';
import { assertKeepsFullAdmin, assertMayActOnClient, assertMayGrant, isFullAdmin } from './target-rules.ts';

/** The authenticated caller of an /api route. */
export interface Principal {
  tenantId: string;
  /** The API client, or for a console access token the operator (it is the audit actor either way) */
  clientId: string;
  permissions: string[];
  /** Set when the token is a console operator's, bound to their browser session */
  operator?: { id: string; role: string; sessionId: string };
}

export interface ApiClient {
  clientId: string;
  tenant: string;
  name: string;
  permissions: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  secretRotatedAt: string;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface TenancyServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  accessTokenTtlSeconds: number;
  /** Token requests allowed per minute, per client address and per client id (each costs an scrypt run). */
  tokenRequestsPerMinute?: { perAddress: number; perClient: number };
}

const iso = (ms: number) => new Date(ms).toISOString();

function toApiClient(row: Selectable<ApiClientsTable>): ApiClient {
  return {
    clientId: row.id,
    tenant: row.tenant_id,
    name: row.name,
    permissions: JSON.parse(row.permissions) as string[],
    enabled: row.enabled === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    secretRotatedAt: iso(row.secret_rotated_at),
  };
}

function tokenHash(token: string): string {
  // Access tokens are 256 random bits, so a fast hash is enough to keep them out of the database.
  return createHash('sha256').update(token).digest('base64url');
}

export class TenancyService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #ttlSeconds: number;
  readonly #limiter: RateLimiter;
  readonly #tokenLimits: { perAddress: number; perClient: number };

  constructor(deps: TenancyServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#ttlSeconds = deps.accessTokenTtlSeconds;
    this.#limiter = new RateLimiter({ db: deps.db, clock: deps.clock });
    this.#tokenLimits = deps.tokenRequestsPerMinute ?? { perAddress: 60, perClient: 20 };
  }

  /** `keyway init`: the tenant (created if absent) and a new admin client holding `TNT#{tenant}#*`. */
  async initTenant(tenantId: string, name = 'admin'): Promise<{ tenant: string; clientId: string; clientSecret: string }> {
    const secret = newSecret('kws');
    const secretHash = await hashSecret(secret);
    const now = this.#clock.now();
    const clientId = `kwc_${newTimeOrderedId(now)}`;
    await this.#db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
      if (!existing) {
        await trx.insertInto('tenants').values({ id: tenantId, created_at: now.getTime() }).execute();
        await appendAuditEvent(trx, { tenantId, actor: 'cli' }, { action: 'tenant.create', targetType: 'tenant', targetId: tenantId }, now);
      }
      await this.#insertClient(trx, { tenantId, actor: 'cli' }, clientId, name, secretHash, [permissionString(tenantId, '*')], true, now);
    });
    return { tenant: tenantId, clientId, clientSecret: secret };
  }

  /**
   * `keyway quickstart`: the tenant (created if absent) and its enabled admin client called `name`
   * holding exactly `TNT#{tenant}#*`: created the first time, given a new secret on every later run
   * (a secret is stored only as a hash, so a working one can only be printed by making it anew; the
   * previous secret and its tokens stop working). Running it twice leaves one client, not two.
   */
  async resetNamedAdminClient(
    tenantId: string,
    name: string,
  ): Promise<{ tenant: string; clientId: string; clientSecret: string; tenantCreated: boolean; clientCreated: boolean }> {
    const secret = newSecret('kws');
    const secretHash = await hashSecret(secret);
    const now = this.#clock.now();
    const permissions = JSON.stringify([permissionString(tenantId, '*')]);
    const actor = { tenantId, actor: 'cli' };
    return this.#db.transaction().execute(async (trx) => {
      const tenantCreated = (await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst()) === undefined;
      if (tenantCreated) {
        await trx.insertInto('tenants').values({ id: tenantId, created_at: now.getTime() }).execute();
        await appendAuditEvent(trx, actor, { action: 'tenant.create', targetType: 'tenant', targetId: tenantId }, now);
      }
      const existing = await trx
        .selectFrom('api_clients')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('name', '=', name)
        .where('permissions', '=', permissions)
        .where('enabled', '=', 1)
        .orderBy('id')
        .executeTakeFirst();
      if (existing === undefined) {
        const clientId = `kwc_${newTimeOrderedId(now)}`;
        await this.#insertClient(trx, actor, clientId, name, secretHash, [permissionString(tenantId, '*')], true, now);
        return { tenant: tenantId, clientId, clientSecret: secret, tenantCreated, clientCreated: true };
      }
      await trx
        .updateTable('api_clients')
        .set({ secret_hash: secretHash, secret_rotated_at: now.getTime(), updated_at: now.getTime(), edit_version: nextEditVersion })
        .where('id', '=', existing.id)
        .execute();
      await trx.deleteFrom('access_tokens').where('client_id', '=', existing.id).execute();
      await appendAuditEvent(trx, actor, { action: 'apiClient.rotateSecret', targetType: 'apiClient', targetId: existing.id }, now);
      return { tenant: tenantId, clientId: existing.id, clientSecret: secret, tenantCreated, clientCreated: false };
    });
  }

  async #insertClient(
    trx: Kysely<Schema>,
    actor: Actor,
    clientId: string,
    name: string,
    secretHash: string,
    permissions: string[],
    enabled: boolean,
    now: Date,
  ): Promise<void> {
    const ms = now.getTime();
    await trx
      .insertInto('api_clients')
      .values({
        id: clientId,
        tenant_id: actor.tenantId,
        name,
        secret_hash: secretHash,
        permissions: JSON.stringify(permissions),
        enabled: enabled ? 1 : 0,
        created_at: ms,
        updated_at: ms,
        secret_rotated_at: ms,
      })
      .execute();
    await appendAuditEvent(
      trx,
      actor,
      { action: 'apiClient.create', targetType: 'apiClient', targetId: clientId, details: { name, permissions, enabled } },
      now,
    );
  }

  /**
   * Inside a client-management transaction: takes the tenant's lock, loads the target client and
   * checks that the caller covers it. The lock (a no-op update of the tenant row: a row lock on
   * PostgreSQL, the write lock on SQLite) serialises client management per tenant, so two requests
   * cannot each disable one of the last two full-admin clients.
   */
  async #lockTarget(trx: Kysely<Schema>, caller: Principal, clientId: string): Promise<Selectable<ApiClientsTable>> {
    await trx.updateTable('tenants').set({ id: caller.tenantId }).where('id', '=', caller.tenantId).execute();
    const row = await trx.selectFrom('api_clients').selectAll().where('tenant_id', '=', caller.tenantId).where('id', '=', clientId).executeTakeFirst();
    if (!row) throw new KeywayError('API_CLIENT_NOT_FOUND', `No API client ${clientId}`);
    assertMayActOnClient(caller, { clientId, permissions: JSON.parse(row.permissions) as string[] });
    return row;
  }

  /** The tenant's enabled full-admin clients other than `clientId`. */
  async #otherFullAdmins(trx: Kysely<Schema>, tenantId: string, clientId: string): Promise<number> {
    const rows = await trx
      .selectFrom('api_clients')
      .select('permissions')
      .where('tenant_id', '=', tenantId)
      .where('enabled', '=', 1)
      .where('id', '!=', clientId)
      .execute();
    return rows.filter((row) => isFullAdmin(tenantId, JSON.parse(row.permissions) as string[])).length;
  }

  async createClient(
    principal: Principal,
    actor: Actor,
    input: { name: string; permissions: string[]; enabled?: boolean },
  ): Promise<ApiClient & { clientSecret: string }> {
    assertMayGrant(principal, input.permissions);
    const secret = newSecret('kws');
    const secretHash = await hashSecret(secret);
    const now = this.#clock.now();
    const clientId = `kwc_${newTimeOrderedId(now)}`;
    await this.#db
      .transaction()
      .execute((trx) => this.#insertClient(trx, actor, clientId, input.name, secretHash, input.permissions, input.enabled ?? true, now));
    return { ...(await this.getClient(principal.tenantId, clientId)), clientSecret: secret };
  }

  async listClients(tenantId: string, page: PageRequest): Promise<Page<ApiClient>> {
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('api_clients').selectAll().where('tenant_id', '=', tenantId);
    if (after) query = query.where('id', '>', after);
    const rows = await query
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, toApiClient);
  }

  async getClient(tenantId: string, clientId: string): Promise<ApiClient> {
    const row = await this.#db.selectFrom('api_clients').selectAll().where('tenant_id', '=', tenantId).where('id', '=', clientId).executeTakeFirst();
    if (!row) throw new KeywayError('API_CLIENT_NOT_FOUND', `No API client ${clientId}`);
    return toApiClient(row);
  }

  async updateClient(
    principal: Principal,
    actor: Actor,
    clientId: string,
    patch: { name?: string; permissions?: string[]; enabled?: boolean },
    edit?: EditPrecondition,
  ): Promise<ApiClient> {
    if (patch.permissions) assertMayGrant(principal, patch.permissions);
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#lockTarget(trx, principal, clientId);
      await claimEdit(trx, edit, 'api_clients', { column: 'id', value: row.id });
      const before = { enabled: row.enabled === 1, permissions: JSON.parse(row.permissions) as string[] };
      const after = { enabled: patch.enabled ?? before.enabled, permissions: patch.permissions ?? before.permissions };
      assertKeepsFullAdmin(principal.tenantId, { before, after, otherFullAdmins: await this.#otherFullAdmins(trx, principal.tenantId, clientId) });
      await trx
        .updateTable('api_clients')
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.permissions === undefined ? {} : { permissions: JSON.stringify(patch.permissions) }),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
          updated_at: now.getTime(),
        })
        .where('tenant_id', '=', principal.tenantId)
        .where('id', '=', clientId)
        .execute();
      if (patch.enabled === false) await trx.deleteFrom('access_tokens').where('client_id', '=', clientId).execute();
      await appendAuditEvent(trx, actor, { action: 'apiClient.update', targetType: 'apiClient', targetId: clientId, details: patch }, now);
    });
    return this.getClient(principal.tenantId, clientId);
  }

  /** A new secret; the old one and every token issued with it stop working at once. */
  async rotateSecret(principal: Principal, actor: Actor, clientId: string): Promise<ApiClient & { clientSecret: string }> {
    const secret = newSecret('kws');
    const secretHash = await hashSecret(secret);
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      await this.#lockTarget(trx, principal, clientId);
      await trx
        .updateTable('api_clients')
        .set({ secret_hash: secretHash, secret_rotated_at: now.getTime(), updated_at: now.getTime(), edit_version: nextEditVersion })
        .where('tenant_id', '=', principal.tenantId)
        .where('id', '=', clientId)
        .execute();
      await trx.deleteFrom('access_tokens').where('client_id', '=', clientId).execute();
      await appendAuditEvent(trx, actor, { action: 'apiClient.rotateSecret', targetType: 'apiClient', targetId: clientId }, now);
    });
    return { ...(await this.getClient(principal.tenantId, clientId)), clientSecret: secret };
  }

  async deleteClient(principal: Principal, actor: Actor, clientId: string, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#lockTarget(trx, principal, clientId);
      await claimEdit(trx, edit, 'api_clients', { column: 'id', value: row.id });
      const before = { enabled: row.enabled === 1, permissions: JSON.parse(row.permissions) as string[] };
      assertKeepsFullAdmin(principal.tenantId, { before, after: undefined, otherFullAdmins: await this.#otherFullAdmins(trx, principal.tenantId, clientId) });
      // Tokens go with the client (ON DELETE CASCADE), so they stop working on every node at once.
      await trx.deleteFrom('api_clients').where('tenant_id', '=', principal.tenantId).where('id', '=', clientId).execute();
      await appendAuditEvent(trx, actor, { action: 'apiClient.delete', targetType: 'apiClient', targetId: clientId }, now);
    });
  }

  /** RFC 6749 §4.4 client credentials grant. */
  async issueToken(clientId: string, clientSecret: string, requestedScope: string | undefined, clientIp: string): Promise<IssuedToken> {
    // Counted before the secret is checked: each attempt costs an scrypt run, and guessing a
    // client's secret is bounded per address and per client id (RFC 6749 §10.10, §5.2 invalid_client).
    await this.#limiter.hitAll([
      { key: `oauth-token|ip|${rateLimitAddress(clientIp)}`, limit: this.#tokenLimits.perAddress, what: 'from this address' },
      { key: `oauth-token|client|${clientId}`, limit: this.#tokenLimits.perClient, what: 'for this client' },
    ]);
    const row = await this.#db.selectFrom('api_clients').selectAll().where('id', '=', clientId).executeTakeFirst();
    // Unknown clients cost the same scrypt run as known ones, so timing does not reveal which exist.
    const valid = await verifySecret(clientSecret, row?.secret_hash ?? DUMMY_SECRET_HASH);
    if (!row || !valid || row.enabled !== 1) throw new KeywayError('INVALID_CLIENT', 'Unknown client, wrong secret or disabled client');
    const granted = JSON.parse(row.permissions) as string[];
    let scope = granted;
    if (requestedScope !== undefined && requestedScope.trim() !== '') {
      const requested = [...new Set(requestedScope.trim().split(/\s+/))];
      if (!isSubset(requested, granted)) throw new KeywayError('INVALID_SCOPE', 'scope: asks for permissions this client does not hold');
      scope = requested;
    }
    const token = newSecret('kwt');
    const now = this.#clock.now().getTime();
    await this.#db.transaction().execute(async (trx) => {
      // The secret was checked outside this transaction (scrypt is slow); a rotation, a disable or a deletion that
      // committed since must not be outlived by this token (rotateSecret deletes only the tokens it can see). Taking
      // the client's row lock on the condition that it is still what was verified decides it: PostgreSQL waits for a
      // concurrent rotation and re-reads the row (0 rows: refused), and a rotation that comes after waits for this
      // commit and then deletes this token with the others. SQLite runs write transactions one at a time.
      const unchanged = await trx
        .updateTable('api_clients')
        .set({ secret_hash: row.secret_hash })
        .where('id', '=', clientId)
        .where('secret_hash', '=', row.secret_hash)
        .where('enabled', '=', 1)
        .executeTakeFirst();
      if (Number(unchanged.numUpdatedRows) !== 1) throw new KeywayError('INVALID_CLIENT', 'Unknown client, wrong secret or disabled client');
      await trx.deleteFrom('access_tokens').where('client_id', '=', clientId).where('expires_at', '<=', now).execute();
      await trx
        .insertInto('access_tokens')
        .values({
          token_hash: tokenHash(token),
          client_id: clientId,
          tenant_id: row.tenant_id,
          scope: JSON.stringify(scope),
          expires_at: now + this.#ttlSeconds * 1000,
          created_at: now,
        })
        .execute();
    });
    return { access_token: token, token_type: 'Bearer', expires_in: this.#ttlSeconds, scope: scope.join(' ') };
  }

  /**
   * The principal behind a bearer token, read from the database on every call (one indexed join),
   * so disabling, deleting or narrowing a client takes effect at once on every node.
   */
  async authenticate(token: string): Promise<Principal | undefined> {
    const row = await this.#db
      .selectFrom('access_tokens')
      .innerJoin('api_clients', 'api_clients.id', 'access_tokens.client_id')
      .select([
        'access_tokens.tenant_id',
        'access_tokens.client_id',
        'access_tokens.scope',
        'access_tokens.expires_at',
        'api_clients.enabled',
        'api_clients.permissions',
      ])
      .where('access_tokens.token_hash', '=', tokenHash(token))
      .executeTakeFirst();
    if (!row || row.enabled !== 1 || row.expires_at <= this.#clock.now().getTime()) return undefined;
    const current = JSON.parse(row.permissions) as string[];
    // A token keeps only what the client still holds: narrowing a client narrows its live tokens to the intersection of
    // the two — a scope entry still held whole, and each of the client's permissions that the scope covers (a token
    // for TNT#acme#* of a client narrowed to TNT#acme#IdentityStore:* keeps IdentityStore:*, not nothing).
    const scope = JSON.parse(row.scope) as string[];
    const permissions = [...new Set([...scope.filter((p) => isSubset([p], current)), ...current.filter((p) => isSubset([p], scope))])];
    return { tenantId: row.tenant_id, clientId: row.client_id, permissions };
  }
}
