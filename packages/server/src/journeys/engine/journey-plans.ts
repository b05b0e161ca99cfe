import type { CompiledJourney, CompiledJourneyCache } from '../compiled-journey.ts';
import { journeyUserActsThrough, type FoundJourneyUserAct } from '../journey-user-acts.ts';
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

  /**
   * What a version does to its journey's user, its sub-journeys' acts included: its own are compiled with it, and each
   * sub-journey it calls costs the read of that journey's latest version (which publishing may change; its acts are
   * compiled with it too). No read at all for a version that calls none.
   */
  actsOnJourneyUser(tenantId: string, plan: CompiledJourney): Promise<FoundJourneyUserAct[]> {
    return journeyUserActsThrough(plan.journeyUserActs, async (journeyId) => {
      const published = await this.#store.findPublished(tenantId, journeyId);
      return published === undefined || published === 'unpublished' ? undefined : (await this.plan(published.versionId)).journeyUserActs;
    });
  }

  /** The latest published version; `unpublished` when the journey exists without one. */
  findPublished(tenantId: string, journeyId: string): Promise<PublishedJourney | 'unpublished' | undefined> {
    return this.#store.findPublished(tenantId, journeyId);
  }
}
