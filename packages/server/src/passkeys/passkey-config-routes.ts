import { editOf } from '../http/edit-concurrency.ts';
import { Type, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { PolicyNameParam, RpIdParam, StoreNameSchema, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import {
  AuthenticationPolicySchema,
  CreateAuthenticationPolicyBody,
  CreateRegistrationPolicyBody,
  CreateRelyingPartyBody,
  RegistrationPolicySchema,
  RelyingPartySchema,
  UpdateAuthenticationPolicyBody,
  UpdateRegistrationPolicyBody,
  UpdateRelyingPartyBody,
} from './passkey-config-schemas.ts';

export interface PasskeyConfigRoutesOptions {
  services: Services;
  /** Registered a second time under `/api/identity-store/:tenantId` (TrustX's tenant paths); hidden from the docs. */
  tenantAlias?: boolean;
}

/** A store's relying parties, registration policies and authentication policies, under the identity store API. */
export async function passkeyConfigRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: PasskeyConfigRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const relyingParties = services.relyingParties;
  const policies = services.policies;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (tags: string[], summary: string) => ({ tags, summary, ...(tenantAlias ? { hide: true } : {}) });
  const storeParams = params({ storeName: StoreNameSchema });
  const rpParams = params({ storeName: StoreNameSchema, rpId: RpIdParam });
  const policyParams = params({ storeName: StoreNameSchema, policyName: PolicyNameParam });
  const noContent = { 204: Type.Null() };

  // ── relying parties ──
  const rpTags = ['relying parties'];
  app.post(
    '/stores/:storeName/passkeys/relyingParties',
    {
      schema: {
        operationId: 'createRelyingParty',
        ...doc(rpTags, 'Create a relying party'),
        params: storeParams,
        body: CreateRelyingPartyBody,
        response: { 201: RelyingPartySchema },
      },
      config: { permission: 'IdentityStore:createRelyingParty', errors: ['STORE_NOT_FOUND', 'RELYING_PARTY_ALREADY_EXISTS'] },
    },
    async (request, reply) => reply.code(201).send(await relyingParties.create(actorOf(request), request.params.storeName, request.body)),
  );

  app.get(
    '/stores/:storeName/passkeys/relyingParties',
    {
      schema: {
        operationId: 'listRelyingParties',
        ...doc(rpTags, 'List relying parties'),
        params: storeParams,
        querystring: PageQuery,
        response: { 200: PageOf(RelyingPartySchema) },
      },
      config: { permission: 'IdentityStore:listRelyingParties', errors: ['STORE_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => relyingParties.list(principalOf(request).tenantId, request.params.storeName, request.query),
  );

  app.get(
    '/stores/:storeName/passkeys/relyingParties/:rpId',
    {
      schema: { operationId: 'getRelyingParty', ...doc(rpTags, 'Read a relying party'), params: rpParams, response: { 200: RelyingPartySchema } },
      config: { permission: 'IdentityStore:getRelyingParty', errors: ['STORE_NOT_FOUND', 'RELYING_PARTY_NOT_FOUND'] },
    },
    async (request) => relyingParties.get(principalOf(request).tenantId, request.params.storeName, request.params.rpId),
  );

  app.patch(
    '/stores/:storeName/passkeys/relyingParties/:rpId',
    {
      schema: {
        operationId: 'updateRelyingParty',
        ...doc(rpTags, 'Update a relying party (named fields are replaced; the result is validated whole)'),
        params: rpParams,
        body: UpdateRelyingPartyBody,
        response: { 200: RelyingPartySchema },
      },
      config: { permission: 'IdentityStore:updateRelyingParty', errors: ['STORE_NOT_FOUND', 'RELYING_PARTY_NOT_FOUND'] },
    },
    async (request) => relyingParties.update(actorOf(request), request.params.storeName, request.params.rpId, request.body, editOf(request)),
  );

  app.delete(
    '/stores/:storeName/passkeys/relyingParties/:rpId',
    {
      schema: {
        operationId: 'deleteRelyingParty',
        ...doc(rpTags, 'Delete a relying party (registered passkeys are kept)'),
        params: rpParams,
        response: noContent,
      },
      config: { permission: 'IdentityStore:deleteRelyingParty', errors: ['STORE_NOT_FOUND', 'RELYING_PARTY_NOT_FOUND'] },
    },
    async (request, reply) => {
      await relyingParties.delete(actorOf(request), request.params.storeName, request.params.rpId, editOf(request));
      return reply.code(204).send(null);
    },
  );

  // ── registration policies ──
  const regTags = ['registration policies'];
  app.post(
    '/stores/:storeName/passkeys/registrationPolicies',
    {
      schema: {
        operationId: 'createRegistrationPolicy',
        ...doc(regTags, 'Create a registration policy'),
        params: storeParams,
        body: CreateRegistrationPolicyBody,
        response: { 201: RegistrationPolicySchema },
      },
      config: { permission: 'IdentityStore:createRegistrationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_ALREADY_EXISTS', 'INVALID_TRUST_ANCHOR'] },
    },
    async (request, reply) => reply.code(201).send(await policies.createRegistrationPolicy(actorOf(request), request.params.storeName, request.body)),
  );

  app.get(
    '/stores/:storeName/passkeys/registrationPolicies',
    {
      schema: {
        operationId: 'listRegistrationPolicies',
        ...doc(regTags, 'List registration policies'),
        params: storeParams,
        querystring: PageQuery,
        response: { 200: PageOf(RegistrationPolicySchema) },
      },
      config: { permission: 'IdentityStore:listRegistrationPolicies', errors: ['STORE_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => policies.listRegistrationPolicies(principalOf(request).tenantId, request.params.storeName, request.query),
  );

  app.get(
    '/stores/:storeName/passkeys/registrationPolicies/:policyName',
    {
      schema: {
        operationId: 'getRegistrationPolicy',
        ...doc(regTags, 'Read a registration policy'),
        params: policyParams,
        response: { 200: RegistrationPolicySchema },
      },
      config: { permission: 'IdentityStore:getRegistrationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_NOT_FOUND'] },
    },
    async (request) => policies.getRegistrationPolicy(principalOf(request).tenantId, request.params.storeName, request.params.policyName),
  );

  app.patch(
    '/stores/:storeName/passkeys/registrationPolicies/:policyName',
    {
      schema: {
        operationId: 'updateRegistrationPolicy',
        ...doc(regTags, 'Update a registration policy (named top-level fields are replaced; the result is validated whole)'),
        params: policyParams,
        body: UpdateRegistrationPolicyBody,
        response: { 200: RegistrationPolicySchema },
      },
      config: { permission: 'IdentityStore:updateRegistrationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_NOT_FOUND', 'INVALID_TRUST_ANCHOR'] },
    },
    async (request) => policies.updateRegistrationPolicy(actorOf(request), request.params.storeName, request.params.policyName, request.body, editOf(request)),
  );

  app.delete(
    '/stores/:storeName/passkeys/registrationPolicies/:policyName',
    {
      schema: { operationId: 'deleteRegistrationPolicy', ...doc(regTags, 'Delete a registration policy'), params: policyParams, response: noContent },
      config: { permission: 'IdentityStore:deleteRegistrationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_NOT_FOUND'] },
    },
    async (request, reply) => {
      await policies.deleteRegistrationPolicy(actorOf(request), request.params.storeName, request.params.policyName, editOf(request));
      return reply.code(204).send(null);
    },
  );

  // ── authentication policies ──
  const authTags = ['authentication policies'];
  app.post(
    '/stores/:storeName/passkeys/authenticationPolicies',
    {
      schema: {
        operationId: 'createAuthenticationPolicy',
        ...doc(authTags, 'Create an authentication policy'),
        params: storeParams,
        body: CreateAuthenticationPolicyBody,
        response: { 201: AuthenticationPolicySchema },
      },
      config: { permission: 'IdentityStore:createAuthenticationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_ALREADY_EXISTS'] },
    },
    async (request, reply) => reply.code(201).send(await policies.createAuthenticationPolicy(actorOf(request), request.params.storeName, request.body)),
  );

  app.get(
    '/stores/:storeName/passkeys/authenticationPolicies',
    {
      schema: {
        operationId: 'listAuthenticationPolicies',
        ...doc(authTags, 'List authentication policies'),
        params: storeParams,
        querystring: PageQuery,
        response: { 200: PageOf(AuthenticationPolicySchema) },
      },
      config: { permission: 'IdentityStore:listAuthenticationPolicies', errors: ['STORE_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => policies.listAuthenticationPolicies(principalOf(request).tenantId, request.params.storeName, request.query),
  );

  app.get(
    '/stores/:storeName/passkeys/authenticationPolicies/:policyName',
    {
      schema: {
        operationId: 'getAuthenticationPolicy',
        ...doc(authTags, 'Read an authentication policy'),
        params: policyParams,
        response: { 200: AuthenticationPolicySchema },
      },
      config: { permission: 'IdentityStore:getAuthenticationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_NOT_FOUND'] },
    },
    async (request) => policies.getAuthenticationPolicy(principalOf(request).tenantId, request.params.storeName, request.params.policyName),
  );

  app.patch(
    '/stores/:storeName/passkeys/authenticationPolicies/:policyName',
    {
      schema: {
        operationId: 'updateAuthenticationPolicy',
        ...doc(authTags, 'Update an authentication policy (named fields are replaced; the result is validated whole)'),
        params: policyParams,
        body: UpdateAuthenticationPolicyBody,
        response: { 200: AuthenticationPolicySchema },
      },
      config: { permission: 'IdentityStore:updateAuthenticationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_NOT_FOUND'] },
    },
    async (request) =>
      policies.updateAuthenticationPolicy(actorOf(request), request.params.storeName, request.params.policyName, request.body, editOf(request)),
  );

  app.delete(
    '/stores/:storeName/passkeys/authenticationPolicies/:policyName',
    {
      schema: { operationId: 'deleteAuthenticationPolicy', ...doc(authTags, 'Delete an authentication policy'), params: policyParams, response: noContent },
      config: { permission: 'IdentityStore:deleteAuthenticationPolicy', errors: ['STORE_NOT_FOUND', 'POLICY_NOT_FOUND'] },
    },
    async (request, reply) => {
      await policies.deleteAuthenticationPolicy(actorOf(request), request.params.storeName, request.params.policyName, editOf(request));
      return reply.code(204).send(null);
    },
  );
}
