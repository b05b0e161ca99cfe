import type { JourneyDefinition } from './definition.ts';

export const SUB_JOURNEY = 'general.subJourney';

/** A `general.subJourney` step of a definition: its index, id and the journey id it names (as written). */
export interface SubJourneyCall {
  index: number;
  stepId: string;
  journeyId: unknown;
}

/** The sub-journey steps of a definition, in order. */
export function subJourneyCalls(definition: Pick<JourneyDefinition, 'steps'>): SubJourneyCall[] {
  return (definition.steps ?? []).flatMap((step, index) =>
    step.type === SUB_JOURNEY ? [{ index, stepId: step.id, journeyId: (step.parameters as { journeyId?: unknown } | undefined)?.journeyId }] : [],
  );
}

/** What one called journey gives to a walk: its own items (each with the step it comes from) and the journeys it calls. */
export interface CalledJourney<T> {
  own: { stepId: string; item: T }[];
  calls: string[];
}

/**
 * The items of the journeys `calls` name, and of the journeys those call in turn (their latest published versions, as
 * the runner enters them), each journey once: every item with the calling step of the walk's start that reached it
 * and `via` = `journeyId/stepId` of the step it comes from. `load` answers undefined for a journey without a published
 * version (the run would fail there, so it contributes nothing).
 */
export async function throughSubJourneys<C extends { journeyId: string }, T>(
  calls: readonly C[],
  load: (journeyId: string) => Promise<CalledJourney<T> | undefined>,
): Promise<{ call: C; via: string; item: T }[]> {
  const visited = new Set<string>();
  const inherited = async (journeyId: string): Promise<{ via: string; item: T }[]> => {
    if (visited.has(journeyId)) return [];
    visited.add(journeyId);
    const called = await load(journeyId);
    if (!called) return [];
    const items = called.own.map(({ stepId, item }) => ({ via: `${journeyId}/${stepId}`, item }));
    for (const next of called.calls) items.push(...(await inherited(next)));
    return items;
  };
  const found: { call: C; via: string; item: T }[] = [];
  for (const call of calls) for (const { via, item } of await inherited(call.journeyId)) found.push({ call, via, item });
  return found;
}
