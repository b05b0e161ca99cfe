import { Type } from '@sinclair/typebox';
import { validationError } from '../../../errors/keyway-error.ts';
import { chosenOrganization, type JourneyOrganization } from '../../journey-identity.ts';
import { defineStepType, type StepContext, type StepResult } from '../../step-type.ts';

const SelectOrganizationParameters = Type.Object({}, { additionalProperties: false });

/** The organizations the journey's user may sign in to, or the rejection when there is none or no user. */
async function membershipsOf(ctx: StepContext): Promise<JourneyOrganization[] | StepResult> {
  if (!ctx.user) return { kind: 'end', result: 'rejection', code: 'JOURNEY_NO_USER' };
  const memberships = await ctx.port.organizations.membershipsOf(ctx.tenantId, ctx.user.storeName, ctx.user.userId);
  const given = ctx.vars.organization as JourneyOrganization | undefined;
  // An organization given at the start narrows the choice to itself.
  const open = memberships.filter((m) => given === undefined || m.organizationId === given.id);
  if (open.length === 0) return { kind: 'end', result: 'rejection', code: 'ORGANIZATION_MEMBERSHIP_REQUIRED' };
  return open.map((m) => ({ id: m.organizationId, name: m.name, roles: m.roles }));
}

const chosen = (organization: JourneyOrganization): StepResult => ({ kind: 'outcome', outcome: 'success', updates: [chosenOrganization(organization)] });

/**
 * General “Select Organization” (Mosaic's B2B step): sets the organization context of the journey (`organization`
 * in expressions: `{id, name, roles}`) among the organizations its user belongs to. One is chosen at once; several
 * are presented as `{organizations: [{id, name, roles}]}` (the user's own roles, to tell them apart) and the client answers `client_input` with `{organizationId}`;
 * none (or not the one the journey was started for) rejects with ORGANIZATION_MEMBERSHIP_REQUIRED. The end of the
 * journey checks membership and the organization's policy again, and puts `org_id` and `org_roles` in the ID token.
 */
export const selectOrganizationStep = defineStepType({
  type: 'general.selectOrganization',
  title: 'Select Organization',
  family: 'general',
  parameterSchema: SelectOrganizationParameters,
  outcomes: ['success'],
  clientFacing: true,
  async run(ctx): Promise<StepResult> {
    const open = await membershipsOf(ctx);
    if (!Array.isArray(open)) return open;
    if (open.length === 1) return chosen(open[0]!);
    return { kind: 'present', data: { organizations: open.map(({ id, name, roles }) => ({ id, name, roles })) }, options: ['client_input'] };
  },
  async submit(ctx, _params, input): Promise<StepResult> {
    const open = await membershipsOf(ctx);
    if (!Array.isArray(open)) return open;
    const wanted = (input.data as { organizationId?: unknown } | null)?.organizationId;
    const organization = open.find((o) => o.id === wanted);
    // A choice the step did not offer is the client's error: the step stays open for a corrected answer.
    if (!organization) throw validationError('data.organizationId', 'must be the id of one of the organizations offered');
    return chosen(organization);
  },
});
