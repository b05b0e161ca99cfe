// What changed between two versions of a journey, step by step (for the visual diff) and line by line (JSON diff).
import { diffLines } from 'diff';
import type { JourneyDefinition } from './journey-model.ts';

export type StepChange = 'added' | 'removed' | 'changed';

/** Steps of `after` that are new or different from `before`, and steps of `before` that are gone. */
export function diffSteps(before: JourneyDefinition, after: JourneyDefinition): Map<string, StepChange> {
  const old = new Map(before.steps.map((s) => [s.id, JSON.stringify(s)]));
  const changes = new Map<string, StepChange>();
  for (const step of after.steps) {
    const previous = old.get(step.id);
    if (previous === undefined) changes.set(step.id, 'added');
    else if (previous !== JSON.stringify(step)) changes.set(step.id, 'changed');
  }
  for (const step of before.steps) if (!after.steps.some((s) => s.id === step.id)) changes.set(step.id, 'removed');
  return changes;
}

/** The steps of `after` followed by those removed since `before`: what the visual diff draws. */
export function unionOfSteps(before: JourneyDefinition, after: JourneyDefinition): JourneyDefinition {
  return { ...after, steps: [...after.steps, ...before.steps.filter((s) => !after.steps.some((a) => a.id === s.id))] };
}

export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

export function diffJson(before: unknown, after: unknown): DiffLine[] {
  return diffLines(`${JSON.stringify(before, null, 2)}\n`, `${JSON.stringify(after, null, 2)}\n`).flatMap((part) =>
    part.value
      .replace(/\n$/, '')
      .split('\n')
      .map((text) => ({ kind: part.added ? 'added' : part.removed ? 'removed' : 'same', text }) as DiffLine),
  );
}
