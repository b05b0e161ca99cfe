import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { KeywayError, type FieldProblem } from '../../errors/keyway-error.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Schema } from '../../storage/schema.ts';
import { VersionedContentService, type ContentKindSpec } from '../forms/versioned-content.ts';
import { blockedResources } from './page-document.ts';
import { randomBytes } from '../../shared/random-bytes.ts';

export const MAX_PAGE_BYTES = 256 * 1024;
/** How long a page served to a journey step stays available when the step sets no timeout. */
export const DEFAULT_PAGE_GRANT_SECONDS = 15 * 60;

function checkPage(html: unknown): FieldProblem[] {
  if (typeof html !== 'string') return [{ field: 'html', message: 'must be a string of HTML' }];
  if (html.trim() === '') return [{ field: 'html', message: 'must not be empty' }];
  if (Buffer.byteLength(html, 'utf8') > MAX_PAGE_BYTES) return [{ field: 'html', message: `must be at most ${MAX_PAGE_BYTES} bytes` }];
  if (html.includes('\u0000')) return [{ field: 'html', message: 'must not contain NUL characters' }];
  return [];
}

export const PAGE_SPEC: ContentKindSpec<string> = {
  kind: 'page',
  noun: 'page',
  notFound: 'PAGE_NOT_FOUND',
  alreadyExists: 'PAGE_ALREADY_EXISTS',
  versionNotFound: 'PAGE_VERSION_NOT_FOUND',
  check: checkPage,
  warnings: (html) =>
    blockedResources(html).map((url) => ({
      field: 'html',
      message: `loads ${url}, which the page's Content-Security-Policy blocks (no network): inline it, or use a data: URL for images and fonts`,
    })),
  serialize: (html) => html,
  parse: (text) => text,
};

/** What a journey step gives its page: the session data and constants (TrustX Custom Page V2). */
export interface PageData {
  sessionData: Record<string, unknown>;
  constants: Record<string, unknown>;
}

export interface PageGrantInput {
  tenantId: string;
  /** The journey instance */
  sessionId: string;
  stepId: string;
  pageName: string;
  /** A published version; the highest published one when absent */
  pageVersion?: number | undefined;
  data: PageData;
  ttlSeconds?: number | undefined;
}

export interface PageGrant {
  /** Path of the page for this step, served by journeyPageRoutes */
  url: string;
  name: string;
  version: number;
  expiresAt: string;
}

export interface ServedPage {
  html: string;
  data: PageData;
}

/** Grant ids are stored as their SHA-256 only: a copy of the database does not open anyone's page. */
const grantIdHash = (grantId: string) => createHash('sha256').update(grantId).digest('base64url');

/**
 * Custom pages (admin-supplied HTML, versioned like forms) and their grants: a journey step that
 * shows a page gets an unguessable URL, valid until the step's timeout, under which the runtime
 * serves that page version with the step's session data. The grant lives in the database, so any
 * node serves it.
 */
export class PageService extends VersionedContentService<string> {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;

  constructor(deps: { db: Kysely<Schema>; clock: Clock }) {
    super(deps, PAGE_SPEC);
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  async grant(input: PageGrantInput): Promise<PageGrant> {
    const version = await this.findPublished(input.tenantId, input.pageName, input.pageVersion);
    const now = this.#clock.now().getTime();
    const expiresAt = now + (input.ttlSeconds ?? DEFAULT_PAGE_GRANT_SECONDS) * 1000;
    // 128 random bits: the URL is the capability to read this step's session data.
    const id = randomBytes(16).toString('base64url');
    await this.#db.transaction().execute(async (trx) => {
      // A step shown again (e.g. a retry loop) gets a new URL; the previous one stops working.
      await trx
        .deleteFrom('journey_page_grants')
        .where('tenant_id', '=', input.tenantId)
        .where('session_id', '=', input.sessionId)
        .where('step_id', '=', input.stepId)
        .execute();
      await trx
        .insertInto('journey_page_grants')
        .values({
          id: grantIdHash(id),
          tenant_id: input.tenantId,
          session_id: input.sessionId,
          step_id: input.stepId,
          version_id: version.id,
          data: JSON.stringify(input.data),
          expires_at: expiresAt,
          created_at: now,
        })
        .execute();
    });
    return { url: `/${input.tenantId}/journeys/pages/${id}`, name: version.name, version: version.version, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** Ends the step's grants once it is answered: the page (and its session data) is served no more. */
  async revoke(tenantId: string, sessionId: string, stepId: string): Promise<void> {
    await this.#db
      .deleteFrom('journey_page_grants')
      .where('tenant_id', '=', tenantId)
      .where('session_id', '=', sessionId)
      .where('step_id', '=', stepId)
      .execute();
  }

  /** The page and data of a live grant; anything else (unknown, another tenant's, expired) is PAGE_GRANT_NOT_FOUND. */
  async served(tenantId: string, grantId: string): Promise<ServedPage> {
    const row = await this.#db
      .selectFrom('journey_page_grants as g')
      .innerJoin('journey_content_versions as v', 'v.id', 'g.version_id')
      .select(['g.data', 'g.expires_at', 'v.body'])
      .where('g.id', '=', grantIdHash(grantId))
      .where('g.tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= this.#clock.now().getTime())
      throw new KeywayError('PAGE_GRANT_NOT_FOUND', 'This page is not (or no longer) part of a journey session');
    return { html: row.body, data: JSON.parse(row.data) as PageData };
  }
}
