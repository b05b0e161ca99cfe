import { Type, type Static } from '@sinclair/typebox';
import { KeywayError } from '../../../errors/keyway-error.ts';
import { validatorCompiler } from '../../../http/validators.ts';
import { CreateUserBody, type CreateUserInput, type User, USER_STATUSES } from '../../../identity/user-schemas.ts';
import { identifiedUser } from '../../journey-identity.ts';
import { defineStepType, type ContextUpdate, type StepContext } from '../../step-type.ts';
import { CREATE_USER_PERMISSION } from '../../user-acts.ts';
import { errorOf, failureUpdate, journeyActor } from './trustx-support.ts';

const text = (description: string, extra: object = {}) => Type.Optional(Type.String({ description, ...extra }));

/** TrustX “Add User”: every input parameter TrustX lists, in camelCase. */
const AddUserParameters = Type.Object(
  {
    storeName: Type.String({ description: 'Required. The identity store the user is added to', minLength: 1 }),
    userAttributes: Type.Optional(
      Type.Unsafe<Record<string, string>>({
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Key-value pairs of additional attributes',
      }),
    ),
    userDateOfBirth: text('yyyy-mm-dd'),
    userEmail: text('e.g. example@domain.com'),
    userExternalId: text('Unique in the store; generated when not given'),
    userFirstName: text('First name'),
    userKey: Type.String({ description: 'Required. Identifies the user; unique in the store', minLength: 1 }),
    userLastName: text('Last name'),
    userLocaleCountry: text('ISO 3166-1 alpha-2 country, e.g. IE'),
    userLocaleLanguage: text('ISO 639-1 two-letter language, e.g. en'),
    userLocaleVariant: text('Variant subtags: 5-8 letters or 4 characters starting with a digit, separated by hyphens'),
    userNationalities: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], { description: 'ISO 3166-1 alpha-2 codes; several separated by commas' }),
    ),
    userStatus: text(
      `One of ${USER_STATUSES.join(', ')} (default active). Active or pending: pending until the journey registers the user's first passkey (deleted if abandoned for a day)`,
    ),
    userTimezone: text('TZDB name, e.g. Europe/Berlin or EST'),
    userType: text('Up to 64 characters'),
  },
  { additionalProperties: false },
);
export type AddUserParameters = Static<typeof AddUserParameters>;

export const ADD_USER_OUTCOMES = { success: 'success', failed: 'Failed to add the user', extIdNotUnique: 'ExtId Not Unique' } as const;

type UserValidator = ((value: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params: Record<string, unknown>; keyword: string }[];
};
let userValidator: UserValidator | undefined;
/**
 * The same checks as POST /api/identity-store/stores/{storeName}/users (formats included: TZDB, ISO 639, ISO 3166),
 * compiled at the first Add User step rather than when the module loads (about 50 ms of a start, like the routes').
 */
const validateUser = (): UserValidator =>
  (userValidator ??= validatorCompiler({ schema: CreateUserBody, httpPart: 'body', method: 'POST', url: '' }) as UserValidator);

/** An optional parameter fed by an expression may evaluate to "" (an empty form field): that means “not given”. */
const given = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value);

function nationalities(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : value.split(/[\s,;]+/)).map((v) => v.trim()).filter((v) => v !== '');
  return list.length === 0 ? undefined : list;
}

export function toCreateUserInput(params: AddUserParameters): CreateUserInput {
  const locale = { country: given(params.userLocaleCountry), language: given(params.userLocaleLanguage), variant: given(params.userLocaleVariant) };
  const defined = Object.fromEntries(Object.entries(locale).filter(([, v]) => v !== undefined));
  const input: Record<string, unknown> = {
    userKey: params.userKey,
    externalId: given(params.userExternalId),
    email: given(params.userEmail),
    firstName: given(params.userFirstName),
    lastName: given(params.userLastName),
    dateOfBirth: given(params.userDateOfBirth),
    locale: Object.keys(defined).length > 0 ? defined : undefined,
    nationalities: nationalities(params.userNationalities),
    status: given(params.userStatus),
    timezone: given(params.userTimezone),
    type: given(params.userType),
    attributes: params.userAttributes && Object.keys(params.userAttributes).length > 0 ? params.userAttributes : undefined,
  };
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as CreateUserInput;
}

/**
 * The user Add User creates. Requested active (the default) or pending, it is created `pending` and listed as this
 * journey's pending account: it becomes active when the journey's passkey registration completes
 * (activateOnFirstPasskey, in the transaction that stores the passkey) and is deleted when abandoned, so an anonymous
 * journey given up after Add User does not hold the identifier. An abandoned pending account of the same identifier
 * (a sign-up's or another journey's) is replaced. An explicitly locked or disabled user is created as asked.
 */
async function createPendingAccount(ctx: StepContext, storeName: string, input: CreateUserInput): Promise<User> {
  const actor = journeyActor(ctx);
  if (input.status === 'locked' || input.status === 'disabled') return ctx.port.identity.createUser(actor, storeName, input);
  return ctx.port.identity.createPendingUser(actor, storeName, input, `journey:${ctx.journeyId}`);
}

/**
 * TrustX “Add User”: adds a user to an identity store and makes it the journey's user.
 * The fields are checked exactly as the identity store API checks them. A duplicate external ID
 * leaves by `ExtId Not Unique`; anything else refused by `Failed to add the user`, with the error
 * kept in `_identityStore.addUserError` and the failure recorded for Simple Decider.
 */
export const addUserStep = defineStepType({
  type: 'trustx.addUser',
  title: 'Add User',
  family: 'trustx',
  parameterSchema: AddUserParameters,
  outcomes: Object.values(ADD_USER_OUTCOMES),
  // The user it added is the journey's user from then on.
  identifiesUserOn: [ADD_USER_OUTCOMES.success],
  actsOnUsers: () => [{ parameter: 'userKey', act: 'adds a user', permissions: [CREATE_USER_PERMISSION] }],
  writesIdentityStore: true,
  clientFacing: false,
  async run(ctx, params) {
    const input = toCreateUserInput(params);
    const fail = (outcome: string, error: { code: string; detail: string }): { kind: 'outcome'; outcome: string; updates: ContextUpdate[] } => ({
      kind: 'outcome',
      outcome,
      updates: [{ path: ['_identityStore', 'addUserError'], value: error }, failureUpdate(ctx, outcome, error.code)],
    });
    const validate = validateUser();
    if (!validate(input)) {
      const first = validate.errors?.[0];
      const field = `user${(first?.instancePath ?? '').replace(/^\//, '.').replaceAll('/', '.')}`;
      return fail(ADD_USER_OUTCOMES.failed, { code: 'VALIDATION_FAILED', detail: `${field}: ${first?.message ?? 'is not valid'}` });
    }
    try {
      const user = await createPendingAccount(ctx, params.storeName, input);
      return {
        kind: 'outcome',
        outcome: ADD_USER_OUTCOMES.success,
        updates: [{ path: ['_identityStore', 'user'], value: user }, identifiedUser({ storeName: params.storeName, userId: user.id })],
      };
    } catch (error) {
      if (error instanceof KeywayError && error.code === 'EXT_ID_NOT_UNIQUE') return fail(ADD_USER_OUTCOMES.extIdNotUnique, errorOf(error));
      return fail(ADD_USER_OUTCOMES.failed, errorOf(error));
    }
  },
});
