import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { Clock } from '../shared/clock.ts';
import { pageSize, type Page, type PageRequest } from '../shared/pagination.ts';
import { newSecret } from '../shared/secrets.ts';
import { TIME_ORDERED_ID_PATTERN, newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { OidcClientsTable, Schema } from '../storage/schema.ts';
import { hashSecret, verifySecret, DUMMY_SECRET_HASH } from '../tenancy/secret-hash.ts';
import { revokeIssuedToClient } from './oidc-revocation.ts';
import { DEFAULT_CLIENT_SCOPES, checkPairwiseSector, checkRedirectUri, checkScopes } from './oidc-client-rules.ts';

export type SubjectType = 'public' | 'pairwise';

/** An OpenID Connect client as the admin API shows it (never its secret, which is shown once). */
export interface OidcClient {
  clientId: string;
  name: string;
  store: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  public: boolean;
  firstParty: boolean;
  scopes: string[];
  loginJourney: string | null;
  subjectType: SubjectType;
  createdAt: string;
  updatedAt: string;
  secretRotatedAt: string | null;
}

export interface CreateOidcClientInput {
  name: string;
  store: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | undefined;
  public?: boolean | undefined;
  firstParty?: boolean | undefined;
  scopes?: string[] | undefined;
  loginJourney?: string | null | undefined;
  subjectType?: SubjectType | undefined;
}

export type UpdateOidcClientInput = Partial<Omit<CreateOidcClientInput, 'store' | 'public'>>;

/** A client with its store's name: what the provider and the login interaction need. */
export type OidcClientRow = Selectable<OidcClientsTable> & { store_name: string };

const CLIENT_ID_PREFIX = 'kwo_';

export interface OidcClientServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
}

/**
 * The tenant's OpenID Connect clients: validation, storage and audit of every change. A confidential client's secret
 * is generated here, answered once, and stored only as an scrypt hash; a public client (a SPA, a native app) has none
 * and must use PKCE.
 */
