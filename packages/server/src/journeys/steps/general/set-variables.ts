import { Type } from '@sinclair/typebox';
import { RESERVED_VARIABLES } from '../../definition.ts';
import { defineStepType } from '../../step-type.ts';
import { anyObject } from '../parameter-schemas.ts';

/** Assigns variables in the journey context, then leaves by `success`. */
export const setVariablesStep = defineStepType({
  type: 'general.setVariables',
  title: 'Set Variables',
  family: 'general',
  parameterSchema: Type.Object(
    {
      // Variable name → value (each value may be an expression, evaluated by the engine before the step runs).
      variables: anyObject({
        minProperties: 1,
        // Top-level names only, and not the engine-owned roots (the user and how they authenticated are set by identifying steps).
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', not: { enum: [...RESERVED_VARIABLES] } },
      }),
    },
    { additionalProperties: false },
  ),
  outcomes: ['success'],
  clientFacing: false,
  run(_ctx, params) {
    return Promise.resolve({
      kind: 'outcome',
      outcome: 'success',
      updates: Object.entries(params.variables).map(([name, value]) => ({ path: [name], value })),
    });
  },
});
