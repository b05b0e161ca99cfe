import { isSealed, rewrapSecret } from './envelope.ts';
import type { MasterKey } from './master-key.ts';
import { MasterKeyError, replaceMasterKey, verifyMasterKey, type AnyDb } from './master-key-check.ts';
import { ROTATED_COLUMNS, sealedAad } from './sealed-columns.ts';

/**
 * Re-wraps every data key under `to` and records `to` as the master key, in one transaction:
 * either every envelope and the check value move to the new key, or nothing changes. The sealed
 * secrets themselves are not re-encrypted (their data keys stay the same).
 */
export async function rotateMasterKey(db: AnyDb, from: MasterKey, to: MasterKey, now: number): Promise<{ rewrapped: number }> {
  if (from.id === to.id) throw new MasterKeyError(`the new master key is the current one (key id ${from.id})`);
  return db.transaction().execute(async (trx) => {
    await verifyMasterKey(trx, from, now);
    let rewrapped = 0;
    for (const column of ROTATED_COLUMNS) {
      const rows = (await trx
        .selectFrom(column.table)
        .select([...column.identity, column.column])
        .execute()) as Record<string, string>[];
      for (const row of rows) {
        if (column.mayBeClear && !isSealed(row[column.column]!)) continue;
        let update = trx.updateTable(column.table).set({ [column.column]: rewrapSecret(row[column.column]!, sealedAad(column, row), from, to) });
        for (const name of column.identity) update = update.where(name, '=', row[name]);
        await update.execute();
        rewrapped++;
      }
    }
    await replaceMasterKey(trx, to, now);
    return { rewrapped };
  });
}
