import { SqliteQueryCompiler, ValueNode, type LimitNode, type OffsetNode, type OperationNode } from 'kysely';

/**
 * Kysely's SQLite compiler, except that a LIMIT or OFFSET given as an integer is written into the SQL text instead of
 * being bound as a parameter.
 *
 * SQLite (3.53, bundled with Node 24) plans with the value bound to a LIMIT or OFFSET parameter, and so marks the
 * statement to be compiled again whenever that parameter is bound anew (`sqlite3VdbeSetVarmask`). node:sqlite binds
 * every parameter on every run, so a cached prepared statement with `limit ?` was compiled again on every run: every
 * identifier-first sign-in re-prepared its passkey list (`perf probe` on `sqlite3Reprepare`: one per sign-in, the only
 * statement of the ceremony that was). Written as a literal, the limit is part of the statement's text, and the
 * statement is prepared once per distinct value and then reused from the statement cache (node-sqlite-dialect.ts).
 *
 * Only safe integers are written out (their decimal text cannot be anything but a number); any other value — a
 * precompiled query's marker (precompiled-query.ts), an expression — stays a parameter. PostgreSQL keeps parameters.
 */
export class LiteralLimitSqliteQueryCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    super.visitLimit({ ...node, limit: literalIfInteger(node.limit) });
  }

  protected override visitOffset(node: OffsetNode): void {
    super.visitOffset({ ...node, offset: literalIfInteger(node.offset) });
  }
}

function literalIfInteger(node: OperationNode): OperationNode {
  if (!ValueNode.is(node) || node.immediate) return node;
  const { value } = node;
  const integer = (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';
  return integer ? ValueNode.createImmediate(value) : node;
}
