import { Type, type Static } from '@sinclair/typebox';
import { PageQuery } from '../http/common-schemas.ts';
import { OrganizationPolicyPatch, OrganizationPolicySchema } from './organization-policy.ts';
import { ROLE_PATTERN } from './organization-rules.ts';

export const OrganizationIdParam = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The organization’s id' });
export const MemberUserIdParam = Type.String({ minLength: 1, maxLength: 64, description: 'The member’s user id' });
export const DomainParam = Type.String({ minLength: 1, maxLength: 253, description: 'The domain, in any form (normalised to its lower-case xn-- form)' });

const Name = Type.String({ minLength: 1, maxLength: 128, description: 'Unique in the store, compared without regard to case or width' });
const DisplayName = Type.String({ minLength: 1, maxLength: 256 });
const Roles = Type.Array(Type.String({ pattern: ROLE_PATTERN }), { maxItems: 20, description: 'Role names (letters, digits, _ . : -); repeats are dropped' });

export const OrganizationSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    displayName: Type.Optional(Type.String()),
    policy: OrganizationPolicySchema,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Organization' },
);
export type Organization = Static<typeof OrganizationSchema>;

export const CreateOrganizationBody = Type.Object(
  { name: Name, displayName: Type.Optional(DisplayName), policy: Type.Optional(OrganizationPolicyPatch) },
  { title: 'CreateOrganizationRequest', additionalProperties: false },
);
export type CreateOrganizationInput = Static<typeof CreateOrganizationBody>;

export const UpdateOrganizationBody = Type.Object(
  {
    name: Type.Optional(Name),
    displayName: Type.Optional(Type.Union([DisplayName, Type.Null()])),
    policy: Type.Optional(OrganizationPolicyPatch),
  },
  { title: 'UpdateOrganizationRequest', additionalProperties: false, minProperties: 1 },
);
export type UpdateOrganizationInput = Static<typeof UpdateOrganizationBody>;

export const ListOrganizationsQuery = Type.Composite(
  [PageQuery, Type.Object({ q: Type.Optional(Type.String({ maxLength: 128, description: 'Names containing this' })) })],
  {
    additionalProperties: false,
  },
);

export const MemberSchema = Type.Object(
  {
    userId: Type.String(),
    userKey: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    roles: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'OrganizationMember' },
);
export type Member = Static<typeof MemberSchema>;

export const AddMemberBody = Type.Object(
  { userId: Type.String({ minLength: 1, maxLength: 64, description: 'An existing user of the same store' }), roles: Type.Optional(Roles) },
  { title: 'AddOrganizationMemberRequest', additionalProperties: false },
);
export const UpdateMemberBody = Type.Object({ roles: Roles }, { title: 'UpdateOrganizationMemberRequest', additionalProperties: false });

export const DomainSchema = Type.Object(
  {
    domain: Type.String({ description: 'Lower-case IDNA (xn--) form' }),
    verified: Type.Boolean(),
    verifiedAt: Type.Optional(Type.String({ format: 'date-time' })),
    verificationRecord: Type.String({
      description: 'The DNS TXT record that would prove control: Keyway does not look it up, an administrator marks the domain verified',
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'OrganizationDomain' },
);
export type Domain = Static<typeof DomainSchema>;

export const AddDomainBody = Type.Object({ domain: DomainParam }, { title: 'AddOrganizationDomainRequest', additionalProperties: false });

/** An organization a user belongs to, with their roles there (the journey context and the token claims). */
export interface Membership {
  organizationId: string;
  name: string;
  roles: string[];
}
