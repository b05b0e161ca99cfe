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
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  store_id: string;
  user_key: string;
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
  created_at: number;
  updated_at: number;
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
  /** JSON [{packageName, sha256CertFingerprints[]}] for /.well-known/assetlinks.json */
  android_apps: string;
  /** JSON string[] of TEAMID.bundle.id for /.well-known/apple-app-site-association */
  apple_app_ids: string;
  created_at: number;
  updated_at: number;
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
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export interface Schema {
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
}
