import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { EditPrecondition, editEtag } from '../storage/edit-version.ts';
import type { Schema } from '../storage/schema.ts';

/**
 * Optimistic concurrency for the editable resources of the admin API (RFC 9110 §8.8.3 ETag, §13.1.1 If-Match).
 * Each editable row has an edit version (migration 027); reading the resource answers an ETag naming it. A write
 * hands the service an EditPrecondition (`editOf(request)`), and the service claims the version with a conditional
 * UPDATE in the transaction that makes the change and appends its audit event (storage/edit-version.ts): a stale
 * If-Match is refused with 409 EDIT_CONFLICT (rather than 412, so a console can tell the person what happened) and
 * changes nothing, and of two writes with the same If-Match exactly one goes ahead. A write without If-Match behaves
 * as before (and still advances the version). A successful write answers the resource's new ETag.
 *
 * The resources, by the path of their read (GET) route, with how to find the row's version; writes to the same path
 * (PATCH, PUT, DELETE), or to a path that maps onto it, take a precondition. The identity-store paths are also
 * registered with the tenant in them; that alias is matched too.
 */
type Params = Record<string, string>;
type Located = { tagId: string; version: number } | undefined;
type Locate = (db: Kysely<Schema>, tenantId: string, params: Params) => Promise<Located>;

const found = (row: { id: string; edit_version: number } | undefined): Located => row && { tagId: row.id, version: row.edit_version };

function storeRow(db: Kysely<Schema>, tenantId: string, storeName: string) {
  return db.selectFrom('stores').where('stores.tenant_id', '=', tenantId).where('stores.name', '=', storeName);
}

function storeChild(table: 'relying_parties' | 'registration_policies' | 'authentication_policies', column: 'rp_id' | 'name', param: string): Locate {
  // The three tables share id, store_id and edit_version; the names are typed as the first one's, for Kysely.
  const named = (name: string) => `${table}.${name}` as `relying_parties.${'id' | 'store_id' | 'edit_version' | 'rp_id'}`;
  return async (db, tenantId, params) =>
    found(
      await storeRow(db, tenantId, params.storeName!)
        .innerJoin(table as 'relying_parties', named('store_id'), 'stores.id')
        .select([sql.ref<string>(named('id')).as('id'), sql.ref<number>(named('edit_version')).as('edit_version')])
        .where(named(column), '=', params[param]!)
        .executeTakeFirst(),
    );
}

function contentVersion(kind: 'form' | 'page'): Locate {
  return async (db, tenantId, params) => {
    const version = Number(params.version);
    if (!Number.isSafeInteger(version)) return undefined;
    return found(
      await db
        .selectFrom('journey_content')
        .innerJoin('journey_content_versions', 'journey_content_versions.content_id', 'journey_content.id')
        .select(['journey_content_versions.id as id', 'journey_content_versions.edit_version as edit_version'])
        .where('journey_content.tenant_id', '=', tenantId)
        .where('journey_content.kind', '=', kind)
        .where('journey_content.name', '=', params.name!)
        .where('journey_content_versions.version', '=', version)
        .executeTakeFirst(),
    );
  };
}

const userBy =
  (column: 'users.id' | 'users.external_id', param: string): Locate =>
  async (db, tenantId, params) =>
    found(
      await storeRow(db, tenantId, params.storeName!)
        .innerJoin('users', 'users.store_id', 'stores.id')
        .select(['users.id as id', 'users.edit_version as edit_version'])
        .where(column, '=', params[param]!)
        .executeTakeFirst(),
    );

