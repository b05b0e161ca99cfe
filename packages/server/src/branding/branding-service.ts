import { claimEdit, created, type EditPrecondition } from '../storage/edit-version.ts';
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { LANGUAGES, type Language } from '../../../hosted/src/messages.ts';
import { themeCss, type ColorScheme, type Palette } from '../../../hosted/src/theme.ts';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import { LruCache } from '../shared/lru-cache.ts';
import type { Schema, StoresTable } from '../storage/schema.ts';
import { checkBranding, resolvePalettes, type BrandingSettings } from './branding-rules.ts';
import type { BrandingInput } from './branding-schemas.ts';
import { checkLogo, type Logo } from './logo-rules.ts';

/**
 * A store's look, ready to use: what the hosted pages, the journey runner and e-mails show. Every value
 * is resolved (Keyway's defaults where the store sets nothing) and safe to render. For an e-mail: the
 * light palette (mail clients rarely honour dark mode), and a `data:` logo sent as an inline attachment,
 * since many clients block `data:` images.
 */
export interface Branding {
  /** The store's product name, else its display name, else its name. */
  productName: string;
  logo: Logo | undefined;
  palettes: Record<ColorScheme, Palette>;
  /** The languages offered, in order, and the one used when the browser asks for none of them. */
  languages: { offered: readonly Language[]; default: Language };
  /** Custom properties over keyway.css for a `<style>` element; empty for Keyway's colours. */
  themeCss: string;
  /** The CSP `style-src` source that allows exactly that element (`'sha256-…'`); undefined when there is none. */
  styleSource: string | undefined;
}

/** The admin API's view: the settings as stored and what the pages make of them. */
export interface BrandingView extends BrandingSettings {
  effective: { productName: string; light: Palette; dark: Palette; languages: { offered: Language[]; default: Language } };
  updatedAt: string | null;
}

export interface BrandingServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  identity: Pick<IdentityService, 'findStore'>;
  /** How long a node serves a store's branding from memory before reading it again (another node's change shows after at most this). */
  cacheTtlMs?: number;
  cacheEntries?: number;
}

export const DEFAULT_BRANDING_CACHE_TTL_MS = 30_000;

export type StoreRef = Pick<Selectable<StoresTable>, 'id' | 'tenant_id' | 'name' | 'display_name'>;

/** Everything of a Branding that does not depend on the store's own names. */
type Look = Omit<Branding, 'productName'> & { productName: string | undefined };

function lookOf(settings: BrandingSettings): Look {
  const { palettes } = resolvePalettes(settings);
  const css = themeCss(palettes);
  return {
    productName: settings.productName,
    logo: settings.logo === undefined ? undefined : checkLogo(settings.logo),
    palettes,
    languages: settings.languages ?? { offered: LANGUAGES, default: 'en' },
    themeCss: css,
    styleSource: css === '' ? undefined : `'sha256-${createHash('sha256').update(css).digest('base64')}'`,
  };
}

/** The audit record of a logo: an https URL as is, a data: image by type and size (not its bytes). */
function auditLogo(logo: string | undefined): string | undefined {
  if (logo === undefined || !logo.startsWith('data:')) return logo;
  const type = logo.slice('data:'.length, logo.indexOf(';'));
  return `${type} image, ${Buffer.from(logo.slice(logo.indexOf(',') + 1), 'base64').length} bytes`;
}

/**
 * Branding per identity store: the admin API's read, replace and reset (audited, in the same transaction
 * as the change), and `forStore` for the pages' hot path, served from a per-node cache keyed by the store's
 * id (never shared between tenants or between a deleted store and a new one of the same name).
 */
