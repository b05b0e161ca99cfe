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

export interface Schema {
  tenants: TenantsTable;
  api_clients: ApiClientsTable;
  access_tokens: AccessTokensTable;
  stores: StoresTable;
  users: UsersTable;
  audit_events: AuditEventsTable;
}
