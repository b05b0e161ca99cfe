import { sql, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { appendAuditEvent, type Actor } from '../audit/audit-log.ts';
import { KeywayError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../shared/pagination.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { OrganizationDomainsTable, OrganizationsTable, Schema } from '../storage/schema.ts';
import { advanceEdit, claimEdit, type EditPrecondition } from '../storage/edit-version.ts';
import { uniqueViolation } from '../storage/unique-violation.ts';
import { DEFAULT_POLICY, enforcePolicy, mergePolicy, parsePolicy, type OrganizationPolicy, type SignInPasskey } from './organization-policy.ts';
import { distinctRoles, normaliseDomain, organizationName } from './organization-rules.ts';
import type { CreateOrganizationInput, Domain, Member, Membership, Organization, UpdateOrganizationInput } from './organization-schemas.ts';
import { randomBytes } from '../shared/random-bytes.ts';

export interface OrganizationServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
  identity: Pick<IdentityService, 'findStore'>;
}

/** The TXT record that would prove control of a domain (RFC 1464 attribute=value), under `_keyway.` of the domain. */
const verificationRecord = (domain: string, token: string) => `_keyway.${domain} TXT "keyway-verification=${token}"`;

function toOrganization(row: Selectable<OrganizationsTable>): Organization {
  return {
    id: row.id,
    name: row.name,
    ...(row.display_name === null ? {} : { displayName: row.display_name }),
    policy: parsePolicy(row.policy),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

function toDomain(row: Selectable<OrganizationDomainsTable>): Domain {
  return {
    domain: row.domain,
    verified: row.verified_at !== null,
    ...(row.verified_at === null ? {} : { verifiedAt: new Date(Number(row.verified_at)).toISOString() }),
    verificationRecord: verificationRecord(row.domain, row.verification_token),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

function organizationConflict(error: unknown, name: string): KeywayError | undefined {
  return uniqueViolation(error) === undefined
    ? undefined
    : new KeywayError('ORGANIZATION_ALREADY_EXISTS', `name: an organization named ${name} already exists in this store`);
}

/**
 * Organizations (B2B) inside an identity store: the organizations and their sign-in policy, their members
 * (users of the same store, with roles) and the e-mail domains they claim. Every query is scoped by tenant and
 * store; every change is audited in its own transaction.
 */
export class OrganizationService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #identity: OrganizationServiceDeps['identity'];

  constructor(deps: OrganizationServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#identity = deps.identity;
  }

  /** The organization's row in the named store; one of another store or tenant is indistinguishable from a missing one. */
  async #find(executor: Kysely<Schema>, tenantId: string, storeName: string, organizationId: string) {
    const store = await this.#identity.findStore(tenantId, storeName, executor);
    const row = await executor
      .selectFrom('organizations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('store_id', '=', store.id)
      .where('id', '=', organizationId)
      .executeTakeFirst();
    if (!row) throw new KeywayError('ORGANIZATION_NOT_FOUND', `No organization ${organizationId} in store ${storeName}`);
    return row;
  }

  // ── organizations ───────────────────────────────────────────────────────

  async create(actor: Actor, storeName: string, input: CreateOrganizationInput): Promise<Organization> {
    const now = this.#clock.now();
    const { name, key } = organizationName(input.name);
    const policy = mergePolicy(DEFAULT_POLICY, input.policy);
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const store = await this.#identity.findStore(actor.tenantId, storeName, trx);
        const row = {
          id: newTimeOrderedId(now),
          tenant_id: actor.tenantId,
          store_id: store.id,
          name,
          name_key: key,
          display_name: input.displayName?.normalize('NFC').trim() ?? null,
          policy: JSON.stringify(policy),
          created_at: now.getTime(),
          updated_at: now.getTime(),
        };
        await trx.insertInto('organizations').values(row).execute();
        const created = { ...row, edit_version: 0 };
        await appendAuditEvent(
          trx,
          actor,
          { action: 'organization.create', targetType: 'organization', targetId: row.id, details: { store: storeName, name, policy } },
          now,
        );
        return toOrganization(created);
      });
    } catch (error) {
      throw organizationConflict(error, name) ?? error;
    }
  }

  async list(tenantId: string, storeName: string, filter: PageRequest & { q?: string | undefined }): Promise<Page<Organization>> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const limit = pageSize(filter);
    const after = decodeCursor(filter.cursor);
    let query = this.#db.selectFrom('organizations').selectAll().where('tenant_id', '=', tenantId).where('store_id', '=', store.id);
    if (filter.q !== undefined && filter.q.trim() !== '') {
      // Searched in the comparison form, so `ACME` finds `Acme` on both engines.
      const pattern = `%${organizationName(filter.q, 'q').key.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(sql<SqlBool>`name_key like ${pattern} escape '\\'`);
    }
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toOrganization,
    );
  }

  async get(tenantId: string, storeName: string, organizationId: string): Promise<Organization> {
    return toOrganization(await this.#find(this.#db, tenantId, storeName, organizationId));
  }

  async update(actor: Actor, storeName: string, organizationId: string, patch: UpdateOrganizationInput, edit?: EditPrecondition): Promise<Organization> {
    const now = this.#clock.now();
    const renamed = patch.name === undefined ? undefined : organizationName(patch.name);
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const row = await this.#find(trx, actor.tenantId, storeName, organizationId);
        // If-Match is claimed in this transaction: of two edits from one version, one goes ahead (edit-version.ts).
        await claimEdit(trx, edit, 'organizations', { column: 'id', value: row.id });
        const policy = patch.policy === undefined ? undefined : mergePolicy(parsePolicy(row.policy), patch.policy);
        const changes = {
          ...(renamed === undefined ? {} : { name: renamed.name, name_key: renamed.key }),
          ...(patch.displayName === undefined ? {} : { display_name: patch.displayName === null ? null : patch.displayName.normalize('NFC').trim() }),
          ...(policy === undefined ? {} : { policy: JSON.stringify(policy) }),
          updated_at: now.getTime(),
        };
        await trx.updateTable('organizations').set(changes).where('id', '=', row.id).execute();
        await appendAuditEvent(
          trx,
          actor,
          {
            action: 'organization.update',
            targetType: 'organization',
            targetId: row.id,
            details: { store: storeName, fields: Object.keys(patch), ...(policy ? { policy } : {}) },
          },
          now,
        );
        return toOrganization({ ...row, ...changes });
      });
    } catch (error) {
      throw organizationConflict(error, renamed?.name ?? '') ?? error;
    }
  }

  /** Deleting an organization removes its memberships and domains (the users stay). */
  async delete(actor: Actor, storeName: string, organizationId: string, edit?: EditPrecondition): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#find(trx, actor.tenantId, storeName, organizationId);
      await claimEdit(trx, edit, 'organizations', { column: 'id', value: row.id });
      await trx.deleteFrom('organization_members').where('organization_id', '=', row.id).execute();
      await trx.deleteFrom('organization_domains').where('organization_id', '=', row.id).execute();
      await trx.deleteFrom('organizations').where('id', '=', row.id).execute();
      await appendAuditEvent(
        trx,
        actor,
        { action: 'organization.delete', targetType: 'organization', targetId: row.id, details: { store: storeName, name: row.name } },
        now,
      );
    });
  }

  // ── members ─────────────────────────────────────────────────────────────

  async #memberRow(executor: Kysely<Schema>, organizationId: string, userId: string) {
    return executor
      .selectFrom('organization_members')
      .innerJoin('users', 'users.id', 'organization_members.user_id')
      .select([
        'organization_members.id',
        'organization_members.user_id',
        'organization_members.roles',
        'organization_members.created_at',
        'organization_members.updated_at',
        'users.user_key',
        'users.email',
      ])
      .where('organization_members.organization_id', '=', organizationId)
      .where('organization_members.user_id', '=', userId)
      .executeTakeFirst();
  }

  async addMember(actor: Actor, storeName: string, organizationId: string, input: { userId: string; roles?: string[] | undefined }): Promise<Member> {
    const now = this.#clock.now();
    const roles = distinctRoles(input.roles ?? []);
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const organization = await this.#find(trx, actor.tenantId, storeName, organizationId);
        // The member must be a user of the organization's own store (another store's or tenant's user is "no such user").
        const user = await trx
          .selectFrom('users')
          .select(['id', 'user_key', 'email'])
          .where('tenant_id', '=', actor.tenantId)
          .where('store_id', '=', organization.store_id)
          .where('id', '=', input.userId)
          .executeTakeFirst();
        if (!user) throw new KeywayError('USER_NOT_FOUND', `No user ${input.userId} in store ${storeName}`);
        const row = {
          id: newTimeOrderedId(now),
          tenant_id: actor.tenantId,
          store_id: organization.store_id,
          organization_id: organization.id,
          user_id: user.id,
          roles: JSON.stringify(roles),
          created_at: now.getTime(),
          updated_at: now.getTime(),
        };
        await trx.insertInto('organization_members').values(row).execute();
        await advanceEdit(trx, 'organizations', { column: 'id', value: organization.id });
        await appendAuditEvent(
          trx,
          actor,
          { action: 'organization.member.add', targetType: 'organization', targetId: organization.id, details: { store: storeName, userId: user.id, roles } },
          now,
        );
        return toMember({ ...row, user_key: user.user_key, email: user.email });
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new KeywayError('ORGANIZATION_MEMBER_EXISTS', `userId: ${input.userId} is already a member of this organization`);
      throw error;
    }
  }

  async listMembers(tenantId: string, storeName: string, organizationId: string, page: PageRequest): Promise<Page<Member>> {
    const organization = await this.#find(this.#db, tenantId, storeName, organizationId);
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db
      .selectFrom('organization_members')
      .innerJoin('users', 'users.id', 'organization_members.user_id')
      .select([
        'organization_members.id',
        'organization_members.user_id',
        'organization_members.roles',
        'organization_members.created_at',
        'organization_members.updated_at',
        'users.user_key',
        'users.email',
      ])
      .where('organization_members.organization_id', '=', organization.id);
    if (after) query = query.where('organization_members.id', '>', after);
    return toPage(
      await query
        .orderBy('organization_members.id')
        .limit(limit + 1)
        .execute(),
      limit,
      toMember,
    );
  }

  async getMember(tenantId: string, storeName: string, organizationId: string, userId: string): Promise<Member> {
    const organization = await this.#find(this.#db, tenantId, storeName, organizationId);
    const row = await this.#memberRow(this.#db, organization.id, userId);
    if (!row) throw new KeywayError('ORGANIZATION_MEMBER_NOT_FOUND', `User ${userId} is not a member of organization ${organizationId}`);
    return toMember(row);
  }

  async updateMember(actor: Actor, storeName: string, organizationId: string, userId: string, input: { roles: string[] }): Promise<Member> {
    const now = this.#clock.now();
    const roles = distinctRoles(input.roles);
    return this.#db.transaction().execute(async (trx) => {
      const organization = await this.#find(trx, actor.tenantId, storeName, organizationId);
      const row = await this.#memberRow(trx, organization.id, userId);
      if (!row) throw new KeywayError('ORGANIZATION_MEMBER_NOT_FOUND', `User ${userId} is not a member of organization ${organizationId}`);
      const changes = { roles: JSON.stringify(roles), updated_at: now.getTime() };
      await trx.updateTable('organization_members').set(changes).where('id', '=', row.id).execute();
      await advanceEdit(trx, 'organizations', { column: 'id', value: organization.id });
      await appendAuditEvent(
        trx,
        actor,
        { action: 'organization.member.update', targetType: 'organization', targetId: organization.id, details: { store: storeName, userId, roles } },
        now,
      );
      return toMember({ ...row, ...changes });
    });
  }

  async removeMember(actor: Actor, storeName: string, organizationId: string, userId: string): Promise<void> {
    const now = this.#clock.now();
    await this.#db.transaction().execute(async (trx) => {
      const organization = await this.#find(trx, actor.tenantId, storeName, organizationId);
      const removed = await trx
        .deleteFrom('organization_members')
        .where('organization_id', '=', organization.id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0)
        throw new KeywayError('ORGANIZATION_MEMBER_NOT_FOUND', `User ${userId} is not a member of organization ${organizationId}`);
      await advanceEdit(trx, 'organizations', { column: 'id', value: organization.id });
      await appendAuditEvent(
        trx,
        actor,
        { action: 'organization.member.remove', targetType: 'organization', targetId: organization.id, details: { store: storeName, userId } },
        now,
      );
    });
  }

  // ── domains ─────────────────────────────────────────────────────────────

  /** Claims a domain for the organization (unverified, with a fresh verification token); a domain belongs to one organization per store. */
  async addDomain(actor: Actor, storeName: string, organizationId: string, input: { domain: string }): Promise<Domain> {
    const now = this.#clock.now();
    const domain = normaliseDomain(input.domain);
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const organization = await this.#find(trx, actor.tenantId, storeName, organizationId);
        const row = {
          id: newTimeOrderedId(now),
          tenant_id: actor.tenantId,
          store_id: organization.store_id,
          organization_id: organization.id,
          domain,
          verification_token: randomBytes(24).toString('base64url'),
          verified_at: null,
          created_at: now.getTime(),
        };
        await trx.insertInto('organization_domains').values(row).execute();
        await advanceEdit(trx, 'organizations', { column: 'id', value: organization.id });
        await appendAuditEvent(
          trx,
          actor,
          { action: 'organization.domain.add', targetType: 'organization', targetId: organization.id, details: { store: storeName, domain } },
          now,
        );
        return toDomain(row);
      });
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new KeywayError('ORGANIZATION_DOMAIN_TAKEN', `domain: ${domain} is already claimed by an organization of this store`);
      throw error;
    }
  }

  async listDomains(tenantId: string, storeName: string, organizationId: string, page: PageRequest): Promise<Page<Domain>> {
    const organization = await this.#find(this.#db, tenantId, storeName, organizationId);
    const limit = pageSize(page);
    const after = decodeCursor(page.cursor);
    let query = this.#db.selectFrom('organization_domains').selectAll().where('organization_id', '=', organization.id);
    if (after) query = query.where('id', '>', after);
    return toPage(
      await query
        .orderBy('id')
        .limit(limit + 1)
        .execute(),
      limit,
      toDomain,
    );
  }

  /**
   * An administrator's statement that the organization controls the domain. Keyway makes no DNS query (it may
   * run without network access): the administrator checks the TXT record, or proves control some other way.
   */
  async verifyDomain(actor: Actor, storeName: string, organizationId: string, domainInput: string): Promise<Domain> {
    const now = this.#clock.now();
    const domain = normaliseDomain(domainInput);
    return this.#db.transaction().execute(async (trx) => {
      const organization = await this.#find(trx, actor.tenantId, storeName, organizationId);
      const row = await trx
        .selectFrom('organization_domains')
        .selectAll()
        .where('organization_id', '=', organization.id)
        .where('domain', '=', domain)
        .executeTakeFirst();
      if (!row) throw new KeywayError('ORGANIZATION_DOMAIN_NOT_FOUND', `Organization ${organizationId} has not claimed ${domain}`);
      const verified = { ...row, verified_at: row.verified_at ?? now.getTime() };
      if (row.verified_at === null) {
        await trx.updateTable('organization_domains').set({ verified_at: verified.verified_at }).where('id', '=', row.id).execute();
        await advanceEdit(trx, 'organizations', { column: 'id', value: organization.id });
        await appendAuditEvent(
          trx,
          actor,
          { action: 'organization.domain.verify', targetType: 'organization', targetId: organization.id, details: { store: storeName, domain } },
          now,
        );
      }
      return toDomain(verified);
    });
  }

  async removeDomain(actor: Actor, storeName: string, organizationId: string, domainInput: string): Promise<void> {
    const now = this.#clock.now();
    const domain = normaliseDomain(domainInput);
    await this.#db.transaction().execute(async (trx) => {
      const organization = await this.#find(trx, actor.tenantId, storeName, organizationId);
      const removed = await trx
        .deleteFrom('organization_domains')
        .where('organization_id', '=', organization.id)
        .where('domain', '=', domain)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0)
        throw new KeywayError('ORGANIZATION_DOMAIN_NOT_FOUND', `Organization ${organizationId} has not claimed ${domain}`);
      await advanceEdit(trx, 'organizations', { column: 'id', value: organization.id });
      await appendAuditEvent(
        trx,
        actor,
        { action: 'organization.domain.remove', targetType: 'organization', targetId: organization.id, details: { store: storeName, domain } },
        now,
      );
    });
  }

  // ── sign-in ─────────────────────────────────────────────────────────────

  /** The organizations of the store a user belongs to, with their roles, oldest membership first. */
  async membershipsOf(tenantId: string, storeName: string, userId: string): Promise<Membership[]> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const rows = await this.#db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .select(['organizations.id', 'organizations.name', 'organization_members.roles'])
      .where('organization_members.tenant_id', '=', tenantId)
      .where('organization_members.store_id', '=', store.id)
      .where('organization_members.user_id', '=', userId)
      .orderBy('organization_members.id')
      .limit(200)
      .execute();
    return rows.map((row) => ({ organizationId: row.id, name: row.name, roles: JSON.parse(row.roles) as string[] }));
  }

  /**
   * An organization's policy applied to a passkey before it is stored or its use recorded (a registration or a sign-in
   * in the organization's context): refuses with the policy's code (ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED,
   * ORGANIZATION_SYNCED_PASSKEY_REFUSED). With `memberId` that user must be a member (ORGANIZATION_MEMBERSHIP_REQUIRED,
   * also for an organization that does not exist, as admitSignIn).
   */
  async admitPasskey(tenantId: string, storeName: string, organizationId: string, passkey: SignInPasskey, memberId?: string): Promise<void> {
    const store = await this.#identity.findStore(tenantId, storeName);
    let query = this.#db
      .selectFrom('organizations')
      .select(['organizations.policy'])
      .where('organizations.tenant_id', '=', tenantId)
      .where('organizations.store_id', '=', store.id)
      .where('organizations.id', '=', organizationId);
    if (memberId !== undefined)
      query = query
        .innerJoin('organization_members', 'organization_members.organization_id', 'organizations.id')
        .where('organization_members.tenant_id', '=', tenantId)
        .where('organization_members.user_id', '=', memberId);
    const row = await query.executeTakeFirst();
    if (!row) {
      if (memberId !== undefined) throw new KeywayError('ORGANIZATION_MEMBERSHIP_REQUIRED', `The user is not a member of organization ${organizationId}`);
      throw new KeywayError('ORGANIZATION_NOT_FOUND', `No organization ${organizationId} in store ${storeName}`);
    }
    enforcePolicy(organizationId, parsePolicy(row.policy), passkey);
  }

  /**
   * The organization context of a sign-in: the user must be a member (403 ORGANIZATION_MEMBERSHIP_REQUIRED, the same
   * answer for an organization that does not exist, so a sign-in does not reveal which do), and the passkey used
   * (`credentialId`, undefined when the user did not sign in with one) must satisfy its policy. Answers the membership.
   */
  async admitSignIn(tenantId: string, storeName: string, organizationId: string, userId: string, credentialId: string | undefined): Promise<Membership> {
    const store = await this.#identity.findStore(tenantId, storeName);
    const row = await this.#db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .select(['organizations.id', 'organizations.name', 'organizations.policy', 'organization_members.roles'])
      .where('organization_members.tenant_id', '=', tenantId)
      .where('organization_members.store_id', '=', store.id)
      .where('organization_members.organization_id', '=', organizationId)
      .where('organization_members.user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new KeywayError('ORGANIZATION_MEMBERSHIP_REQUIRED', `The user is not a member of organization ${organizationId}`);
    const passkey =
      credentialId === undefined
        ? undefined
        : await this.#db
            .selectFrom('credentials')
            .select(['aaguid', 'backup_eligible', 'attestation_verified'])
            .where('tenant_id', '=', tenantId)
            .where('store_id', '=', store.id)
            .where('user_id', '=', userId)
            .where('credential_id', '=', credentialId)
            .executeTakeFirst();
    if (credentialId !== undefined && !passkey) throw new KeywayError('ORGANIZATION_PASSKEY_REQUIRED', 'The passkey of this sign-in no longer exists');
    const policy: OrganizationPolicy = parsePolicy(row.policy);
    enforcePolicy(
      organizationId,
      policy,
      passkey
        ? { aaguid: passkey.aaguid, backupEligible: Number(passkey.backup_eligible) === 1, attested: Number(passkey.attestation_verified) === 1 }
        : undefined,
    );
    return { organizationId: row.id, name: row.name, roles: JSON.parse(row.roles) as string[] };
  }
}

function toMember(row: { user_id: string; roles: string; created_at: number; updated_at: number; user_key: string | null; email: string | null }): Member {
  return {
    userId: row.user_id,
    ...(row.user_key === null ? {} : { userKey: row.user_key }),
    ...(row.email === null ? {} : { email: row.email }),
    roles: JSON.parse(row.roles) as string[],
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}
