import type { CompiledJourney, CompiledJourneyCache } from '../compiled-journey.ts';
import type { JourneyInstanceStore, PublishedJourney } from './instance-store.ts';

/**
 * The compiled journeys instances run: a published version by id (immutable, so compiled once per node and cached),
 * and the latest published version of a journey (what a start, or a sub-journey step, runs).
 */
export class JourneyPlans {
  readonly #store: Pick<JourneyInstanceStore, 'findPublished' | 'definition'>;
  readonly cache: CompiledJourneyCache;

  constructor(store: Pick<JourneyInstanceStore, 'findPublished' | 'definition'>, cache: CompiledJourneyCache) {
    this.#store = store;
    this.cache = cache;
  }

  async plan(versionId: string): Promise<CompiledJourney> {
    const cached = this.cache.peek(versionId);
    if (cached) return cached;
    const definition = await this.#store.definition(versionId);
    return this.cache.get(versionId, () => definition);
  }

  /** The latest published version; `unpublished` when the journey exists without one. */
  findPublished(tenantId: string, journeyId: string): Promise<PublishedJourney | 'unpublished' | undefined> {
    return this.#store.findPublished(tenantId, journeyId);
  }
}
