import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';

/** Branches on a boolean: outcome `true` or `false`. A non-boolean value is a definition error, not a silent truthiness test. */
export const conditionStep = defineStepType({
  type: 'general.condition',
  title: 'Condition',
  family: 'general',
  parameterSchema: Type.Object(
    // Usually `${…}`; the engine evaluates it before the step runs.
    { condition: Type.Boolean({ description: 'An expression such as ${user != null}; must evaluate to true or false.' }) },
    { additionalProperties: false },
  ),
  outcomes: ['true', 'false'],
  clientFacing: false,
  run(_ctx, params) {
    return Promise.resolve({ kind: 'outcome', outcome: params.condition === true ? 'true' : 'false' });
  },
});
