import type { OperationNode } from 'kysely';
import { EPHEMERAL_TABLES } from './ephemeral-sqlite.ts';

interface NamedTable {
  kind: 'TableNode';
  table: { identifier: { name: string } };
}

function tableName(node: OperationNode | undefined): string | undefined {
  if (node?.kind === 'TableNode') return (node as unknown as NamedTable).table.identifier.name;
  if (node?.kind === 'AliasNode') return tableName((node as unknown as { node: OperationNode }).node);
  return undefined;
}

/**
 * The one table an insert, update or delete built with Kysely writes; undefined for anything else (raw SQL, DDL, a
 * delete from several tables), which callers must then treat as writing anywhere.
 */
export function writtenTable(node: OperationNode): string | undefined {
  switch (node.kind) {
    case 'InsertQueryNode':
      return tableName((node as unknown as { into?: OperationNode }).into);
    case 'UpdateQueryNode':
      return tableName((node as unknown as { table?: OperationNode }).table);
    case 'DeleteQueryNode': {
      const froms = (node as unknown as { from: { froms: readonly OperationNode[] } }).from.froms;
      return froms.length === 1 ? tableName(froms[0]) : undefined;
    }
    default:
      return undefined;
  }
}

const EPHEMERAL = new Set<string>(EPHEMERAL_TABLES);

/** Whether a write touches only ephemeral state (ephemeral-sqlite.ts): such a commit never waits for the disk. */
export function writesOnlyEphemeralState(node: OperationNode): boolean {
  const table = writtenTable(node);
  return table !== undefined && EPHEMERAL.has(table);
}