export class OidcClientService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;

  constructor(deps: OidcClientServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  async create(actor: Actor, input: CreateOidcClientInput): Promise<OidcClient & { clientSecret?: string }> {
    const now = this.#clock.now();
    const isPublic = input.public ?? false;
    const secret = isPublic ? undefined : newSecret('kwos');
    const row: Selectable<OidcClientsTable> = {
      id: `${CLIENT_ID_PREFIX}${newTimeOrderedId(now)}`,
      tenant_id: actor.tenantId,
      store_id: '',
      name: input.name,
      secret_hash: secret === undefined ? null : await hashSecret(secret),
      redirect_uris: JSON.stringify(input.redirectUris.map((uri, i) => checkRedirectUri(uri, `redirectUris[${i}]`))),
      post_logout_redirect_uris: JSON.stringify((input.postLogoutRedirectUris ?? []).map((uri, i) => checkRedirectUri(uri, `postLogoutRedirectUris[${i}]`))),
      public: isPublic ? 1 : 0,
      first_party: input.firstParty ? 1 : 0,
      scopes: JSON.stringify(checkScopes(input.scopes ?? DEFAULT_CLIENT_SCOPES)),
      login_journey: input.loginJourney ?? null,
      subject_type: input.subjectType ?? 'public',
      created_at: now.getTime(),
      updated_at: now.getTime(),
      secret_rotated_at: secret === undefined ? null : now.getTime(),
    };
    checkPairwiseSector(row.subject_type, input.redirectUris);
    await this.#db.transaction().execute(async (trx) => {
      row.store_id = (await this.#store(trx, actor.tenantId, input.store)).id;
      if (row.login_journey !== null) await this.#assertJourney(trx, actor.tenantId, row.login_journey);
      await trx.insertInto('oidc_clients').values(row).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'oidc.client.create', targetType: 'oidcClient', targetId: row.id, details: auditDetails(row, input.store) },
        now,
      );
    });
    const client = toClient({ ...row, store_name: input.store });
    return secret === undefined ? client : { ...client, clientSecret: secret };
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<OidcClient>> {
    const limit = pageSize(page);
    const after = decodeClientCursor(page.cursor);
    let query = this.#selectClients(this.#db, tenantId);
    if (after) query = query.where('oidc_clients.id', '>', after);
    const rows = await query
      .orderBy('oidc_clients.id')
      .limit(limit + 1)
      .execute();
    const more = rows.length > limit;
    const items = (more ? rows.slice(0, limit) : rows).map(toClient);
    return { items, nextCursor: more ? Buffer.from(items.at(-1)!.clientId, 'utf8').toString('base64url') : null };
  }

  async get(tenantId: string, clientId: string): Promise<OidcClient> {
    return toClient(await this.findRow(tenantId, clientId));
  }

  /** The client's row with its store name, or OIDC_CLIENT_NOT_FOUND (another tenant's client is indistinguishable from a missing one). */
  async findRow(tenantId: string, clientId: string, executor: Kysely<Schema> = this.#db): Promise<OidcClientRow> {
    const row = await this.#selectClients(executor, tenantId).where('oidc_clients.id', '=', clientId).executeTakeFirst();
    if (!row) throw new KeywayError('OIDC_CLIENT_NOT_FOUND', `No OpenID Connect client ${clientId}`);
    return row;
  }

  /** The client's row, or undefined: for the provider, which answers its own protocol errors. */
  async lookup(tenantId: string, clientId: string): Promise<OidcClientRow | undefined> {
    return this.#selectClients(this.#db, tenantId).where('oidc_clients.id', '=', clientId).executeTakeFirst();
  }

  async update(actor: Actor, clientId: string, patch: UpdateOidcClientInput): Promise<OidcClient> {
    const now = this.#clock.now();
    const set: Partial<Selectable<OidcClientsTable>> = { updated_at: now.getTime() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.redirectUris !== undefined) set.redirect_uris = JSON.stringify(patch.redirectUris.map((uri, i) => checkRedirectUri(uri, `redirectUris[${i}]`)));
    if (patch.postLogoutRedirectUris !== undefined) {
      set.post_logout_redirect_uris = JSON.stringify(patch.postLogoutRedirectUris.map((uri, i) => checkRedirectUri(uri, `postLogoutRedirectUris[${i}]`)));
    }
    if (patch.firstParty !== undefined) set.first_party = patch.firstParty ? 1 : 0;
    if (patch.scopes !== undefined) set.scopes = JSON.stringify(checkScopes(patch.scopes));
    if (patch.loginJourney !== undefined) set.login_journey = patch.loginJourney;
    if (patch.subjectType !== undefined) set.subject_type = patch.subjectType;
    await this.#db.transaction().execute(async (trx) => {
      const before = await this.findRow(actor.tenantId, clientId, trx);
      checkPairwiseSector(set.subject_type ?? before.subject_type, JSON.parse(set.redirect_uris ?? before.redirect_uris) as string[]);
      if (set.login_journey) await this.#assertJourney(trx, actor.tenantId, set.login_journey);
      await trx.updateTable('oidc_clients').set(set).where('tenant_id', '=', actor.tenantId).where('id', '=', clientId).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'oidc.client.update', targetType: 'oidcClient', targetId: clientId, details: { store: before.store_name, changed: Object.keys(patch) } },
        now,
      );
      // What the users granted the client before is no longer what the client may have: a scope taken away (its
      // refresh tokens would keep it), consent now required (its grants were given silently), or another kind of
      // subject (its tokens name users differently). So everything issued to it goes, in this transaction: its users
      // sign in again and, for a third-party client, consent again.
      const removedScopes =
        set.scopes === undefined ? [] : (JSON.parse(before.scopes) as string[]).filter((scope) => !(JSON.parse(set.scopes!) as string[]).includes(scope));
      const consentNowNeeded = before.first_party === 1 && set.first_party === 0;
      const otherSubjects = set.subject_type !== undefined && set.subject_type !== before.subject_type;
      if (removedScopes.length > 0 || consentNowNeeded || otherSubjects)
        await revokeIssuedToClient(trx, actor, clientId, { store: before.store_name, reason: 'clientNarrowed' }, now);
    });
    return this.get(actor.tenantId, clientId);
  }

  async rotateSecret(actor: Actor, clientId: string): Promise<OidcClient & { clientSecret: string }> {
    const now = this.#clock.now();
    const secret = newSecret('kwos');
    const secretHash = await hashSecret(secret);
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.findRow(actor.tenantId, clientId, trx);
      if (row.public === 1) throw new KeywayError('OIDC_CLIENT_PUBLIC', `${clientId} is a public client: it has no secret (it proves itself with PKCE)`);
      await trx
        .updateTable('oidc_clients')
        .set({ secret_hash: secretHash, secret_rotated_at: now.getTime(), updated_at: now.getTime() })
        .where('tenant_id', '=', actor.tenantId)
        .where('id', '=', clientId)
        .execute();
      await appendAuditEvent(trx, actor, { action: 'oidc.client.rotateSecret', targetType: 'oidcClient', targetId: clientId }, now);
    });
    return { ...(await this.get(actor.tenantId, clientId)), clientSecret: secret };
  }

  /** Deletes the client and everything the provider issued to it (its tokens stop working at once). */
  async delete(actor: Actor, clientId: string): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.findRow(actor.tenantId, clientId, trx);
      await trx.deleteFrom('oidc_clients').where('tenant_id', '=', actor.tenantId).where('id', '=', clientId).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'oidc.client.delete', targetType: 'oidcClient', targetId: clientId, details: { store: row.store_name } },
        now,
      );
      await revokeIssuedToClient(trx, actor, clientId, { store: row.store_name, reason: 'clientDeleted' }, now);
    });
  }

  /** Checks a confidential client's secret against its hash, spending the same time on clients without one. */
  async verifySecret(row: Pick<OidcClientRow, 'secret_hash'>, secret: string): Promise<boolean> {
    if (row.secret_hash === null) {
      await verifySecret(secret, DUMMY_SECRET_HASH);
      return false;
    }
    return verifySecret(secret, row.secret_hash);
  }

  #selectClients(executor: Kysely<Schema>, tenantId: string) {
    return executor
      .selectFrom('oidc_clients')
      .innerJoin('stores', 'stores.id', 'oidc_clients.store_id')
      .selectAll('oidc_clients')
      .select('stores.name as store_name')
      .where('oidc_clients.tenant_id', '=', tenantId);
  }

  async #store(executor: Kysely<Schema>, tenantId: string, name: string): Promise<{ id: string }> {
    const row = await executor.selectFrom('stores').select('id').where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
    if (!row) throw new KeywayError('STORE_NOT_FOUND', `store: no identity store ${name}`);
    return row;
  }

  async #assertJourney(executor: Kysely<Schema>, tenantId: string, journeyId: string): Promise<void> {
    const row = await executor.selectFrom('journeys').select('id').where('tenant_id', '=', tenantId).where('journey_id', '=', journeyId).executeTakeFirst();
    if (!row) throw new KeywayError('JOURNEY_NOT_FOUND', `loginJourney: no journey ${journeyId}`);
  }
}

function decodeClientCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!id.startsWith(CLIENT_ID_PREFIX) || !TIME_ORDERED_ID_PATTERN.test(id.slice(CLIENT_ID_PREFIX.length))) {
    throw new KeywayError('INVALID_CURSOR', 'cursor: not a cursor this API returned');
  }
  return id;
}

function auditDetails(row: Selectable<OidcClientsTable>, store: string): Record<string, unknown> {
  return {
    store,
    name: row.name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    public: row.public === 1,
    firstParty: row.first_party === 1,
    scopes: JSON.parse(row.scopes) as string[],
  };
}

function toClient(row: OidcClientRow): OidcClient {
  return {
    clientId: row.id,
    name: row.name,
    store: row.store_name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    public: row.public === 1,
    firstParty: row.first_party === 1,
    scopes: JSON.parse(row.scopes) as string[],
    loginJourney: row.login_journey,
    subjectType: row.subject_type as SubjectType,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
    secretRotatedAt: row.secret_rotated_at === null ? null : new Date(Number(row.secret_rotated_at)).toISOString(),
  };
}
