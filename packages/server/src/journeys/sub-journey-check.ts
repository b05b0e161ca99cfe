import type { JourneyDefinition } from './definition.ts';
import type { DefinitionProblem } from './definition-validation.ts';
import { subJourneyCalls } from './sub-journey-calls.ts';

/**
 * The sub-journeys a definition calls, checked against the published journeys of its tenant: each must be named by a
 * constant, be published, and never lead back to the journey itself (directly or through other sub-journeys), since
 * a journey that calls itself never ends. `latest` reads a journey's latest published definition.
 */
export async function subJourneyProblems(
  journeyId: string,
  definition: JourneyDefinition,
  latest: (journeyId: string) => Promise<JourneyDefinition | undefined>,
): Promise<DefinitionProblem[]> {
  const problems: DefinitionProblem[] = [];
  const known = new Map<string, JourneyDefinition | undefined>();
  const load = async (id: string) => {
    if (!known.has(id)) known.set(id, await latest(id));
    return known.get(id);
  };
  for (const reference of subJourneyCalls(definition)) {
    const pointer = `/steps/${reference.index}/parameters/journeyId`;
    const problem = (code: DefinitionProblem['code'], message: string) =>
      problems.push({ severity: 'error', code, stepId: reference.stepId, pointer, message });
    if (typeof reference.journeyId !== 'string' || reference.journeyId.includes('${')) {
      problem('SUBJOURNEY_NOT_CONSTANT', 'the sub-journey is named by a constant journey id (so that cycles can be checked)');
      continue;
    }
    // Depth-first over the published journeys it calls, in turn; the path is reported when it comes back here.
    const path = [journeyId, reference.journeyId];
    const visited = new Set<string>();
    const cycle = async (id: string, trail: string[]): Promise<string[] | undefined> => {
      if (id === journeyId) return trail;
      if (visited.has(id)) return undefined;
      visited.add(id);
      const called = await load(id);
      for (const next of called ? subJourneyCalls(called) : []) {
        if (typeof next.journeyId !== 'string') continue;
        const found = await cycle(next.journeyId, [...trail, next.journeyId]);
        if (found) return found;
      }
      return undefined;
    };
    if (reference.journeyId !== journeyId && (await load(reference.journeyId)) === undefined) {
      problem('UNKNOWN_SUBJOURNEY', `journey ${reference.journeyId} has no published version`);
      continue;
    }
    const found = await cycle(reference.journeyId, path);
    if (found) problem('SUBJOURNEY_CYCLE', `the journey would call itself: ${found.join(' → ')}`);
  }
  return problems;
}
