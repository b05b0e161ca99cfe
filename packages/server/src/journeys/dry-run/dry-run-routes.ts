import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { KeywayError } from '../../errors/keyway-error.ts';
import { JourneyIdParam } from '../../http/path-params.ts';
import { principalOf } from '../../http/route-config.ts';
import type { Services } from '../../services.ts';
import { permissionString, isAllowed } from '../../tenancy/permissions.ts';
import type { Principal } from '../../tenancy/tenancy-service.ts';
import { userReadPermission } from '../../tenancy/target-rules.ts';
import type { JourneyDefinition } from '../definition.ts';
import { invalidDefinitionError } from '../journey-service.ts';
import { localeOf } from '../runtime-routes.ts';
import { DryRunBody, DryRunResponse } from './dry-run-schemas.ts';
import type { DryRunScript, StartUserRef } from './journey-dry-run.ts';

/**
 * Running as a user reveals that user (the trace holds their variables), so it needs what reading the user needs,
 * as naming a user at a journey's start does (target-rules.ts): by user key, listing users. Users a step names are
 * held to the same permissions inside the run (the caller's principal goes to SandboxIdentity).
 */
function assertMayRunAs(principal: Principal, ref: StartUserRef): void {
  const needed = 'userKey' in ref ? 'IdentityStore:listUsers' : userReadPermission(ref);
  if (!isAllowed(principal.permissions, principal.tenantId, needed))
    throw new KeywayError('FORBIDDEN', `Running as a user needs ${permissionString(principal.tenantId, needed)}`);
}

/** POST /api/journeys/{journeyId}/dry-run: "Try it" (journey-dry-run.ts). */
export async function journeyDryRunRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/journeys/:journeyId/dry-run',
    {
      schema: {
        operationId: 'dryRunJourney',
        tags: ['journeys'],
        summary: 'Try the draft (or the definition in the body) without publishing: passkey steps are answered by a software authenticator',
        description:
          'Runs the definition through the real steps in a sandbox: no user, passkey, session, instance or audit event is stored. ' +
          'Without `definition` it runs the draft, or the latest published version when there is no draft. ' +
          'The trace shows every variable, so a real user (the start user, or one a step or the script names) is seen only with the permission ' +
          'reading them through the identity API needs (IdentityStore:getUser by id, …:getUserByExtId by external id, …:listUsers by user key); ' +
          'any other real user is not found, exactly as an absent one.',
        params: Type.Object({ journeyId: JourneyIdParam }),
        body: DryRunBody,
        response: { 200: DryRunResponse },
      },
      config: {
        // Trying a journey is part of editing it.
        permission: 'Journeys:updateDraft',
        errors: [
          'JOURNEY_NOT_FOUND',
          'JOURNEY_NO_DRAFT',
          'JOURNEY_DEFINITION_INVALID',
          'JOURNEY_DRY_RUN_UNKNOWN_STEP',
          'JOURNEY_DRY_RUN_SCRIPT_INVALID',
          'USER_NOT_FOUND',
          'RATE_LIMITED',
        ],
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { tenantId } = principal;
      const { journeyId } = request.params;
      if (request.body.startUser) assertMayRunAs(principal, request.body.startUser);
      return services.journeyDryRunLimiter.run(tenantId, async () => {
        const journey = await services.journeyDefinitions.get(tenantId, journeyId);
        let definition = request.body.definition ?? journey.draft;
        if (definition === null && journey.latestVersion !== null)
          definition = (await services.journeyDefinitions.getVersion(tenantId, journeyId, journey.latestVersion)).definition;
        if (definition === null) throw new KeywayError('JOURNEY_NO_DRAFT', `Journey ${journeyId} has no draft and no published version`);
        const report = await services.journeyDefinitions.validate(tenantId, journeyId, definition);
        if (!report.valid) throw invalidDefinitionError(report);
        const plan = services.journeyDryRun.compile(definition as JourneyDefinition);
        const script = request.body.script as DryRunScript;
        services.journeyDryRun.checkScript(plan, script);
        return services.journeyDryRun.run(tenantId, journeyId, plan, script, localeOf(request), principal, request.body.startUser);
      });
    },
  );
}
