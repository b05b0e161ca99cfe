import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Conventions that hold on both engines:
 * times are epoch milliseconds (bigint), booleans are 0/1 integers, JSON is text.
 */
export interface TenantsTable {
  id: string;
  created_at: number;
}

export interface ApiClientsTable {
  id: string;
  tenant_id: string;
  name: string;
  secret_hash: string;
  permissions: string;
  enabled: number;
  created_at: number;
  updated_at: number;
  secret_rotated_at: number;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

export interface AccessTokensTable {
  token_hash: string;
  client_id: string;
  tenant_id: string;
  scope: string;
  expires_at: number;
  created_at: number;
}

export interface StoresTable {
  id: string;
  tenant_id: string;
  name: string;
  display_name: string | null;
  self_service: string | null;
  created_at: number;
  updated_at: number;
  /** Counts changes of the store, its relying parties and policies (database triggers, migration 022); what in-memory caches check */
  config_version: Generated<number>;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  store_id: string;
  user_key: string;
  /** The comparison form of user_key (shared/identifier.ts), unique per store; NULL only for legacy keys the rule refuses or that collided */
  user_key_normalized: string | null;
  external_id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  date_of_birth: string | null;
  locale_country: string | null;
  locale_language: string | null;
  locale_variant: string | null;
  nationalities: string | null;
  status: string;
  timezone: string | null;
  type: string | null;
  attributes: string;
  user_handle: string | null;
  /** When the current `email` was verified (a verification link followed); null: not verified */
  email_verified_at: number | null;
  created_at: number;
  updated_at: number;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
  /**
   * What a users search (`q`) looks in: user_key, email, external_id, first_name and last_name folded for search
   * (shared/search-fold.ts), one per line. Written with those columns by identity/user-record.ts (userSearchText);
   * migration 038 filled it for the rows before it
   */
  search_text: string;
}

export interface AuditEventsTable {
  id: string;
  tenant_id: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  details: string | null;
  request_id: string | null;
  created_at: number;
}

export interface RelyingPartiesTable {
  id: string;
  tenant_id: string;
  store_id: string;
  rp_id: string;
  name: string;
  /** JSON string[] */
  origins: string;
  /** JSON string[]: origins served in /.well-known/webauthn (WebAuthn L3 related origins) */
  related_origins: string;
  /** JSON string[]: top-level origins that may embed ceremonies in a cross-origin iframe; [] for none */
  top_origins: string;
  /** JSON [{packageName, sha256CertFingerprints[]}] for /.well-known/assetlinks.json */
  android_apps: string;
  /** JSON string[] of TEAMID.bundle.id for /.well-known/apple-app-site-association */
  apple_app_ids: string;
  created_at: number;
  updated_at: number;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

export interface PoliciesTable {
  id: string;
  tenant_id: string;
  store_id: string;
  name: string;
  /** JSON of the policy's settings (RegistrationPolicySettings / AuthenticationPolicySettings) */
  settings: string;
  created_at: number;
  updated_at: number;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

export interface CredentialsTable {
  id: string;
  /** base64url of the raw credential ID; unique across the database */
  credential_id: string;
  tenant_id: string;
  store_id: string;
  user_id: string;
  rp_id: string;
  /** base64url COSE_Key */
  public_key: string;
  algorithm: number;
  sign_count: number;
  /** JSON string[] */
  transports: string;
  aaguid: string;
  backup_eligible: number;
  backed_up: number;
  user_verified: number;
  attestation_format: string;
  attestation_verified: number;
  name: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  /** Where the passkey was created ("Chrome on Android"), from the browser's User-Agent; null when unknown */
  created_device: string | null;
}

export interface CeremonySessionsTable {
  id: string;
  tenant_id: string;
  store_id: string;
  user_id: string | null;
  rp_id: string;
  policy_name: string;
  ceremony: 'registration' | 'authentication';
  /** base64url challenge as sent in the options */
  challenge: string;
  user_handle: string | null;
  /** JSON of the options sent to the client (the expectations for completion) */
  options: string;
  /** JSON of who started it and for what (API, self-service, journey), if anything */
  context: string | null;
  expires_at: number;
  consumed_at: number | null;
  created_at: number;
}

export interface SigningKeysTable {
  kid: string;
  tenant_id: string;
  algorithm: string;
  /** The private JWK (JSON), sealed under the master key (secrets/envelope.ts) */
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/** A custom form or custom page of a tenant; its versions are in journey_content_versions. */
export interface JourneyContentTable {
  id: string;
  tenant_id: string;
  kind: 'form' | 'page';
  name: string;
  description: string | null;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

export interface JourneyContentVersionsTable {
  id: string;
  content_id: string;
  tenant_id: string;
  version: number;
  status: 'draft' | 'published';
  /** The form JSON, or the page HTML */
  body: string;
  created_at: number;
  updated_at: number;
  published_at: number | null;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

/** The database's master key (one row, id 'current'): its id and a check value sealed under it. */
export interface KeywayMasterKeyTable {
  id: string;
  key_id: string;
  check_value: string;
  created_at: number;
  rotated_at: number | null;
}

/** A page version served to one journey session's step (unguessable id, short-lived). */
export interface JourneyPageGrantsTable {
  /** SHA-256 (base64url) of the grant id in the page URL: the id itself is never stored */
  id: string;
  tenant_id: string;
  session_id: string;
  step_id: string;
  version_id: string;
  /** JSON {sessionData, constants} given to the page */
  data: string;
  expires_at: number;
  created_at: number;
}

/** A journey: its editable draft and how many versions have been published. */
export interface JourneysTable {
  id: string;
  tenant_id: string;
  journey_id: string;
  name: string;
  /** JSON of the draft definition (may be invalid: drafts are work in progress) */
  draft: string | null;
  draft_updated_at: number | null;
  latest_version: number;
  created_at: number;
  updated_at: number;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

/** A published, immutable journey definition version. */
export interface JourneyVersionsTable {
  id: string;
  tenant_id: string;
  journey_row_id: string;
  version: number;
  /** JSON of the validated definition */
  definition: string;
  published_by: string;
  published_at: number;
}

/** A running (or finished) journey; `revision` is the compare-and-set counter. */
export interface JourneyInstancesTable {
  id: string;
  tenant_id: string;
  journey_row_id: string;
  version_id: string;
  session_hash: string | null;
  previous_session_hash: string | null;
  status: 'waiting' | 'running' | 'succeeded' | 'rejected';
  current_step: string | null;
  /** JSON {data, options} shown for the current client-facing step */
  presentation: string | null;
  /** JSON of the journey variables (the expression context) */
  vars: string;
  /** The journey user's id (vars.user.userId), for the admin list */
  user_id: string | null;
  /** API client id, or 'public' */
  started_by: string;
  origin: string | null;
  /** SHA-256 (base64url) of the cookie secret of the one browser that may drive the instance; null: any holder of the session id */
  browser_binding: string | null;
  step_deadline: number | null;
  result_code: string | null;
  revision: number;
  expires_at: number;
  created_at: number;
  updated_at: number;
}

/** Browser self-service: flows, sessions, recovery links, rate limits, decoy keys */
export interface SelfServiceTenantKeysTable {
  tenant_id: string;
  /** base64url of 32 random bytes, the HMAC key of decoy credential IDs; sealed under the master key */
  decoy_key: string;
  created_at: number;
}

export interface SelfServiceFlowsTable {
  id: string;
  /** SHA-256 (hex) of the keyway_flow cookie */
  binding_hash: string;
  challenge: string;
  tenant_id: string;
  store_id: string;
  purpose: 'sign-up' | 'sign-in' | 'recovery' | 'add-passkey';
  ceremony_session_id: string;
  identifier: string | null;
  user_id: string | null;
  recovery_link_id: string | null;
  expires_at: number;
  created_at: number;
}

export interface SelfServicePendingSignupsTable {
  user_id: string;
  tenant_id: string;
  store_id: string;
  created_at: number;
  /** `self-service` or `journey:<journeyId>`; null in rows from before migration 010 (self-service) */
  created_by: string | null;
}

export interface SelfServiceSessionsTable {
  id: string;
  /** SHA-256 (hex) of the keyway_session cookie */
  token_hash: string;
  tenant_id: string;
  store_id: string;
  user_id: string;
  /** The passkey the session was signed in with */
  credential_id: string | null;
  /** RFC 8176 methods (JSON array) of a sign-in without a passkey (e.g. ["otp"]); null for a passkey's (derived from it) */
  amr: string | null;
  client_ip: string | null;
  user_agent: string | null;
  created_at: number;
  authenticated_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface SelfServiceRecoveryLinksTable {
  id: string;
  /** SHA-256 (hex) of the one-time token */
  token_hash: string;
  tenant_id: string;
  store_id: string;
  user_id: string;
  created_by: string;
  expires_at: number;
  consumed_at: number | null;
  created_at: number;
}

/** A solved sign-up challenge (selfservice/sign-up-challenge.ts), kept until it expires so it signs up once */
export interface SelfServiceUsedChallengesTable {
  tenant_id: string;
  challenge: string;
  expires_at: number;
}

export interface SelfServiceRateLimitsTable {
  key: string;
  window_start: number;
  count: number;
}

/** Leases of background jobs run by one node at a time */
export interface SchedulerLeasesTable {
  name: string;
  /** The node holding the lease */
  holder: string;
  expires_at: number;
}

/** E-mails to deliver, written in the transaction of the change that sends them (email/email-outbox.ts). */
export interface EmailOutboxTable {
  id: string;
  tenant_id: string;
  /** The user whose account it is about, deleted with them (migration 040); null for other e-mails */
  user_id: string | null;
  to_address: string;
  subject: string;
  /** JSON {text, html, attachments}; '' once sent */
  body: string;
  /** What the e-mail is for, e.g. 'lost-passkey' (for the log and metrics; never its content) */
  purpose: string;
  attempts: number;
  next_attempt_at: number;
  sent_at: number | null;
  failed_at: number | null;
  last_error: string | null;
  created_at: number;
}

/** One-time links that verify a user's e-mail address. */
export interface EmailVerificationsTable {
  id: string;
  /** SHA-256 (hex) of the one-time token */
  token_hash: string;
  tenant_id: string;
  store_id: string;
  user_id: string;
  email: string;
  expires_at: number;
  consumed_at: number | null;
  created_at: number;
}

export interface Schema {
  email_outbox: EmailOutboxTable;
  email_verifications: EmailVerificationsTable;
  scheduler_leases: SchedulerLeasesTable;
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  journey_instances: JourneyInstancesTable;
  tenants: TenantsTable;
  api_clients: ApiClientsTable;
  access_tokens: AccessTokensTable;
  stores: StoresTable;
  users: UsersTable;
  audit_events: AuditEventsTable;
  relying_parties: RelyingPartiesTable;
  registration_policies: PoliciesTable;
  authentication_policies: PoliciesTable;
  credentials: CredentialsTable;
  ceremony_sessions: CeremonySessionsTable;
  signing_keys: SigningKeysTable;
  selfservice_tenant_keys: SelfServiceTenantKeysTable;
  selfservice_flows: SelfServiceFlowsTable;
  selfservice_pending_signups: SelfServicePendingSignupsTable;
  selfservice_sessions: SelfServiceSessionsTable;
  selfservice_recovery_links: SelfServiceRecoveryLinksTable;
  selfservice_rate_limits: SelfServiceRateLimitsTable;
  selfservice_used_challenges: SelfServiceUsedChallengesTable;
  journey_content: JourneyContentTable;
  journey_content_versions: JourneyContentVersionsTable;
  journey_page_grants: JourneyPageGrantsTable;
  keyway_master_key: KeywayMasterKeyTable;
  store_branding: StoreBrandingTable;
  oidc_clients: OidcClientsTable;
  oidc_state: OidcStateTable;
  console_operators: ConsoleOperatorsTable;
  console_operator_credentials: ConsoleOperatorCredentialsTable;
  console_invitations: ConsoleInvitationsTable;
  console_ceremonies: ConsoleCeremoniesTable;
  console_sessions: ConsoleSessionsTable;
  console_access_tokens: ConsoleAccessTokensTable;
  device_keys: DeviceKeysTable;
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  organization_domains: OrganizationDomainsTable;
}

/** A browser's device key bound to a user of a store at passkey registration (passkeys/device-key-service.ts). */
export interface DeviceKeysTable {
  id: string;
  tenant_id: string;
  store_id: string;
  user_id: string;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key */
  key_id: string;
  /** The public key as JSON (JWK: kty, crv, x, y) */
  public_jwk: string;
  credential_id: string | null;
  created_at: number;
  last_seen_at: number | null;
  revoked_at: number | null;
}

/** A store's branding (branding/branding-service.ts): the administrator's settings as JSON, one row per branded store. */
export interface StoreBrandingTable {
  store_id: string;
  tenant_id: string;
  settings: string;
  updated_at: number;
  /** Advanced by every admin-API edit of the row; what its ETag names (migration 027, storage/edit-version.ts) */
  edit_version: Generated<number>;
}

/** An OpenID Connect client of a tenant (oidc/oidc-client-service.ts); lists are JSON arrays. */
export interface OidcClientsTable {
  id: string;
  tenant_id: string;
  store_id: string;
  name: string;
  /** scrypt hash of a confidential client's secret (tenancy/secret-hash.ts); null for a public client */
  secret_hash: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  public: number;
  first_party: number;
  scopes: string;
  login_journey: string | null;
  /** `public` or `pairwise` (OpenID Connect Core §8) */
  subject_type: string;
  created_at: number;
  updated_at: number;
  secret_rotated_at: number | null;
}

/** One artifact of the OpenID Provider (oidc/oidc-adapter.ts): its payload as JSON, keyed by tenant, model and id. */
export interface OidcStateTable {
  tenant_id: string;
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  client_id: string | null;
  /** The user it belongs to (payload.accountId; migration 036) */
  account_id: string | null;
  user_code: string | null;
  uid: string | null;
  /** ms since the epoch; null for artifacts without an expiry */
  expires_at: number | null;
  consumed_at: number | null;
  /** ms since the epoch when first stored (migration 028); null for rows stored before it */
  created_at: number | null;
}

/** An operator of the console (console/): a person administering the tenant, not an end user of a store. */
export interface ConsoleOperatorsTable {
  id: string;
  tenant_id: string;
  display_name: string;
  /** owner | admin | support | viewer */
  role: string;
  /** base64url WebAuthn user handle */
  user_handle: string;
  created_at: number;
  updated_at: number;
}

/** An operator's passkey, for Keyway itself as relying party. */
export interface ConsoleOperatorCredentialsTable {
  id: string;
  /** base64url of the raw credential ID */
  credential_id: string;
  tenant_id: string;
  operator_id: string;
  /** base64url COSE_Key */
  public_key: string;
  algorithm: number;
  sign_count: number;
  /** JSON string[] */
  transports: string;
  aaguid: string;
  backup_eligible: number;
  backed_up: number;
  name: string | null;
  created_at: number;
  last_used_at: number | null;
}

/** A one-time enrolment link for a new operator of a role. */
export interface ConsoleInvitationsTable {
  id: string;
  /** SHA-256 (hex) of the token in the link */
  token_hash: string;
  tenant_id: string;
  role: string;
  created_by: string;
  expires_at: number;
  consumed_at: number | null;
  /** When it was revoked unused (by a caller, or as its creator was removed or demoted); it then enrols nobody */
  revoked_at: number | null;
  /** The operator it enrolled */
  operator_id: string | null;
  created_at: number;
}

/** A console passkey ceremony in flight, found by its challenge. */
export interface ConsoleCeremoniesTable {
  id: string;
  challenge: string;
  tenant_id: string;
  /** enrolment | sign-in | add-passkey */
  purpose: string;
  invitation_id: string | null;
  operator_id: string | null;
  user_handle: string | null;
  display_name: string | null;
  /** SHA-256 (hex) of the starting browser's keyway_console_ceremony cookie; only that browser finishes it */
  browser_binding: string | null;
  expires_at: number;
  created_at: number;
}

export interface ConsoleSessionsTable {
  id: string;
  /** SHA-256 (hex) of the keyway_console cookie */
  token_hash: string;
  tenant_id: string;
  operator_id: string;
  credential_id: string;
  created_at: number;
  /** Its last recorded use (at most once a minute); unused for 60 minutes it has ended. Null: from before migration 037 */
  last_used_at: number | null;
  expires_at: number;
  revoked_at: number | null;
}

export interface ConsoleAccessTokensTable {
  /** SHA-256 (hex) of the bearer token */
  token_hash: string;
  session_id: string;
  tenant_id: string;
  operator_id: string;
  expires_at: number;
  created_at: number;
}

/** An organization (B2B) inside an identity store (organizations/organization-service.ts); `policy` is its sign-in policy as JSON. */
export interface OrganizationsTable {
  id: string;
  tenant_id: string;
  store_id: string;
  name: string;
  name_key: string;
  display_name: string | null;
  policy: string;
  created_at: number;
  updated_at: number;
  edit_version: Generated<number>;
}

/** A user's membership of an organization; `roles` is a JSON string[]. */
export interface OrganizationMembersTable {
  id: string;
  tenant_id: string;
  store_id: string;
  organization_id: string;
  user_id: string;
  roles: string;
  created_at: number;
  updated_at: number;
}

/** An e-mail domain an organization claims; verified_at is set when an administrator marks it verified. */
export interface OrganizationDomainsTable {
  id: string;
  tenant_id: string;
  store_id: string;
  organization_id: string;
  domain: string;
  verification_token: string;
  verified_at: number | null;
  created_at: number;
}
