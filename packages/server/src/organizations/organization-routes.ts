import { Type, type TProperties } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { editOf } from '../http/edit-concurrency.ts';
import { PageOf, PageQuery } from '../http/common-schemas.ts';
import { StoreNameSchema, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';
import {
  AddDomainBody,
  AddMemberBody,
  CreateOrganizationBody,
  DomainParam,
  DomainSchema,
  ListOrganizationsQuery,
  MemberSchema,
  MemberUserIdParam,
  OrganizationIdParam,
  OrganizationSchema,
  UpdateMemberBody,
  UpdateOrganizationBody,
} from './organization-schemas.ts';

export interface OrganizationRoutesOptions {
  services: Services;
  /** Registered a second time under `/api/identity-store/:tenantId`; hidden from the docs. */
  tenantAlias?: boolean;
}

/** Organizations of an identity store, their members and domains: /api/identity-store/stores/{store}/organizations. */
export async function organizationRoutes(fastify: FastifyInstance, { services, tenantAlias = false }: OrganizationRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const organizations = services.organizations;
  const params = <P extends TProperties>(properties: P) => pathParams(properties, { tenantAlias });
  const doc = (summary: string) => ({ tags: ['organizations'], summary, ...(tenantAlias ? { hide: true } : {}) });
  const storeParams = params({ storeName: StoreNameSchema });
  const orgParams = params({ storeName: StoreNameSchema, organizationId: OrganizationIdParam });
  const memberParams = params({ storeName: StoreNameSchema, organizationId: OrganizationIdParam, userId: MemberUserIdParam });
  const domainParams = params({ storeName: StoreNameSchema, organizationId: OrganizationIdParam, domain: DomainParam });
  const base = '/stores/:storeName/organizations';

  app.post(
    base,
    {
      schema: {
        operationId: 'createOrganization',
        ...doc('Create an organization'),
        params: storeParams,
        body: CreateOrganizationBody,
        response: { 201: OrganizationSchema },
      },
      config: { permission: 'IdentityStore:createOrganization', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_ALREADY_EXISTS'] },
    },
    async (request, reply) => reply.code(201).send(await organizations.create(actorOf(request), request.params.storeName, request.body)),
  );

  app.get(
    base,
    {
      schema: {
        operationId: 'listOrganizations',
        ...doc('List organizations, optionally those whose name contains q'),
        params: storeParams,
        querystring: ListOrganizationsQuery,
        response: { 200: PageOf(OrganizationSchema) },
      },
      config: { permission: 'IdentityStore:listOrganizations', errors: ['STORE_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => organizations.list(principalOf(request).tenantId, request.params.storeName, request.query),
  );

  app.get(
    `${base}/:organizationId`,
    {
      schema: { operationId: 'getOrganization', ...doc('Read an organization and its policy'), params: orgParams, response: { 200: OrganizationSchema } },
      config: { permission: 'IdentityStore:getOrganization', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND'] },
    },
    async (request) => organizations.get(principalOf(request).tenantId, request.params.storeName, request.params.organizationId),
  );

  app.patch(
    `${base}/:organizationId`,
    {
      schema: {
        operationId: 'updateOrganization',
        ...doc('Rename an organization or change its policy (If-Match with the ETag of a read refuses a concurrent change)'),
        params: orgParams,
        body: UpdateOrganizationBody,
        response: { 200: OrganizationSchema },
      },
      config: { permission: 'IdentityStore:updateOrganization', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ALREADY_EXISTS'] },
    },
    async (request) => organizations.update(actorOf(request), request.params.storeName, request.params.organizationId, request.body, editOf(request)),
  );

  app.delete(
    `${base}/:organizationId`,
    {
      schema: {
        operationId: 'deleteOrganization',
        ...doc('Delete an organization with its memberships and domains'),
        params: orgParams,
        response: { 204: Type.Null() },
      },
      config: { permission: 'IdentityStore:deleteOrganization', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND'] },
    },
    async (request, reply) => {
      await organizations.delete(actorOf(request), request.params.storeName, request.params.organizationId, editOf(request));
      return reply.code(204).send(null);
    },
  );

  // ── members ──
  app.post(
    `${base}/:organizationId/members`,
    {
      schema: {
        operationId: 'addOrganizationMember',
        ...doc('Add a user of the store as a member, with roles'),
        params: orgParams,
        body: AddMemberBody,
        response: { 201: MemberSchema },
      },
      config: {
        permission: 'IdentityStore:addOrganizationMember',
        errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'USER_NOT_FOUND', 'ORGANIZATION_MEMBER_EXISTS'],
      },
    },
    async (request, reply) =>
      reply.code(201).send(await organizations.addMember(actorOf(request), request.params.storeName, request.params.organizationId, request.body)),
  );

  app.get(
    `${base}/:organizationId/members`,
    {
      schema: {
        operationId: 'listOrganizationMembers',
        ...doc('List an organization’s members'),
        params: orgParams,
        querystring: PageQuery,
        response: { 200: PageOf(MemberSchema) },
      },
      config: { permission: 'IdentityStore:listOrganizationMembers', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => organizations.listMembers(principalOf(request).tenantId, request.params.storeName, request.params.organizationId, request.query),
  );

  app.get(
    `${base}/:organizationId/members/:userId`,
    {
      schema: { operationId: 'getOrganizationMember', ...doc('Read a member and their roles'), params: memberParams, response: { 200: MemberSchema } },
      config: { permission: 'IdentityStore:listOrganizationMembers', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_MEMBER_NOT_FOUND'] },
    },
    async (request) => organizations.getMember(principalOf(request).tenantId, request.params.storeName, request.params.organizationId, request.params.userId),
  );

  app.put(
    `${base}/:organizationId/members/:userId`,
    {
      schema: {
        operationId: 'updateOrganizationMember',
        ...doc('Replace a member’s roles'),
        params: memberParams,
        body: UpdateMemberBody,
        response: { 200: MemberSchema },
      },
      config: { permission: 'IdentityStore:updateOrganizationMember', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_MEMBER_NOT_FOUND'] },
    },
    async (request) =>
      organizations.updateMember(actorOf(request), request.params.storeName, request.params.organizationId, request.params.userId, request.body),
  );

  app.delete(
    `${base}/:organizationId/members/:userId`,
    {
      schema: { operationId: 'removeOrganizationMember', ...doc('Remove a member (the user stays)'), params: memberParams, response: { 204: Type.Null() } },
      config: { permission: 'IdentityStore:removeOrganizationMember', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_MEMBER_NOT_FOUND'] },
    },
    async (request, reply) => {
      await organizations.removeMember(actorOf(request), request.params.storeName, request.params.organizationId, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  // ── domains ──
  app.post(
    `${base}/:organizationId/domains`,
    {
      schema: {
        operationId: 'addOrganizationDomain',
        ...doc('Claim an e-mail domain (unverified, with the TXT record that would prove it)'),
        params: orgParams,
        body: AddDomainBody,
        response: { 201: DomainSchema },
      },
      config: { permission: 'IdentityStore:manageOrganizationDomains', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_DOMAIN_TAKEN'] },
    },
    async (request, reply) =>
      reply.code(201).send(await organizations.addDomain(actorOf(request), request.params.storeName, request.params.organizationId, request.body)),
  );

  app.get(
    `${base}/:organizationId/domains`,
    {
      schema: {
        operationId: 'listOrganizationDomains',
        ...doc('List an organization’s domains'),
        params: orgParams,
        querystring: PageQuery,
        response: { 200: PageOf(DomainSchema) },
      },
      config: { permission: 'IdentityStore:listOrganizationDomains', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => organizations.listDomains(principalOf(request).tenantId, request.params.storeName, request.params.organizationId, request.query),
  );

  app.post(
    `${base}/:organizationId/domains/:domain/verify`,
    {
      schema: {
        operationId: 'verifyOrganizationDomain',
        ...doc('Mark a claimed domain verified (Keyway makes no DNS query: the administrator vouches for it)'),
        params: domainParams,
        response: { 200: DomainSchema },
      },
      config: { permission: 'IdentityStore:verifyOrganizationDomain', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_DOMAIN_NOT_FOUND'] },
    },
    async (request) => organizations.verifyDomain(actorOf(request), request.params.storeName, request.params.organizationId, request.params.domain),
  );

  app.delete(
    `${base}/:organizationId/domains/:domain`,
    {
      schema: { operationId: 'removeOrganizationDomain', ...doc('Give up a claimed domain'), params: domainParams, response: { 204: Type.Null() } },
      config: { permission: 'IdentityStore:manageOrganizationDomains', errors: ['STORE_NOT_FOUND', 'ORGANIZATION_NOT_FOUND', 'ORGANIZATION_DOMAIN_NOT_FOUND'] },
    },
    async (request, reply) => {
      await organizations.removeDomain(actorOf(request), request.params.storeName, request.params.organizationId, request.params.domain);
      return reply.code(204).send(null);
    },
  );
}
