import { Type, type Static } from '@sinclair/typebox';

/** Request and response shapes of a user: the fields of TrustX “Add User”. */
export const USER_STATUSES = ['pending', 'active', 'locked', 'disabled'] as const;
export const MAX_ATTRIBUTES = 64;

const Locale = Type.Object(
  {
    country: Type.Optional(Type.String({ format: 'country', description: 'ISO 3166-1 alpha-2, e.g. IE' })),
    language: Type.Optional(Type.String({ format: 'language', description: 'ISO 639-1 two letters, e.g. en' })),
    variant: Type.Optional(
      Type.String({ format: 'locale-variant', description: 'Variant subtags: 5-8 letters/digits or 4 characters starting with a digit, hyphen-separated' }),
    ),
  },
  { additionalProperties: false },
);

const Attributes = Type.Record(Type.String(), Type.String({ maxLength: 1024 }), {
  maxProperties: MAX_ATTRIBUTES,
  propertyNames: { pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
  description: `Up to ${MAX_ATTRIBUTES} string attributes; keys of 1-64 letters, digits, _ . : -; values up to 1024 characters`,
});

export const EXTERNAL_ID_PATTERN = '^[A-Za-z0-9._~@:+=-]{1,128}$';

const fields = {
  userKey: Type.String({
    minLength: 1,
    maxLength: 256,
    format: 'identifier',
    description:
      'Identifies the user; unique in the store by its comparison form (NFKC, trimmed, lower-cased); control, zero-width and bidirectional-control characters are refused',
  }),
  externalId: Type.String({ pattern: EXTERNAL_ID_PATTERN, description: 'Unique in the store; generated when absent' }),
  email: Type.String({ format: 'email', maxLength: 254 }),
  firstName: Type.String({ minLength: 1, maxLength: 256 }),
  lastName: Type.String({ minLength: 1, maxLength: 256 }),
  dateOfBirth: Type.String({ format: 'date', description: 'yyyy-mm-dd, a real calendar date' }),
  locale: Locale,
  nationalities: Type.Union([Type.Array(Type.String({ format: 'country' }), { maxItems: 16, uniqueItems: true }), Type.String({ format: 'country' })], {
    description: 'ISO 3166-1 alpha-2 codes; a single code is accepted as a one-element list',
  }),
  status: Type.Union(
    USER_STATUSES.map((s) => Type.Literal(s)),
    { description: 'Default active. Locked and disabled users cannot use passkeys' },
  ),
  timezone: Type.String({ format: 'timezone', description: 'TZDB name, e.g. Europe/Berlin or EST' }),
  type: Type.String({ minLength: 1, maxLength: 64 }),
  attributes: Attributes,
};

export const CreateUserBody = Type.Object(
  {
    userKey: fields.userKey,
    externalId: Type.Optional(fields.externalId),
    email: Type.Optional(fields.email),
    firstName: Type.Optional(fields.firstName),
    lastName: Type.Optional(fields.lastName),
    dateOfBirth: Type.Optional(fields.dateOfBirth),
    locale: Type.Optional(fields.locale),
    nationalities: Type.Optional(fields.nationalities),
    status: Type.Optional(fields.status),
    timezone: Type.Optional(fields.timezone),
    type: Type.Optional(fields.type),
    attributes: Type.Optional(fields.attributes),
  },
  { title: 'CreateUserRequest', additionalProperties: false },
);
export type CreateUserInput = Static<typeof CreateUserBody>;

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** PATCH: present fields replace, `null` clears an optional field; `locale` and `attributes` are replaced whole. */
export const UpdateUserBody = Type.Object(
  {
    userKey: Type.Optional(fields.userKey),
    externalId: Type.Optional(fields.externalId),
    email: nullable(fields.email),
    firstName: nullable(fields.firstName),
    lastName: nullable(fields.lastName),
    dateOfBirth: nullable(fields.dateOfBirth),
    locale: nullable(fields.locale),
    nationalities: nullable(fields.nationalities),
    status: Type.Optional(fields.status),
    timezone: nullable(fields.timezone),
    type: nullable(fields.type),
    attributes: nullable(fields.attributes),
  },
  { title: 'UpdateUserRequest', additionalProperties: false, minProperties: 1 },
);
export type UpdateUserInput = Static<typeof UpdateUserBody>;

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    userKey: Type.String(),
    externalId: Type.String(),
    email: Type.Optional(Type.String()),
    emailVerified: Type.Optional(
      Type.Boolean({ description: 'Whether `email` was verified by a link sent to it (present with `email`); a changed address starts unverified' }),
    ),
    firstName: Type.Optional(Type.String()),
    lastName: Type.Optional(Type.String()),
    dateOfBirth: Type.Optional(Type.String()),
    locale: Type.Optional(
      Type.Object({ country: Type.Optional(Type.String()), language: Type.Optional(Type.String()), variant: Type.Optional(Type.String()) }),
    ),
    nationalities: Type.Array(Type.String()),
    status: Type.String(),
    timezone: Type.Optional(Type.String()),
    type: Type.Optional(Type.String()),
    attributes: Type.Record(Type.String(), Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'User', title: 'User' },
);
export type User = Static<typeof UserSchema>;

export const ListUsersQuery = Type.Object(
  {
    userKey: Type.Optional(
      Type.String({ maxLength: 256, format: 'identifier', description: 'Matched by comparison form: BOB@x.example and ｂｏｂ@x.example find bob@x.example' }),
    ),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    externalId: Type.Optional(Type.String({ maxLength: 128 })),
    status: Type.Optional(fields.status),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description:
          'Search: each word (at most 8) must appear anywhere in the user key, e-mail, external id, first name or last name, ignoring letter case, accents and character width in every script, and with ß = ss; "ada love" finds Ada Lovelace, "emile" and "ÉMILE" find Émile, "strasse" finds Straße',
      }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export type ListUsersFilter = Static<typeof ListUsersQuery>;
