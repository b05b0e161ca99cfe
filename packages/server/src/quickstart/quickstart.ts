import { KeywayError } from '../errors/keyway-error.ts';
import { COMMAND_LINE } from '../journeys/user-acts.ts';
import { installTemplates, type InstallResult } from '../journeys/templates.ts';
import type { Services } from '../services.ts';

/** What the quickstart sets up: the relying party is always `localhost`, the policies `default`. */
export interface QuickstartOptions {
  tenant: string;
  store: string;
  /** Origins of the application's own pages (Keyway's public origin is added: the hosted pages need it). */
  origins: string[];
  /** KEYWAY_PUBLIC_URL */
  publicUrl: string;
}

export type SetupStatus = 'created' | 'updated' | 'unchanged';

export interface QuickstartResult {
  tenant: string;
  tenantStatus: SetupStatus;
  store: string;
  storeStatus: SetupStatus;
  relyingParty: { id: string; origins: string[]; status: SetupStatus };
  registrationPolicy: { name: string; status: SetupStatus };
  authenticationPolicy: { name: string; status: SetupStatus };
  selfServiceStatus: SetupStatus;
  journeys: InstallResult[];
  client: { clientId: string; clientSecret: string; status: 'created' | 'new secret' };
}

export const QUICKSTART_RP_ID = 'localhost';
export const QUICKSTART_POLICY = 'default';
export const QUICKSTART_CLIENT_NAME = 'quickstart';

type QuickstartServices = Pick<Services, 'tenancy' | 'identity' | 'relyingParties' | 'policies' | 'journeyDefinitions' | 'forms'>;

/** Runs `find`; on the not-found code, runs `create` instead. */
async function findOrCreate<T>(notFound: KeywayError['code'], find: () => Promise<T>, create: () => Promise<T>): Promise<{ value: T; created: boolean }> {
  try {
    return { value: await find(), created: false };
  } catch (error) {
    if (!(error instanceof KeywayError) || error.code !== notFound) throw error;
    return { value: await create(), created: true };
  }
}

/**
 * Everything a first passkey sign-in needs, created where absent and reused where present, so a
 * second run changes nothing but the admin client's secret: existing policies are left as they are,
 * the relying party only gains origins it lacks, self-service is switched on with these settings.
 */
export async function runQuickstart(services: QuickstartServices, options: QuickstartOptions): Promise<QuickstartResult> {
  const actor = { tenantId: options.tenant, actor: 'cli' };
  const client = await services.tenancy.resetNamedAdminClient(options.tenant, QUICKSTART_CLIENT_NAME);
  const store = await findOrCreate(
    'STORE_NOT_FOUND',
    () => services.identity.getStore(options.tenant, options.store),
    () => services.identity.createStore(actor, { name: options.store }),
  );

  const wanted = [...new Set([new URL(options.publicUrl).origin, ...options.origins])];
  const rp = await findOrCreate(
    'RELYING_PARTY_NOT_FOUND',
    () => services.relyingParties.get(options.tenant, options.store, QUICKSTART_RP_ID),
    () => services.relyingParties.create(actor, options.store, { id: QUICKSTART_RP_ID, name: options.tenant, origins: wanted }),
  );
  let rpStatus: SetupStatus = rp.created ? 'created' : 'unchanged';
  let origins = rp.value.origins;
  const missing = wanted.filter((origin) => !origins.includes(origin));
  if (missing.length > 0) {
    origins = (await services.relyingParties.update(actor, options.store, QUICKSTART_RP_ID, { origins: [...origins, ...missing] })).origins;
    rpStatus = 'updated';
  }

  const registration = await findOrCreate(
    'POLICY_NOT_FOUND',
    () => services.policies.getRegistrationPolicy(options.tenant, options.store, QUICKSTART_POLICY),
    () => services.policies.createRegistrationPolicy(actor, options.store, { name: QUICKSTART_POLICY }),
  );
  const authentication = await findOrCreate(
    'POLICY_NOT_FOUND',
    () => services.policies.getAuthenticationPolicy(options.tenant, options.store, QUICKSTART_POLICY),
    () => services.policies.createAuthenticationPolicy(actor, options.store, { name: QUICKSTART_POLICY }),
  );

  const current = store.value.selfService;
  const selfService = {
    enabled: true,
    relyingPartyId: QUICKSTART_RP_ID,
    registrationPolicy: QUICKSTART_POLICY,
    authenticationPolicy: QUICKSTART_POLICY,
    allowSignUp: true,
    ...(current === undefined ? {} : { sessionTtlSeconds: current.sessionTtlSeconds, recoveryLinkTtlSeconds: current.recoveryLinkTtlSeconds }),
  };
  const same = current !== undefined && (Object.keys(selfService) as (keyof typeof selfService)[]).every((key) => current[key] === selfService[key]);
  if (!same) await services.identity.updateStore(actor, options.store, { selfService });

  // The quickstart is the server's command line, run by whoever operates the server.
  const journeys = await installTemplates(services, actor, options.store, {
    settings: { relyingPartyId: QUICKSTART_RP_ID, registrationPolicy: QUICKSTART_POLICY, authenticationPolicy: QUICKSTART_POLICY },
    publisher: COMMAND_LINE,
  });
  return {
    tenant: options.tenant,
    tenantStatus: client.tenantCreated ? 'created' : 'unchanged',
    store: options.store,
    storeStatus: store.created ? 'created' : 'unchanged',
    relyingParty: { id: QUICKSTART_RP_ID, origins, status: rpStatus },
    registrationPolicy: { name: QUICKSTART_POLICY, status: registration.created ? 'created' : 'unchanged' },
    authenticationPolicy: { name: QUICKSTART_POLICY, status: authentication.created ? 'created' : 'unchanged' },
    selfServiceStatus: same ? 'unchanged' : current === undefined ? 'created' : 'updated',
    journeys,
    client: { clientId: client.clientId, clientSecret: client.clientSecret, status: client.clientCreated ? 'created' : 'new secret' },
  };
}
