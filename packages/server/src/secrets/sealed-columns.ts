/**
 * Every database column that holds a secret Keyway must be able to read back, sealed with
 * `sealSecret` (the one list the upgrade migration, `keyway keys rotate-master` and the start-up
 * check walk). Secrets Keyway only compares are hashed instead and are not here: client secrets
 * (scrypt), session, flow and journey tokens and page grant ids (SHA-256).
 */
export interface SealedColumn {
  table: 'signing_keys' | 'selfservice_tenant_keys' | 'email_outbox';
  column: string;
  /** The columns that identify a row: bound into the envelope as its additional authenticated data */
  identity: readonly string[];
  /** Rows may hold a value that is not sealed: emptied once used, or written clear before the column was sealed */
  mayBeClear?: true;
}

/** ID-token signing private keys (JWK JSON) */
export const SIGNING_KEY_COLUMN: SealedColumn = { table: 'signing_keys', column: 'private_jwk', identity: ['tenant_id', 'kid'] };
/** The per-tenant HMAC key of self-service's decoy credentials (base64url) */
export const DECOY_KEY_COLUMN: SealedColumn = { table: 'selfservice_tenant_keys', column: 'decoy_key', identity: ['tenant_id'] };

export const SEALED_COLUMNS: readonly SealedColumn[] = [SIGNING_KEY_COLUMN, DECOY_KEY_COLUMN];

/**
 * An e-mail's body in the outbox ({text, html, attachments} JSON: a recovery link or a one-time code) until it is
 * delivered, when it is emptied (''). Bodies queued before this column was sealed stay readable clear until sent.
 * Not in SEALED_COLUMNS (which migration 009 seals and the start-up check requires sealed): its table came later.
 */
export const OUTBOX_BODY_COLUMN: SealedColumn = { table: 'email_outbox', column: 'body', identity: ['id'], mayBeClear: true };

/** What `keyway keys rotate-master` re-wraps. */
export const ROTATED_COLUMNS: readonly SealedColumn[] = [...SEALED_COLUMNS, OUTBOX_BODY_COLUMN];

/** The additional authenticated data of a sealed value: which column of which row it belongs to. */
export function sealedAad(column: SealedColumn, row: Readonly<Record<string, unknown>>): string {
  return [column.table, column.column, ...column.identity.map((name) => String(row[name]))].join('\0');
}
