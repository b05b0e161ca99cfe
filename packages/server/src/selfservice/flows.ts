import type { Insertable, Kysely, Selectable } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import { rowsOfDeleted } from '../identity/deletion-hooks.ts';
import { newTimeOrderedId } from '../shared/time-ordered-id.ts';
import type { Schema, SelfServiceFlowsTable } from '../storage/schema.ts';
import { hashBrowserToken, isBrowserToken } from './browser-tokens.ts';
import { precompiled } from '../storage/precompiled-query.ts';
import { everyColumn, JoinedRowSplit, prefixedColumns, qualifiedColumns } from '../storage/joined-row.ts';
import { CEREMONY_SESSION_COLUMNS, type CeremonySessionRow } from '../passkeys/ceremony-session-store.ts';

/**
 * A ceremony a browser started: bound to that browser by the hash of its keyway_flow cookie and found at
 * finish by the challenge the response signed, so one browser can run several ceremonies at once (an autofill
 * request waiting while the user clicks "sign in with a passkey") and no other browser can finish them.
 */

export type FlowRow = Selectable<SelfServiceFlowsTable>;
/** Every column of a flow row, for the statement that reads one with its ceremony session (storage/joined-row.ts). */
const FLOW_COLUMNS = everyColumn<FlowRow>({
  id: true,
  binding_hash: true,
  challenge: true,
  tenant_id: true,
  store_id: true,
  purpose: true,
  ceremony_session_id: true,
  identifier: true,
  user_id: true,
  recovery_link_id: true,
  expires_at: true,
  created_at: true,
});
export type FlowPurpose = SelfServiceFlowsTable['purpose'];

export interface NewFlow {
  bindingToken: string;
  challenge: string;
  tenantId: string;
  storeId: string;
  purpose: FlowPurpose;
  ceremonySessionId: string;
  identifier?: string | undefined;
  userId?: string | undefined;
  recoveryLinkId?: string | undefined;
  expiresAt: string;
  now: Date;
}

export async function insertFlow(db: Kysely<Schema>, flow: NewFlow): Promise<void> {
  await insertFlowRow.execute(db, {
    id: newTimeOrderedId(flow.now),
    binding_hash: hashBrowserToken(flow.bindingToken),
    challenge: flow.challenge,
    tenant_id: flow.tenantId,
    store_id: flow.storeId,
    purpose: flow.purpose,
    ceremony_session_id: flow.ceremonySessionId,
    identifier: flow.identifier ?? null,
    user_id: flow.userId ?? null,
    recovery_link_id: flow.recoveryLinkId ?? null,
    expires_at: Date.parse(flow.expiresAt),
    created_at: flow.now.getTime(),
  });
}

// Every browser ceremony starts, finds and ends its flow: built once.
const insertFlowRow = precompiled((db, row: Insertable<SelfServiceFlowsTable>) => db.insertInto('selfservice_flows').values(row));
const deleteFlowRow = precompiled((db, v: { id: string }) => db.deleteFrom('selfservice_flows').where('id', '=', v.id));
// A finish reads its flow with the flow's ceremony session, in one statement (left join: a missing session is the
// ceremony's own SESSION_NOT_FOUND to answer).
const flowWithSession = new JoinedRowSplit<FlowRow, CeremonySessionRow>(FLOW_COLUMNS, CEREMONY_SESSION_COLUMNS, 'session_');
const selectFlowWithSession = precompiled((db, v: { bindingHash: string; challenge: string }) =>
  db
    .selectFrom('selfservice_flows')
    .leftJoin('ceremony_sessions', 'ceremony_sessions.id', 'selfservice_flows.ceremony_session_id')
    .select(qualifiedColumns('selfservice_flows', FLOW_COLUMNS))
    .select(prefixedColumns('ceremony_sessions', CEREMONY_SESSION_COLUMNS, 'session_'))
    .where('selfservice_flows.binding_hash', '=', v.bindingHash)
    .where('selfservice_flows.challenge', '=', v.challenge),
);

/** The challenge a WebAuthn response answers (its clientDataJSON), only to find the flow; the ceremony verifies it. */
export function challengeOf(response: unknown): string {
  const encoded = (response as { response?: { clientDataJSON?: unknown } } | undefined)?.response?.clientDataJSON;
  try {
    const challenge = (JSON.parse(Buffer.from(String(encoded), 'base64url').toString('utf8')) as { challenge?: unknown }).challenge;
    if (typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 512) return challenge;
  } catch {
    // reported below
  }
  throw new KeywayError('RESPONSE_MALFORMED', 'response.clientDataJSON must be base64url of the client data JSON with a challenge');
}

function flowNotFound(): KeywayError {
  return new KeywayError(
    'FLOW_NOT_FOUND',
    'This browser started no matching ceremony (the keyway_flow cookie is missing, or the response answers another challenge); start again',
  );
}

/**
 * The flow of this browser (cookie) for this response (challenge), store and purpose, or FLOW_NOT_FOUND; with the
 * flow's ceremony session as stored (undefined when there is none), which is the ceremony's to check (its completion
 * checks a row it is handed as one it reads: ceremony-session-store.ts).
 */
export async function findFlow(
  db: Kysely<Schema>,
  scope: { tenantId: string; storeId: string; purpose: FlowPurpose },
  bindingToken: string | undefined,
  challenge: string,
): Promise<{ flow: FlowRow; session: CeremonySessionRow | undefined }> {
  const row = isBrowserToken(bindingToken) ? await selectFlowWithSession.first(db, { bindingHash: hashBrowserToken(bindingToken), challenge }) : undefined;
  if (!row || row.tenant_id !== scope.tenantId || row.store_id !== scope.storeId || row.purpose !== scope.purpose) throw flowNotFound();
  const { first: flow, second: session } = flowWithSession.split(row);
  return { flow, session };
}

export async function deleteFlow(db: Kysely<Schema>, id: string): Promise<void> {
  await deleteFlowRow.execute(db, { id });
}

/**
 * A deleted user's or store's unfinished browser ceremonies go with it (a deletion hook of identity, deletion-hooks.ts):
 * a flow holds the identifier the user typed. On PostgreSQL the foreign keys would take them too; on SQLite they live
 * in the ephemeral file (storage/ephemeral-sqlite.ts), which no foreign key reaches, and would stay until a day after
 * they expire.
 */
export const selfServiceFlowsOfDeleted = rowsOfDeleted('selfservice_flows', 'selfServiceFlows');
