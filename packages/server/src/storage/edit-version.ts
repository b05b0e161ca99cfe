import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { KeywayError } from '../errors/keyway-error.ts';
import type { EDITABLE_TABLES } from './migrations/027-edit-versions.ts';
import type { Schema } from './schema.ts';

/**
 * Optimistic concurrency made atomic: each editable row carries `edit_version` (migration 027), its ETag names that
 * version (and the row, so a deleted and re-created resource does not match an old tag), and a write claims the
 * version with one conditional UPDATE inside the transaction that makes the change and appends its audit event.
 * Two writers holding the same ETag cannot both pass: on PostgreSQL the second UPDATE waits for the first's row lock
 * and then re-reads the row, whose version has moved; on SQLite writers are serialised. The loser's transaction
 * throws EDIT_CONFLICT and rolls back whole.
 */
export type EditableTable = (typeof EDITABLE_TABLES)[number];

/** The ETag of a row at a version (RFC 9110 §8.8.3): `"<version>.<row tag>"`. */
export function editEtag(rowId: string, version: number): string {
  return `"${version}.${rowTag(rowId)}"`;
}

function rowTag(rowId: string): string {
  return createHash('sha256').update(rowId).digest('base64url').slice(0, 12);
}

/** What a write was asked to expect (its If-Match) and, once it has claimed the row, the ETag it leaves. */
export class EditPrecondition {
  /** `*` (any current version), or the entity tags listed; undefined when the write sent no If-Match. */
  readonly #ifMatch: '*' | string[] | undefined;
  /** The row's ETag after the write claimed it */
  written: string | undefined;

  constructor(ifMatch: string | undefined) {
    // RFC 9110 §13.1.1: `*` or a list of entity tags; a weak tag compares like a strong one here (a version either matches or not).
    this.#ifMatch = ifMatch === undefined ? undefined : ifMatch.trim() === '*' ? '*' : ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  }

  /** The versions of this row that If-Match accepts: undefined for any, [] for none (a tag of another row, or not one of ours). */
  versionsFor(rowId: string): number[] | undefined {
    if (this.#ifMatch === undefined || this.#ifMatch === '*') return undefined;
    const suffix = `.${rowTag(rowId)}"`;
    return this.#ifMatch.flatMap((tag) => {
      const version = /^"(\d{1,15})\./.exec(tag)?.[1];
      return version !== undefined && tag.endsWith(suffix) ? [Number(version)] : [];
    });
  }
}

type RowKey = { column: 'id'; value: string } | { column: 'store_id'; value: string };

/**
 * Advances a row's edit version, on the condition If-Match put on it; call it in the write's transaction, before or
 * after the change (the transaction rolls back whole on a conflict). Every write through the admin API advances the
 * version, with If-Match or without. Answers whether the row exists (false: nothing to claim, e.g. a branding not yet
 * saved); throws EDIT_CONFLICT when it exists at a version If-Match does not accept.
 */
export async function claimEdit(
  trx: Kysely<Schema>,
  edit: EditPrecondition | undefined,
  table: EditableTable,
  key: RowKey,
  tagId: string = key.value,
): Promise<boolean> {
  const accepted = edit?.versionsFor(tagId);
  let update = trx
    .updateTable(table)
    .set((eb) => ({ edit_version: eb('edit_version', '+', 1) }))
    .where(key.column as 'id', '=', key.value);
  if (accepted !== undefined) update = update.where('edit_version', 'in', accepted);
  // An If-Match that names no version of this row cannot be met: only whether the row exists is left to tell.
  const claimed = accepted?.length === 0 ? undefined : await update.returning('edit_version').executeTakeFirst();
  if (claimed) {
    if (edit) edit.written = editEtag(tagId, claimed.edit_version);
    return true;
  }
  const exists = await trx
    .selectFrom(table)
    .select('edit_version')
    .where(key.column as 'id', '=', key.value)
    .executeTakeFirst();
  if (exists) throw conflict(editEtag(tagId, exists.edit_version));
  // No row: a write that creates it (a branding's first save) may expect the version an absent row reads as, 0.
  if (accepted !== undefined && !accepted.includes(0)) throw conflict(undefined);
  return false;
}

/** `edit_version` one up, set in a write's own UPDATE of the row: the new version costs no second statement. */
export const nextEditVersion = sql<number>`edit_version + 1`;

/**
 * Advances a row's edit version for a write that takes no If-Match and has no UPDATE of its own on the row (there,
 * set `nextEditVersion` instead) because it is not the resource's own edit: a
 * secret rotation, a publish, a membership change, the user's own activation or e-mail verification. The row's
 * representation (or what it stands for) changed, so an edit form opened before it must meet EDIT_CONFLICT rather than
 * overwrite it. A missing row is left alone (the caller has already found it, or the write's WHERE did not match).
 */
export async function advanceEdit(trx: Kysely<Schema>, table: EditableTable, key: RowKey): Promise<void> {
  await claimEdit(trx, undefined, table, key);
}

/** The ETag of a row a write has just created (at version 1, so that no tag read while it was absent matches it). */
export function created(edit: EditPrecondition | undefined, tagId: string): void {
  if (edit) edit.written = editEtag(tagId, 1);
}

function conflict(current: string | undefined): KeywayError {
  return new KeywayError('EDIT_CONFLICT', 'This was changed by someone else since you loaded it: load it again, then make your change again', {
    ...(current === undefined ? {} : { headers: { etag: current } }),
  });
}
