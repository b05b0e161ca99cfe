import { Type, type Static } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { KeywayError, type FieldProblem } from '../errors/keyway-error.ts';
import type { Schema } from '../storage/schema.ts';
import { safeApplicationUrl } from '../../../hosted/src/return-to.ts';

/**
 * A store's `selfService` configuration: which relying party and policies the browser API
 * uses, whether anyone may sign up, and how long sessions and recovery links live.
 */

export const DEFAULT_SESSION_TTL_SECONDS = 28_800;
export const DEFAULT_RECOVERY_LINK_TTL_SECONDS = 3600;

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 253, description });

export const SelfServiceConfigBody = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Serve the public self-service API and hosted pages for this store' }),
    relyingPartyId: Name('The relying party (its RP ID) the browser ceremonies use; its origins must include KEYWAY_PUBLIC_URL'),
    registrationPolicy: Name('Registration policy for sign-up and recovery'),
    authenticationPolicy: Name('Authentication policy for sign-in'),
    allowSignUp: Type.Boolean({ description: 'Whether anyone may create an account (otherwise accounts come from the admin API)' }),
    sessionTtlSeconds: Type.Optional(
      Type.Integer({
        minimum: 300,
        maximum: 2_592_000,
        default: DEFAULT_SESSION_TTL_SECONDS,
        description: 'Browser session lifetime (absolute), 300 s to 30 days',
      }),
    ),
    recoveryLinkTtlSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 604_800,
        default: DEFAULT_RECOVERY_LINK_TTL_SECONDS,
        description: 'Default recovery link lifetime, 60 s to 7 days',
      }),
    ),
    signUpChallenge: Type.Optional(
      Type.Boolean({
        description:
          'Ask sign-ups for a solved proof-of-work challenge (POST …/register/challenge; @keyway/web solves it), the self-hosted CAPTCHA that slows scripted sign-ups. Default false',
      }),
    ),
    verifyEmail: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Verify e-mail addresses at sign-up: the identifier must then be an e-mail address, which becomes the account’s `email`, and a one-time verification link is e-mailed (needs KEYWAY_SMTP_HOST). Off by default',
      }),
    ),
    accountDeletion: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Let signed-in users delete their own account (DELETE …/me, after a sign-in from the last 5 minutes; the hosted “Your passkeys” page offers it): the account, its passkeys and sessions, and what the OpenID Provider issued for it, as when an administrator deletes it. `false`: that call answers 403 ACCOUNT_DELETION_DISABLED and the page offers no deletion. On by default',
      }),
    ),
    applicationUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'Where users go after a hosted sign-in, sign-up or journey that was not given a `return_to`: an https URL (plain http only for localhost) without user info, or a path on KEYWAY_PUBLIC_URL. Without it, sign-in leads to the “Your passkeys” page',
      }),
    ),
  },
  { title: 'SelfServiceConfigInput', additionalProperties: false },
);

export const SelfServiceConfigSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    relyingPartyId: Type.String(),
    registrationPolicy: Type.String(),
    authenticationPolicy: Type.String(),
    allowSignUp: Type.Boolean(),
    sessionTtlSeconds: Type.Integer(),
    recoveryLinkTtlSeconds: Type.Integer(),
    verifyEmail: Type.Optional(Type.Boolean()),
    signUpChallenge: Type.Optional(Type.Boolean()),
    accountDeletion: Type.Optional(Type.Boolean()),
    applicationUrl: Type.Optional(Type.String()),
  },
  { title: 'SelfServiceConfig' },
);
export type SelfServiceConfig = Static<typeof SelfServiceConfigSchema>;
export type SelfServiceConfigInput = Static<typeof SelfServiceConfigBody>;

