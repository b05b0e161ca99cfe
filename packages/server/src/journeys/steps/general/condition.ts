import { defineStepType } from '../../step-type.ts';

interface ConditionParameters {
  /** Usually `${…}`; the engine evaluates it before the step runs. */
  condition: unknown;
}

/** Branches on a boolean: outcome `true` or `false`. A non-boolean value is a definition error, not a silent truthiness test. */
export const conditionStep = defineStepType<ConditionParameters>({
  type: 'general.condition',
  title: 'Condition',
  family: 'general',
  parameterSchema: {
    type: 'object',
    required: ['condition'],
    additionalProperties: false,
    properties: { condition: { type: 'boolean', description: 'An expression such as ${user != null}; must evaluate to true or false.' } },
  },
  outcomes: ['true', 'false'],
  clientFacing: false,
  run(_ctx, params) {
    return Promise.resolve({ kind: 'outcome', outcome: params.condition === true ? 'true' : 'false' });
  },
});
