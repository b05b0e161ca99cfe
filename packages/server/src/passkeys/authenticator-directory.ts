import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { describeAuthenticator, type AuthenticatorDescription } from './authenticator-catalog.ts';
import { safeIcon } from './authenticator-icon.ts';
import type { MetadataBlob, MetadataProvider, MetadataSource } from './mds-blob.ts';

/** An AAGUID's provider for display (name, icons), or undefined when nothing knows it. */
export type DescribeAuthenticator = (aaguid: string) => AuthenticatorDescription | undefined;

/** How long an answer waits for a metadata BLOB's first load before going on without its icons. */
const METADATA_PATIENCE_MS = 2000;

/**
 * Who made a passkey, for the admin API, the console and self-service's "my passkeys": the provider's name from the bundled catalogue
 * (authenticator-catalog.ts), else from the FIDO metadata BLOBs the registration policies name; its icons from the
 * catalogue when it has them, else from those BLOBs (a metadata statement has one icon: it serves light and dark).
 * Every icon passes safeIcon. Display only, so it never fails or holds up an answer: a BLOB that cannot be loaded,
 * or whose first load takes long, just means no icons (the load goes on in the cache and serves later requests).
 */
export class AuthenticatorDirectory {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #metadata: MetadataProvider | undefined;

  constructor(deps: { db: Kysely<Schema>; clock: Clock; metadata?: MetadataProvider | undefined }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#metadata = deps.metadata;
  }

  /** The lookup for a store's passkeys: the metadata its registration policies name. */
  async forStore(tenantId: string, storeId: string): Promise<DescribeAuthenticator> {
    return combine(await this.#blobs(tenantId, storeId));
  }

  /** The lookup for a whole tenant's passkeys (the console's overview): the metadata any of its policies names. */
  async forTenant(tenantId: string): Promise<DescribeAuthenticator> {
    return combine(await this.#blobs(tenantId, undefined));
  }

  /** The lookup over one metadata source (e.g. the registration policy self-service uses); the catalogue alone without one. */
  async forSource(source: MetadataSource | undefined): Promise<DescribeAuthenticator> {
    return combine(source?.file || source?.url ? await this.#load([source]) : []);
  }

  async #blobs(tenantId: string, storeId: string | undefined): Promise<MetadataBlob[]> {
    if (!this.#metadata) return [];
    let query = this.#db.selectFrom('registration_policies').select('settings').where('tenant_id', '=', tenantId);
    if (storeId !== undefined) query = query.where('store_id', '=', storeId);
    const sources = new Map<string, MetadataSource>();
    for (const row of await query.execute()) {
      const source = (JSON.parse(row.settings) as { attestationTrust?: { metadata?: MetadataSource } }).attestationTrust?.metadata;
      if (source?.file || source?.url) sources.set(JSON.stringify([source.url, source.file]), source);
    }
    return this.#load([...sources.values()]);
  }

  /** The BLOBs that load within the patience; none when a load fails or is late (it goes on in the cache). */
  async #load(sources: readonly MetadataSource[]): Promise<MetadataBlob[]> {
    const provider = this.#metadata;
    if (!provider || sources.length === 0) return [];
    const now = this.#clock.now();
    const loads = sources.map((source) => {
      const loading = provider.get(source, now);
      loading.catch(() => undefined);
      return loading;
    });
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), METADATA_PATIENCE_MS);
    });
    try {
      const settled = await Promise.race([Promise.allSettled(loads), patience]);
      if (settled === 'late') return [];
      return settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    } finally {
      clearTimeout(timer);
    }
  }
}

function combine(blobs: readonly MetadataBlob[]): DescribeAuthenticator {
  return (aaguid) => {
    const known = describeAuthenticator(aaguid);
    const statement = blobs.map((blob) => blob.byAaguid(aaguid)).find((entry) => entry !== undefined);
    const name = known?.name ?? statement?.description;
    if (name === undefined) return undefined;
    const fromMetadata = safeIcon(statement?.icon);
    const iconLight = known?.iconLight ?? fromMetadata;
    const iconDark = known?.iconDark ?? known?.iconLight ?? fromMetadata;
    return { name, ...(iconLight === undefined ? {} : { iconLight }), ...(iconDark === undefined ? {} : { iconDark }) };
  };
}
