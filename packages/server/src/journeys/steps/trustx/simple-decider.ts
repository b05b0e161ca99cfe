import { Type } from '@sinclair/typebox';
import { defineStepType } from '../../step-type.ts';
import { stringEnum } from '../parameter-schemas.ts';
import { readPath, type ProcessFailure } from './trustx-support.ts';

export const DECISIONS = ['PASSED', 'FAILED', 'REFER'] as const;
type Decision = (typeof DECISIONS)[number];

function asDecision(value: unknown): Decision | undefined {
  if (typeof value === 'boolean') return value ? 'PASSED' : 'FAILED';
  if (typeof value !== 'string') return undefined;
  const upper = value.trim().toUpperCase();
  return (DECISIONS as readonly string[]).includes(upper) ? (upper as Decision) : undefined;
}

/** TrustX “Simple Decider”: its two input parameters, in camelCase. */
const SimpleDeciderParameters = Type.Object(
  {
    decisionOnAnyFailure: Type.Optional(
      stringEnum([...DECISIONS, ''], { default: 'FAILED', description: 'The decision when any check of the process failed' }),
    ),
    deriveDecisionFrom: Type.Optional(
      Type.Union([Type.Unsafe<string>({ type: 'string', enum: [...DECISIONS, ...DECISIONS.map((d) => d.toLowerCase()), ''] }), Type.Boolean(), Type.Null()], {
        description: 'Optional: the decision from a variable (PASSED/FAILED/REFER, or a boolean: true → PASSED); blank to decide only on failures',
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * TrustX “Simple Decider”: decides the result of the process. When any check of the
 * process failed (a failure outcome of an earlier step, e.g. `Failed ID Store Service Call`, or a
 * cancel under Fail Check on Cancel) the decision is Decision on Any Failure; otherwise it is the
 * value of Derive Decision From (an expression, e.g. `${score > 80}` or `${"REFER"}`) when set, else
 * PASSED. The decision is the outcome and is kept in `_process.decision`, with the failures it saw.
 */
export const simpleDeciderStep = defineStepType({
  type: 'trustx.simpleDecider',
  title: 'Simple Decider',
  family: 'trustx',
  parameterSchema: SimpleDeciderParameters,
  outcomes: DECISIONS,
  clientFacing: false,
  run(ctx, params) {
    const recorded = readPath(ctx.vars, ['_process', 'failures']);
    const failures = Array.isArray(recorded) ? (recorded as ProcessFailure[]) : [];
    const decision: Decision =
      failures.length > 0 ? (asDecision(params.decisionOnAnyFailure) ?? 'FAILED') : (asDecision(params.deriveDecisionFrom) ?? 'PASSED');
    return Promise.resolve({
      kind: 'outcome',
      outcome: decision,
      updates: [{ path: ['_process', 'decision'], value: { decision, failures: failures.length } }],
    });
  },
});
