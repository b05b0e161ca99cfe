import type { Kysely } from 'kysely';
import type { KeywayError } from '../errors/keyway-error.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import type { SigningKeyService } from '../tokens/signing-key-service.ts';
import type { CredentialKeyCache } from './credential-key-cache.ts';
import type { MetadataProvider } from './mds-blob.ts';
import type { PolicyService } from './policy-service.ts';
import type { RelyingPartyService } from './relying-party-service.ts';

/** What the ceremonies depend on, passed in (no singletons), narrowed to the methods they call. */
export interface CeremonyDeps {
  db: Kysely<Schema>;
  clock: Clock;
  identity: Pick<IdentityService, 'findStore' | 'createUser'>;
  relyingParties: Pick<RelyingPartyService, 'findForStore'>;
  policies: Pick<PolicyService, 'findRegistrationPolicyForStore' | 'findAuthenticationPolicyForStore'>;
  signingKeys: Pick<SigningKeyService, 'signIdToken'>;
  /** Imported credential public keys for sign-ins; default: a cache of its own with the default bound */
  credentialKeys?: CredentialKeyCache | undefined;
  /** FIDO metadata BLOBs for policies whose attestationTrust names one */
  metadata?: MetadataProvider | undefined;
}

/** A started ceremony: the options for the browser and the session that completes it. */
export interface StartedCeremony<Options> {
  clientRequest: Options;
  sessionId: string;
  /** When the session expires (the policy timeout after the start) */
  expiresAt: string;
}

/**
 * Runs first inside the transaction that starts a ceremony (self-service charges its rate limits there: one commit,
 * not two). A refusal it returns ends the start: what the hook wrote is committed, nothing else is, and the refusal is
 * thrown.
 */
export type CeremonyStartAdmission = (trx: Kysely<Schema>) => Promise<KeywayError | undefined>;

/** A caller's own write, made inside the transaction that stores the ceremony session (e.g. self-service binds the browser's flow): one commit, not two. */
export type CeremonyStartHook = (trx: Kysely<Schema>, started: { sessionId: string; challenge: string; expiresAt: string }) => Promise<void>;
