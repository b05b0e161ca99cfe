import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { KeywayError } from '../errors/keyway-error.ts';

/**
 * Optimistic concurrency for the editable resources of the admin API (RFC 9110 §8.8.3 ETag,
 * §13.1.1 If-Match). Reading one answers an ETag: a hash of its representation. A write that sends
 * If-Match with an ETag that is no longer the resource's is refused with 409 EDIT_CONFLICT (rather
 * than 412, so a console can tell the person what happened) and changes nothing; a write without
 * If-Match behaves as before. A successful write answers the resource's new ETag.
 *
 * The resources, by the path of their read (GET) route; writes to the same path (PATCH, PUT,
 * DELETE), or to a path that maps onto it, are checked against it. The identity-store paths are
 * also registered with the tenant in them; that alias is matched too.
 */
const READ_PATHS = new Set([
  '/api/identity-store/stores/:storeName',
  '/api/identity-store/stores/:storeName/users/:userId',
  '/api/identity-store/stores/:storeName/users/:userExtId/ext',
  '/api/identity-store/stores/:storeName/passkeys/relyingParties/:rpId',
  '/api/identity-store/stores/:storeName/passkeys/registrationPolicies/:policyName',
  '/api/identity-store/stores/:storeName/passkeys/authenticationPolicies/:policyName',
  '/api/identity-store/stores/:storeName/branding',
  '/api/identity-store/stores/:storeName/organizations/:organizationId',
  '/api/custom-forms/:name/versions/:version',
  '/api/custom-pages/:name/versions/:version',
  '/api/journeys/:journeyId',
  '/api/admin/clients/:clientId',
]);

/** Writes whose resource is read at another path: a journey's draft is part of the journey. */
const WRITE_TO_READ: Record<string, { read: string; path: (url: string) => string }> = {
  '/api/journeys/:journeyId/draft': { read: '/api/journeys/:journeyId', path: (url) => url.replace(/\/draft$/, '') },
};

const WRITES = new Set(['PATCH', 'PUT', 'DELETE']);

type EditConcurrency = { kind: 'read' } | { kind: 'write'; readPath: (url: string) => string };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for the editable resources' routes (edit-concurrency.ts) */
    editConcurrency?: EditConcurrency;
  }
}

function canonical(url: string): string {
  return url.replace(/^\/api\/identity-store\/:tenantId\//, '/api/identity-store/');
}

export function etagOf(representation: string): string {
  return `"${createHash('sha256').update(representation).digest('base64url').slice(0, 27)}"`;
}

/** RFC 9110 §13.1.1: a list of entity tags or `*`; weak tags compare weakly here (a hash either matches or not). */
function ifMatchAccepts(header: string, current: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === current);
}

function pathOnly(url: string): string {
  return url.split('?')[0]!;
}

/** The current ETag of a resource, read through the application itself with the caller's credentials, or the status that read answered. */
async function currentEtag(app: FastifyInstance, request: FastifyRequest, path: string): Promise<{ etag: string } | { status: number }> {
  const answer = await app.inject({
    method: 'GET',
    url: path,
    headers: request.headers.authorization === undefined ? {} : { authorization: request.headers.authorization },
  });
  return answer.statusCode === 200 ? { etag: etagOf(answer.body) } : { status: answer.statusCode };
}

/** Declares the routes (call before any route is registered) and installs the checks. */
export function installEditConcurrency(app: FastifyInstance): void {
  // The hooks go on the editable resources' own routes only: every other request (a sign-in, say) runs none of them.
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = canonical(route.url);
    const methods = [route.method].flat();
    let concurrency: EditConcurrency | undefined;
    if (methods.includes('GET') && READ_PATHS.has(url)) concurrency = { kind: 'read' };
    else if (methods.some((m) => WRITES.has(m)) && READ_PATHS.has(url)) concurrency = { kind: 'write', readPath: (path) => path };
    else if (methods.some((m) => WRITES.has(m)) && WRITE_TO_READ[url]) concurrency = { kind: 'write', readPath: WRITE_TO_READ[url].path };
    if (concurrency === undefined) return;
    route.config = { ...route.config, editConcurrency: concurrency };
    if (concurrency.kind === 'write') {
      route.config.errors = [...(route.config.errors ?? []), 'EDIT_CONFLICT'];
      route.preHandler = [...hooksOf(route.preHandler), checkIfMatch(app, concurrency)];
    }
    route.onSend = [...hooksOf(route.onSend), answerEtag(app, concurrency)];
  });
}

function hooksOf<H>(hooks: H | H[] | undefined): H[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/** A write with If-Match goes ahead only while the resource still has that ETag. */
function checkIfMatch(app: FastifyInstance, concurrency: Extract<EditConcurrency, { kind: 'write' }>) {
  return async (request: FastifyRequest) => {
    const ifMatch = request.headers['if-match'];
    if (ifMatch === undefined) return;
    const current = await currentEtag(app, request, concurrency.readPath(pathOnly(request.url)));
    if ('status' in current) {
      // A resource that is not there is left to the write itself to answer (404); one the caller may not read cannot be compared, so the write is refused.
      if (current.status === 404) return;
      throw new KeywayError('EDIT_CONFLICT', `If-Match cannot be checked: reading the resource answered ${current.status}; send the write without If-Match`);
    }
    if (!ifMatchAccepts(ifMatch, current.etag)) {
      throw new KeywayError('EDIT_CONFLICT', 'This was changed by someone else since you loaded it: load it again, then make your change again', {
        headers: { etag: current.etag },
      });
    }
  };
}

/** A read answers its representation's ETag; a successful write (but a delete) the resource's new one. */
function answerEtag(app: FastifyInstance, concurrency: EditConcurrency) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode < 200 || reply.statusCode > 299) return payload;
    if (concurrency.kind === 'read') {
      if (typeof payload === 'string') reply.header('etag', etagOf(payload));
      return payload;
    }
    if (request.method !== 'DELETE') {
      const current = await currentEtag(app, request, concurrency.readPath(pathOnly(request.url)));
      if ('etag' in current) reply.header('etag', current.etag);
    }
    return payload;
  };
}
