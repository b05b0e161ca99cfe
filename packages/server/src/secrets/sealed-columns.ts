/**
 * Every database column that holds a secret Keyway must be able to read back, sealed with
 * `sealSecret` (the one list the upgrade migration, `keyway keys rotate-master` and the start-up
 * check walk). Secrets Keyway only compares are hashed instead and are not here: client secrets
 * (scrypt), session, flow and journey tokens and page grant ids (SHA-256).
 */
export interface SealedColumn {
  table: 'signing_keys' | 'selfservice_tenant_keys';
  column: string;
  /** The columns that identify a row: bound into the envelope as its additional authenticated data */
  identity: readonly string[];
}

/** ID-token signing private keys (JWK JSON) */
export const SIGNING_KEY_COLUMN: SealedColumn = { table: 'signing_keys', column: 'private_jwk', identity: ['tenant_id', 'kid'] };
/** The per-tenant HMAC key of self-service's decoy credentials (base64url) */
export const DECOY_KEY_COLUMN: SealedColumn = { table: 'selfservice_tenant_keys', column: 'decoy_key', identity: ['tenant_id'] };

export const SEALED_COLUMNS: readonly SealedColumn[] = [SIGNING_KEY_COLUMN, DECOY_KEY_COLUMN];

/** The additional authenticated data of a sealed value: which column of which row it belongs to. */
export function sealedAad(column: SealedColumn, row: Readonly<Record<string, unknown>>): string {
  return [column.table, column.column, ...column.identity.map((name) => String(row[name]))].join('\0');
}