export class BrandingService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #identity: Pick<IdentityService, 'findStore'>;
  readonly #ttlMs: number;
  readonly #cache: LruCache<string, { loadedAt: number; look: Look }>;

  constructor(deps: BrandingServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#identity = deps.identity;
    this.#ttlMs = deps.cacheTtlMs ?? DEFAULT_BRANDING_CACHE_TTL_MS;
    this.#cache = new LruCache(deps.cacheEntries ?? 1000);
  }

  async get(tenantId: string, storeName: string): Promise<BrandingView> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const row = await this.#row(store);
    return this.#view(store, row ? (JSON.parse(row.settings) as BrandingSettings) : {}, row?.updated_at);
  }

  /** Replaces the store's whole branding; nothing is stored when a rule refuses it. */
  async replace(actor: Actor, storeName: string, input: BrandingInput, edit?: EditPrecondition): Promise<BrandingView> {
    const settings = checkBranding(input);
    const now = this.#clock.now().getTime();
    const store = await this.#db.transaction().execute(async (trx) => {
      const found = await this.#identity.findStore(actor.tenantId, storeName, trx);
      const row = { store_id: found.id, tenant_id: found.tenant_id, settings: JSON.stringify(settings), updated_at: now };
      // The first save creates the row at version 1; later saves claim its version. Of two first saves at once, the
      // later finds the row after all and claims it like any save (refused when its If-Match expected no branding).
      const key = { column: 'store_id', value: found.id } as const;
      let exists = await claimEdit(trx, edit, 'store_branding', key);
      if (!exists) {
        const inserted = await trx
          .insertInto('store_branding')
          .values({ ...row, edit_version: 1 })
          .onConflict((c) => c.column('store_id').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) created(edit, found.id);
        else exists = await claimEdit(trx, edit, 'store_branding', key);
      }
      if (exists) await trx.updateTable('store_branding').set({ settings: row.settings, updated_at: now }).where('store_id', '=', found.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'store.branding.update', targetType: 'store', targetId: storeName, details: { ...settings, logo: auditLogo(settings.logo) } },
        new Date(now),
      );
      return found;
    });
    this.#cache.delete(store.id);
    return this.#view(store, settings, now);
  }

  /** Back to Keyway's look and every language. */
  async reset(actor: Actor, storeName: string, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    const store = await this.#db.transaction().execute(async (trx) => {
      const found = await this.#identity.findStore(actor.tenantId, storeName, trx);
      await claimEdit(trx, edit, 'store_branding', { column: 'store_id', value: found.id });
      await trx.deleteFrom('store_branding').where('store_id', '=', found.id).where('tenant_id', '=', found.tenant_id).execute();
      await appendAuditEvent(trx, actor, { action: 'store.branding.reset', targetType: 'store', targetId: storeName }, now);
      return found;
    });
    this.#cache.delete(store.id);
  }

  /** The branding of a store the caller already looked up (the hosted pages' and the runner's hot path). */
  async forStore(store: StoreRef): Promise<Branding> {
    const nowMs = this.#clock.now().getTime();
    let entry = this.#cache.get(store.id);
    if (!entry || nowMs - entry.loadedAt >= this.#ttlMs) {
      const row = await this.#row(store);
      entry = { loadedAt: nowMs, look: lookOf(row ? (JSON.parse(row.settings) as BrandingSettings) : {}) };
      this.#cache.set(store.id, entry);
    }
    return { ...entry.look, productName: entry.look.productName ?? store.display_name ?? store.name };
  }

  /** The branding of a store by name, for senders outside a page request (e-mails). Throws STORE_NOT_FOUND. */
  async forStoreName(tenantId: string, storeName: string): Promise<Branding> {
    return this.forStore(await this.#identity.findStore(tenantId, storeName));
  }

  async #row(store: StoreRef) {
    return this.#db
      .selectFrom('store_branding')
      .select(['settings', 'updated_at'])
      .where('store_id', '=', store.id)
      .where('tenant_id', '=', store.tenant_id)
      .executeTakeFirst();
  }

  #view(store: StoreRef, settings: BrandingSettings, updatedAt: number | undefined): BrandingView {
    const look = lookOf(settings);
    return {
      ...settings,
      effective: {
        productName: look.productName ?? store.display_name ?? store.name,
        light: look.palettes.light,
        dark: look.palettes.dark,
        languages: { offered: [...look.languages.offered], default: look.languages.default },
      },
      updatedAt: updatedAt === undefined ? null : new Date(Number(updatedAt)).toISOString(),
    };
  }
}
