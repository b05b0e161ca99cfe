/**
 * Two rows read together in one statement (a finish's flow and its ceremony session; a credential and its user): the
 * second table's columns are selected under a prefix and split off again. A statement saved on every sign-in.
 */

/** Every column of a row type, from an object naming each one: a column added to the table and not here fails to compile. */
export function everyColumn<Row>(columns: { [Column in keyof Row & string]: true }): (keyof Row & string)[] {
  return Object.keys(columns) as (keyof Row & string)[];
}

/** `table.column as prefixcolumn` for each column, for Kysely's select. */
export function prefixedColumns<Table extends string, Column extends string, Prefix extends string>(
  table: Table,
  columns: readonly Column[],
  prefix: Prefix,
): `${Table}.${Column} as ${Prefix}${Column}`[] {
  return columns.map((column) => `${table}.${column} as ${prefix}${column}` as const);
}

/**
 * Splits a joined row: the prefixed columns, unprefixed, as the second row (undefined when its `id` is null: a left
 * join found none), and the rest as the first.
 */
export function splitJoinedRow<First, Second>(row: object, prefix: string): { first: First; second: Second | undefined } {
  const first: Record<string, unknown> = {};
  const second: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column.startsWith(prefix)) second[column.slice(prefix.length)] = value;
    else first[column] = value;
  }
  return { first: first as First, second: second.id === null || second.id === undefined ? undefined : (second as Second) };
}
