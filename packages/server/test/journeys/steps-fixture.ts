// Set-up for the TrustX and Mosaic step tests: a real server (services, database of one kind) with the ceremony
// fixture's store, relying party and policies, and a small driver that calls a step the way the engine does —
// parameters checked against the step's schema with the engine's own validator, results' variable updates applied
// to the journey's variables — so steps chain (Start → Form → Complete) without going through HTTP.
import assert from 'node:assert/strict';
import { parameterValidator } from '../../src/journeys/definition-validation.ts';
import type { ClientInput, ContextUpdate, StepContext, StepResult, StepType } from '../../src/journeys/step-type.ts';
import type { Clock } from '../../src/shared/clock.ts';
import { CeremonyWorld, ORIGIN, STORE } from '../passkeys/ceremony-fixture.ts';
import type { DatabaseKind } from '../support/databases.ts';

export { ORIGIN, RP_ID, STORE, CTX } from '../passkeys/ceremony-fixture.ts';

let instances = 0;

/** One journey instance's variables and the steps run against them. */
export class JourneyRun {
  readonly world: CeremonyWorld;
  readonly instanceId: string;
  vars: Record<string, unknown>;
  locale: string;

  constructor(world: CeremonyWorld, vars: Record<string, unknown> = {}, locale = 'en') {
    this.world = world;
    this.instanceId = `instance-${++instances}`;
    this.vars = { _journey: { id: 'test-journey', version: 1, instanceId: this.instanceId, store: STORE }, ...vars };
    this.locale = locale;
  }

  context(stepId: string): StepContext {
    const user = this.vars.user as { storeName: string; userId: string } | undefined;
    return {
      tenantId: 'acme',
      journeyId: 'test-journey',
      instanceId: this.instanceId,
      stepId,
      port: this.world.server.services,
      clock: { now: () => new Date() } satisfies Clock,
      vars: structuredClone(this.vars),
      ...(user ? { user } : {}),
      origin: ORIGIN,
      locale: this.locale,
    };
  }

  /** Checks `params` against the step's schema exactly as the engine does; answers the errors. */
  static schemaErrors(step: StepType, params: unknown): string[] {
    const validate = parameterValidator(step);
    return validate(params) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  }

  async run(step: StepType, params: Record<string, unknown>, stepId = 'step'): Promise<StepResult> {
    const validated = structuredClone(params);
    assert.deepEqual(JourneyRun.schemaErrors(step, validated), [], `parameters of ${step.type}`);
    const result = await step.run(this.context(stepId), validated);
    this.apply(result.updates ?? []);
    return result;
  }

  async submit(step: StepType, params: Record<string, unknown>, input: ClientInput, stepId = 'step'): Promise<StepResult> {
    const validated = structuredClone(params);
    assert.deepEqual(JourneyRun.schemaErrors(step, validated), [], `parameters of ${step.type}`);
    const result = await step.submit!(this.context(stepId), validated, input);
    this.apply(result.updates ?? []);
    return result;
  }

  /** The engine's variable writes (a `user` update stores the user reference). */
  apply(updates: ContextUpdate[]): void {
    for (const update of updates) {
      let target = this.vars as Record<string | number, unknown>;
      for (const key of update.path.slice(0, -1)) {
        if (target[key] === null || typeof target[key] !== 'object') target[key] = {};
        target = target[key] as Record<string | number, unknown>;
      }
      target[update.path.at(-1)!] = update.value === undefined ? null : structuredClone(update.value);
    }
  }

  at(...path: (string | number)[]): unknown {
    let value: unknown = this.vars;
    for (const key of path) value = (value as Record<string | number, unknown> | undefined)?.[key];
    return value;
  }
}

export async function stepWorld(kind: DatabaseKind): Promise<CeremonyWorld> {
  return CeremonyWorld.create(kind);
}

/** Creates and publishes a custom form; answers its version. */
export async function publishForm(world: CeremonyWorld, name: string, form: unknown): Promise<number> {
  const created = await world.expectStatus(world.acme.api.post('/api/custom-forms', { name, form }), 201);
  await world.expectStatus(world.acme.api.post(`/api/custom-forms/${name}/versions/${created.body.version}/publish`), 200);
  return created.body.version;
}

export function outcomeOf(result: StepResult): string {
  assert.equal(result.kind, 'outcome', JSON.stringify(result));
  return (result as { outcome: string }).outcome;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
export function presented(result: StepResult): { data: Record<string, any>; options: string[] } {
  assert.equal(result.kind, 'present', JSON.stringify(result));
  return result as { kind: 'present'; data: Record<string, any>; options: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
}