const RESOURCES: Record<string, Locate> = {
  '/api/identity-store/stores/:storeName': async (db, tenantId, params) =>
    found(await storeRow(db, tenantId, params.storeName!).select(['id', 'edit_version']).executeTakeFirst()),
  '/api/identity-store/stores/:storeName/users/:userId': userBy('users.id', 'userId'),
  '/api/identity-store/stores/:storeName/users/:userExtId/ext': userBy('users.external_id', 'userExtId'),
  '/api/identity-store/stores/:storeName/passkeys/relyingParties/:rpId': storeChild('relying_parties', 'rp_id', 'rpId'),
  '/api/identity-store/stores/:storeName/passkeys/registrationPolicies/:policyName': storeChild('registration_policies', 'name', 'policyName'),
  '/api/identity-store/stores/:storeName/passkeys/authenticationPolicies/:policyName': storeChild('authentication_policies', 'name', 'policyName'),
  // A store without saved branding reads as version 0 of the store's branding (the row is created at version 1).
  '/api/identity-store/stores/:storeName/branding': async (db, tenantId, params) => {
    const row = await storeRow(db, tenantId, params.storeName!)
      .leftJoin('store_branding', 'store_branding.store_id', 'stores.id')
      .select(['stores.id as id', 'store_branding.edit_version as edit_version'])
      .executeTakeFirst();
    return row && { tagId: row.id, version: row.edit_version ?? 0 };
  },
  '/api/identity-store/stores/:storeName/organizations/:organizationId': async (db, tenantId, params) =>
    found(
      await storeRow(db, tenantId, params.storeName!)
        .innerJoin('organizations', 'organizations.store_id', 'stores.id')
        .select(['organizations.id as id', 'organizations.edit_version as edit_version'])
        .where('organizations.id', '=', params.organizationId!)
        .executeTakeFirst(),
    ),
  '/api/custom-forms/:name/versions/:version': contentVersion('form'),
  '/api/custom-pages/:name/versions/:version': contentVersion('page'),
  '/api/journeys/:journeyId': async (db, tenantId, params) =>
    found(
      await db
        .selectFrom('journeys')
        .select(['id', 'edit_version'])
        .where('tenant_id', '=', tenantId)
        .where('journey_id', '=', params.journeyId!)
        .executeTakeFirst(),
    ),
  '/api/admin/clients/:clientId': async (db, tenantId, params) =>
    found(
      await db.selectFrom('api_clients').select(['id', 'edit_version']).where('tenant_id', '=', tenantId).where('id', '=', params.clientId!).executeTakeFirst(),
    ),
};

/** Writes whose resource is read at another path: a journey's draft is part of the journey. */
const WRITE_TO_READ: Record<string, string> = {
  '/api/journeys/:journeyId/draft': '/api/journeys/:journeyId',
};

const WRITES = new Set(['PATCH', 'PUT', 'DELETE']);

type EditConcurrency = { kind: 'read'; locate: Locate } | { kind: 'write' };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for the editable resources' routes (edit-concurrency.ts) */
    editConcurrency?: EditConcurrency;
  }
  interface FastifyRequest {
    /** A write's precondition (its If-Match), handed to the service; a read's ETag, found before the handler reads */
    editConcurrency?: { edit: EditPrecondition } | { etag: string | undefined };
  }
}

function canonical(url: string): string {
  return url.replace(/^\/api\/identity-store\/:tenantId\//, '/api/identity-store/');
}

/** The precondition of an editable resource's write, for its service to claim in the write's transaction. */
export function editOf(request: FastifyRequest): EditPrecondition | undefined {
  const state = request.editConcurrency;
  return state !== undefined && 'edit' in state ? state.edit : undefined;
}

/** Declares the routes (call before any route is registered) and installs the hooks. */
export function installEditConcurrency(app: FastifyInstance, db: Kysely<Schema>): void {
  // The hooks go on the editable resources' own routes only: every other request (a sign-in, say) runs none of them.
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = canonical(route.url);
    const methods = [route.method].flat();
    let concurrency: EditConcurrency | undefined;
    if (methods.includes('GET') && RESOURCES[url]) concurrency = { kind: 'read', locate: RESOURCES[url] };
    else if (methods.some((m) => WRITES.has(m)) && (RESOURCES[url] || WRITE_TO_READ[url])) concurrency = { kind: 'write' };
    if (concurrency === undefined) return;
    route.config = { ...route.config, editConcurrency: concurrency };
    if (concurrency.kind === 'write') route.config.errors = [...(route.config.errors ?? []), 'EDIT_CONFLICT'];
    route.preHandler = [...hooksOf(route.preHandler), prepare(db, concurrency)];
    route.onSend = [...hooksOf(route.onSend), answerEtag];
  });
}

function hooksOf<H>(hooks: H | H[] | undefined): H[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/**
 * A write carries its If-Match to the service. A read finds the version before the handler reads the resource: the
 * representation is then at least as new as the ETag, so a client never holds a tag newer than what it saw.
 */
function prepare(db: Kysely<Schema>, concurrency: EditConcurrency) {
  return async (request: FastifyRequest) => {
    if (concurrency.kind === 'write') {
      request.editConcurrency = { edit: new EditPrecondition(request.headers['if-match']) };
      return;
    }
    const tenantId = request.principal?.tenantId;
    const located = tenantId === undefined ? undefined : await concurrency.locate(db, tenantId, request.params as Params);
    request.editConcurrency = { etag: located && editEtag(located.tagId, located.version) };
  };
}

/** A read answers the version it found; a successful write (but a delete) the version it wrote. */
async function answerEtag(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  if (reply.statusCode < 200 || reply.statusCode > 299 || request.method === 'DELETE') return payload;
  const state = request.editConcurrency;
  const etag = state === undefined ? undefined : 'edit' in state ? state.edit.written : state.etag;
  if (etag !== undefined) reply.header('etag', etag);
  return payload;
}