export function withDefaults(input: SelfServiceConfigInput): SelfServiceConfig {
  return {
    enabled: input.enabled,
    relyingPartyId: input.relyingPartyId,
    registrationPolicy: input.registrationPolicy,
    authenticationPolicy: input.authenticationPolicy,
    allowSignUp: input.allowSignUp,
    sessionTtlSeconds: input.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS,
    recoveryLinkTtlSeconds: input.recoveryLinkTtlSeconds ?? DEFAULT_RECOVERY_LINK_TTL_SECONDS,
    ...(input.verifyEmail === undefined ? {} : { verifyEmail: input.verifyEmail }),
    ...(input.signUpChallenge === undefined ? {} : { signUpChallenge: input.signUpChallenge }),
    ...(input.accountDeletion === undefined ? {} : { accountDeletion: input.accountDeletion }),
    ...(input.applicationUrl === undefined ? {} : { applicationUrl: input.applicationUrl }),
  };
}

/** Whether the store's users may delete their own account: unless `accountDeletion` is false (absent means on). */
export function allowsAccountDeletion(config: Pick<SelfServiceConfig, 'accountDeletion'>): boolean {
  return config.accountDeletion !== false;
}

/** The stored column back to the configuration; undefined when the store has none. */
export function parseSelfServiceConfig(column: string | null): SelfServiceConfig | undefined {
  return column === null ? undefined : (JSON.parse(column) as SelfServiceConfig);
}

/** Checks a configuration against the store it is for; answers the column to store. */
export type SelfServiceConfigCheck = (executor: Kysely<Schema>, storeId: string, input: SelfServiceConfigInput) => Promise<string>;

/**
 * An enabled configuration must name a relying party and two policies of the same store, and the RP's
 * origins must include the origin that serves the hosted pages (KEYWAY_PUBLIC_URL). A disabled one is kept as
 * given, so a store can be configured first and enabled once its RP and policies exist.
 */
export function selfServiceConfigCheck(publicUrl: string, { emailConfigured = false } = {}): SelfServiceConfigCheck {
  const publicOrigin = new URL(publicUrl).origin;
  return async (executor, storeId, input) => {
    const config = withDefaults(input);
    if (config.verifyEmail && !emailConfigured)
      throw new KeywayError('EMAIL_NOT_CONFIGURED', 'selfService.verifyEmail needs an SMTP server (KEYWAY_SMTP_HOST): this server sends no e-mail');
    if (config.applicationUrl !== undefined) {
      // Stored as the absolute URL it resolves to, so every page reads one form.
      const applicationUrl = safeApplicationUrl(config.applicationUrl, publicOrigin);
      if (applicationUrl === undefined) {
        const message = `must be an https URL (plain http only for localhost) without user info, or a path on ${publicOrigin}; printable ASCII, no backslash or encoded separator`;
        throw new KeywayError('VALIDATION_FAILED', `selfService.applicationUrl: ${message}`, { errors: [{ field: 'selfService.applicationUrl', message }] });
      }
      config.applicationUrl = applicationUrl;
    }
    if (!config.enabled) return JSON.stringify(config);
    const problems: FieldProblem[] = [];
    const rp = await executor
      .selectFrom('relying_parties')
      .select('origins')
      .where('store_id', '=', storeId)
      .where('rp_id', '=', config.relyingPartyId)
      .executeTakeFirst();
    if (!rp) problems.push({ field: 'selfService.relyingPartyId', message: `no relying party ${config.relyingPartyId} in this store; create it first` });
    else if (!(JSON.parse(rp.origins) as string[]).includes(publicOrigin)) {
      problems.push({
        field: 'selfService.relyingPartyId',
        message: `the relying party's origins must include ${publicOrigin} (KEYWAY_PUBLIC_URL), where the hosted pages are served`,
      });
    }
    const registration = await executor
      .selectFrom('registration_policies')
      .select('id')
      .where('store_id', '=', storeId)
      .where('name', '=', config.registrationPolicy)
      .executeTakeFirst();
    if (!registration) problems.push({ field: 'selfService.registrationPolicy', message: `no registration policy ${config.registrationPolicy} in this store` });
    const authentication = await executor
      .selectFrom('authentication_policies')
      .select('id')
      .where('store_id', '=', storeId)
      .where('name', '=', config.authenticationPolicy)
      .executeTakeFirst();
    if (!authentication)
      problems.push({ field: 'selfService.authenticationPolicy', message: `no authentication policy ${config.authenticationPolicy} in this store` });
    if (problems.length > 0) {
      throw new KeywayError('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { errors: problems });
    }
    return JSON.stringify(config);
  };
}
