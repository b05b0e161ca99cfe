import { KeywayError } from '../errors/keyway-error.ts';
import { TIME_ORDERED_ID_PATTERN } from './time-ordered-id.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  cursor?: string | undefined;
  limit?: number | undefined;
}

/**
 * Cursors are opaque to callers: the base64url of the last row's time-ordered id. Lists are keyset
 * paginated on that id (indexed), so a page costs the same however deep it is.
 */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!TIME_ORDERED_ID_PATTERN.test(id)) throw new KeywayError('INVALID_CURSOR', 'cursor: not a cursor this API returned');
  return id;
}

/** Callers fetch `limit + 1` rows; the extra one only tells whether there is a next page. */
export function toPage<Row extends { id: string }, T>(rows: Row[], limit: number, map: (row: Row) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { items: pageRows.map(map), nextCursor: more && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null };
}

export function pageSize(request: PageRequest): number {
  return Math.min(Math.max(request.limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}
