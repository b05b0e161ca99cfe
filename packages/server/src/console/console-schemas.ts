import { Type } from '@sinclair/typebox';
import { AuthenticationResponseBody, CreationOptionsSchema, RegistrationResponseBody, RequestOptionsSchema } from '../passkeys/ceremony-schemas.ts';
import { OPERATOR_ROLES } from './operator-roles.ts';

export const RoleSchema = Type.Union(
  OPERATOR_ROLES.map((role) => Type.Literal(role)),
  { description: 'owner: everything; admin: everything but managing owners; support: read users, issue recovery links, end sessions; viewer: read only' },
);

export const OperatorSchema = Type.Object({ id: Type.String(), displayName: Type.String(), role: RoleSchema }, { title: 'Operator' });

export const OperatorAnswer = Type.Object({ operator: OperatorSchema });

const LinkToken = Type.String({ minLength: 1, maxLength: 128, description: 'The token from the enrolment link’s fragment (#token=…)' });

export const EnrolmentOptionsBody = Type.Object(
  { token: LinkToken, displayName: Type.String({ minLength: 1, maxLength: 128, description: 'How the operator is shown (and the passkey’s account name)' }) },
  { additionalProperties: false },
);
export const EnrolmentFinishBody = Type.Object({ token: LinkToken, credential: RegistrationResponseBody }, { additionalProperties: false });
export const SignInFinishBody = Type.Object({ credential: AuthenticationResponseBody }, { additionalProperties: false });
export const AddPasskeyFinishBody = Type.Object({ credential: RegistrationResponseBody }, { additionalProperties: false });
export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const CreationOptionsAnswer = Type.Object({ publicKey: CreationOptionsSchema });
export const RequestOptionsAnswer = Type.Object({ publicKey: RequestOptionsSchema });

export const SessionAnswer = Type.Object(
  {
    operator: OperatorSchema,
    permissions: Type.Array(Type.String(), { description: 'The permission strings the access token carries' }),
    accessToken: Type.String({ description: 'Bearer token for the admin API, bound to this session' }),
    expiresAt: Type.String({ format: 'date-time', description: 'When the access token stops working (fetch the session again before)' }),
  },
  { title: 'ConsoleSession' },
);

export const OperatorPasskeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    providerName: Type.Optional(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Optional(Type.String({ format: 'date-time' })),
    synced: Type.Boolean({ description: 'Backup eligible: synced across the operator’s devices' }),
  },
  { title: 'OperatorPasskey' },
);
export const OperatorPasskeysAnswer = Type.Object({ items: Type.Array(OperatorPasskeySchema) });

export const OperatorSummarySchema = Type.Object(
  {
    id: Type.String(),
    displayName: Type.String(),
    role: RoleSchema,
    passkeys: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'OperatorSummary' },
);

export const InvitationSchema = Type.Object(
  {
    id: Type.String({ description: 'What revoking it names (DELETE /api/console/invitations/{invitationId})' }),
    url: Type.String({ description: 'The one-time enrolment link (24 hours); the token is in the fragment' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Invitation' },
);

export const InvitationSummarySchema = Type.Object(
  {
    id: Type.String(),
    role: RoleSchema,
    createdBy: Type.Object(
      {
        id: Type.String({ description: 'The audit actor: an operator (kwo_…), an API client, or cli for the command line' }),
        kind: Type.Union([Type.Literal('operator'), Type.Literal('apiClient'), Type.Literal('commandLine')]),
        name: Type.Optional(Type.String({ description: 'The operator’s display name or the client’s name, while they exist' })),
      },
      { title: 'InvitationCreator' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    usable: Type.Boolean({
      description:
        'False while whoever made the link may not grant its role (a removed operator, a deleted, disabled or narrowed API client): it enrols nobody then',
    }),
  },
  { title: 'InvitationSummary' },
);
