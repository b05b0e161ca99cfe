// The bench's data set: N active users of one store, one ES256 passkey each (real keys from a pool derived from a
// seed, so the load generator can sign in as any of them) and `auditPerUser` audit events per user, written with
// bulk inserts straight into the database (never through the API: a million sign-ups would take hours).
// SQLite: multi-row prepared INSERTs in large transactions on the server's file, with synchronous=OFF for the
// seeding connection only (a seed is rebuilt, not recovered). PostgreSQL: one INSERT … SELECT FROM unnest() of
// 10,000 rows per statement. Audit rows are generated inside the engine (a recursive CTE / generate_series). Both
// end as an operator's restore would: statistics gathered and the load written out (checkpoint), so the sign-ins
// measured next do not pay for the load.
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import pg from 'pg';
import { userSearchText } from '../packages/server/src/identity/user-record.ts';
import { KEY_POOL, seededKey, seededUser } from './authenticator.ts';

export interface SeedOptions {
  databaseUrl: string;
  tenantId: string;
  storeName: string;
  rpId: string;
  seed: string;
  /** Users [from, to) are written */
  from: number;
  to: number;
  auditPerUser: number;
}

/** Seeded rows are dated from here on: before anything a live server writes, so time-ordered ids never collide. */
const BASE_MS = Date.UTC(2026, 0, 1);
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
/** A 26-character time-ordered id like newTimeOrderedId's, deterministic: `tag` keeps users, credentials and events apart. */
const seededId = (tag: 'su' | 'sc', i: number) => hex(BASE_MS + Math.floor(i / 16), 12) + hex(i % 16, 4) + tag + hex(i, 8);

type ColumnType = 'text' | 'bigint' | 'integer';
type Row = Record<string, string | number | null>;

/** The columns the seeder writes, with their PostgreSQL types (for unnest). */
const USER_COLUMNS: Record<string, ColumnType> = {
  id: 'text',
  tenant_id: 'text',
  store_id: 'text',
  user_key: 'text',
  user_key_normalized: 'text',
  external_id: 'text',
  email: 'text',
  status: 'text',
  attributes: 'text',
  user_handle: 'text',
  created_at: 'bigint',
  updated_at: 'bigint',
  search_text: 'text',
};
const CREDENTIAL_COLUMNS: Record<string, ColumnType> = {
  id: 'text',
  credential_id: 'text',
  tenant_id: 'text',
  store_id: 'text',
  user_id: 'text',
  rp_id: 'text',
  public_key: 'text',
  algorithm: 'integer',
  sign_count: 'bigint',
  transports: 'text',
  aaguid: 'text',
  backup_eligible: 'integer',
  backed_up: 'integer',
  user_verified: 'integer',
  attestation_format: 'text',
  attestation_verified: 'integer',
  created_at: 'bigint',
  updated_at: 'bigint',
};

function rowsFor(options: SeedOptions, storeId: string, i: number, publicKeys: string[]): { user: Row; credential: Row } {
  const seeded = seededUser(options.seed, i);
  const at = BASE_MS + Math.floor(i / 16);
  const userId = seededId('su', i);
  const searched = { user_key: seeded.identifier, email: seeded.identifier, external_id: `seeded-${i}`, first_name: null, last_name: null };
  return {
    user: {
      id: userId,
      tenant_id: options.tenantId,
      store_id: storeId,
      user_key: seeded.identifier,
      // The identifiers are already in their comparison form (lower-case ASCII).
      user_key_normalized: seeded.identifier,
      external_id: searched.external_id,
      email: seeded.identifier,
      // What the users search looks in, as the server writes it (ASCII: its fold is a lower-casing, cheap per row).
      search_text: userSearchText(searched),
      status: 'active',
      attributes: '{}',
      user_handle: seeded.userHandle,
      created_at: at,
      updated_at: at,
    },
    credential: {
      id: seededId('sc', i),
      credential_id: seeded.credentialId,
      tenant_id: options.tenantId,
      store_id: storeId,
      user_id: userId,
      rp_id: options.rpId,
      public_key: publicKeys[seeded.keyIndex]!,
      algorithm: -7,
      sign_count: 0,
      transports: '["internal"]',
      aaguid: '00000000-0000-0000-0000-000000000000',
      backup_eligible: 0,
      backed_up: 0,
      user_verified: 1,
      attestation_format: 'none',
      attestation_verified: 0,
      created_at: at,
      updated_at: at,
    },
  };
}

/** The table's columns: every NOT NULL one without a default must be one the seeder writes (the schema may have grown). */
function checkColumns(table: string, present: { name: string; required: boolean }[], written: Record<string, ColumnType>): string[] {
  const missing = present.filter((c) => c.required && !(c.name in written)).map((c) => c.name);
  if (missing.length > 0) throw new Error(`the seeder does not fill ${table}.${missing.join(', ')} (NOT NULL): teach bench/seed.ts`);
  const names = new Set(present.map((c) => c.name));
  return Object.keys(written).filter((name) => names.has(name));
}

/** Audit events: `auditPerUser` per seeded user, generated in SQL; ids, targets and times follow seededId. */
function auditSql(dialect: 'sqlite' | 'postgres'): string {
  const idOf = (n: string, tag: string) =>
    dialect === 'sqlite'
      ? `printf('%012x%04x', ${BASE_MS} + ${n} / 16, ${n} % 16) || '${tag}' || printf('%08x', ${n})`
      : `lpad(to_hex(${BASE_MS}::bigint + ${n} / 16), 12, '0') || lpad(to_hex(${n} % 16), 4, '0') || '${tag}' || lpad(to_hex(${n}), 8, '0')`;
  const p = dialect === 'sqlite' ? ['?1', '?2', '?3', '?4'] : ['$1::bigint', '$2::bigint', '$3::text', '$4::bigint'];
  const series = dialect === 'sqlite' ? `with recursive g(x) as (select ${p[0]} union all select x + 1 from g where x < ${p[1]} - 1)` : '';
  const from = dialect === 'sqlite' ? 'from g' : `from generate_series(${p[0]}, ${p[1]} - 1) as g(x)`;
  // x: the event number; x / perUser: its user.
  return `insert into audit_events (id, tenant_id, actor, action, target_type, target_id, outcome, details, request_id, created_at)
    ${series} select ${idOf('x', 'sa')}, ${p[2]}, 'self-service', 'selfservice.signIn', 'user', ${idOf(`(x / ${p[3]})`, 'su')}, 'success',
    '{"store":"seeded"}', null, ${BASE_MS} + x / 16 ${from}`;
}

/** Writes users [from, to) with their credentials and audit events; answers the seconds it took. */
export async function seedDataSet(options: SeedOptions, progress: (done: number) => void = () => {}): Promise<number> {
  const started = performance.now();
  const publicKeys = Array.from({ length: KEY_POOL }, (_, k) => Buffer.from(seededKey(options.seed, k).cose).toString('base64url'));
  if (options.databaseUrl.startsWith('sqlite:')) await seedSqlite(options, publicKeys, progress);
  else await seedPostgres(options, publicKeys, progress);
  return (performance.now() - started) / 1000;
}

const SQLITE_ROWS_PER_STATEMENT = 500;
const SQLITE_ROWS_PER_TRANSACTION = 50_000;

async function seedSqlite(options: SeedOptions, publicKeys: string[], progress: (done: number) => void): Promise<void> {
  const db = new DatabaseSync(options.databaseUrl.slice('sqlite:'.length));
  try {
    // A large page cache: the unique indexes on random keys (credential ID, user handle) are written all over.
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = OFF; PRAGMA cache_size = -524288;');
    const store = db.prepare('select id from stores where tenant_id = ? and name = ?').get(options.tenantId, options.storeName) as { id: string } | undefined;
    if (!store) throw new Error(`no store ${options.storeName} in tenant ${options.tenantId}`);
    const columnsOf = (table: string) =>
      (db.prepare(`pragma table_info(${table})`).all() as { name: string; notnull: number; dflt_value: unknown; pk: number }[]).map((c) => ({
        name: c.name,
        required: c.notnull === 1 && c.dflt_value === null,
      }));
    const userColumns = checkColumns('users', columnsOf('users'), USER_COLUMNS);
    const credentialColumns = checkColumns('credentials', columnsOf('credentials'), CREDENTIAL_COLUMNS);
    const insert = (table: string, columns: string[], rows: number) =>
      db.prepare(
        `insert into ${table} (${columns.join(', ')}) values ${Array.from({ length: rows }, () => `(${columns.map(() => '?').join(', ')})`).join(', ')}`,
      );
    const full = {
      users: insert('users', userColumns, SQLITE_ROWS_PER_STATEMENT),
      credentials: insert('credentials', credentialColumns, SQLITE_ROWS_PER_STATEMENT),
    };
    const audit = db.prepare(auditSql('sqlite'));
    for (let start = options.from; start < options.to; start += SQLITE_ROWS_PER_TRANSACTION) {
      const end = Math.min(options.to, start + SQLITE_ROWS_PER_TRANSACTION);
      db.exec('begin immediate');
      for (let chunk = start; chunk < end; chunk += SQLITE_ROWS_PER_STATEMENT) {
        const n = Math.min(SQLITE_ROWS_PER_STATEMENT, end - chunk);
        const users: SQLInputValue[] = [];
        const credentials: SQLInputValue[] = [];
        for (let i = chunk; i < chunk + n; i++) {
          const { user, credential } = rowsFor(options, store.id, i, publicKeys);
          for (const c of userColumns) users.push(user[c]!);
          for (const c of credentialColumns) credentials.push(credential[c]!);
        }
        const statements =
          n === SQLITE_ROWS_PER_STATEMENT ? full : { users: insert('users', userColumns, n), credentials: insert('credentials', credentialColumns, n) };
        statements.users.run(...users);
        statements.credentials.run(...credentials);
      }
      if (options.auditPerUser > 0) audit.run(start * options.auditPerUser, end * options.auditPerUser, options.tenantId, options.auditPerUser);
      db.exec('commit');
      progress(end);
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;');
  } finally {
    db.close();
  }
}

const PG_ROWS_PER_STATEMENT = 10_000;
const PG_AUDIT_ROWS_PER_STATEMENT = 1_000_000;

async function seedPostgres(options: SeedOptions, publicKeys: string[], progress: (done: number) => void): Promise<void> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const store = (await client.query<{ id: string }>('select id from stores where tenant_id = $1 and name = $2', [options.tenantId, options.storeName]))
      .rows[0];
    if (!store) throw new Error(`no store ${options.storeName} in tenant ${options.tenantId}`);
    const columnsOf = async (table: string) =>
      (
        await client.query<{ name: string; required: boolean }>(
          `select column_name as name, (is_nullable = 'NO' and column_default is null) as required from information_schema.columns where table_schema = current_schema() and table_name = $1`,
          [table],
        )
      ).rows;
    const userColumns = checkColumns('users', await columnsOf('users'), USER_COLUMNS);
    const credentialColumns = checkColumns('credentials', await columnsOf('credentials'), CREDENTIAL_COLUMNS);
    const unnest = (table: string, columns: string[], types: Record<string, ColumnType>) =>
      `insert into ${table} (${columns.join(', ')}) select * from unnest(${columns.map((c, k) => `$${k + 1}::${types[c]}[]`).join(', ')})`;
    const usersSql = unnest('users', userColumns, USER_COLUMNS);
    const credentialsSql = unnest('credentials', credentialColumns, CREDENTIAL_COLUMNS);
    for (let start = options.from; start < options.to; start += PG_ROWS_PER_STATEMENT) {
      const end = Math.min(options.to, start + PG_ROWS_PER_STATEMENT);
      const users = userColumns.map((): unknown[] => []);
      const credentials = credentialColumns.map((): unknown[] => []);
      for (let i = start; i < end; i++) {
        const { user, credential } = rowsFor(options, store.id, i, publicKeys);
        userColumns.forEach((c, k) => users[k]!.push(user[c]));
        credentialColumns.forEach((c, k) => credentials[k]!.push(credential[c]));
      }
      await client.query('begin');
      await client.query(usersSql, users);
      await client.query(credentialsSql, credentials);
      await client.query('commit');
      progress(end);
    }
    const audit = auditSql('postgres');
    for (let start = options.from * options.auditPerUser; start < options.to * options.auditPerUser; start += PG_AUDIT_ROWS_PER_STATEMENT) {
      await client.query(audit, [
        start,
        Math.min(options.to * options.auditPerUser, start + PG_AUDIT_ROWS_PER_STATEMENT),
        options.tenantId,
        options.auditPerUser,
      ]);
    }
    // What an operator does after a bulk load or restore, so the measurement does not pay for the load: VACUUM sets
    // the loaded rows' hint bits and visibility map (else the first sign-ins that read a page dirty it, and autovacuum
    // comes through 10 M fresh audit rows mid-run), ANALYZE gives the planner the new sizes, and a CHECKPOINT writes
    // out the load's pages now rather than in the middle of the run (as the SQLite seeder checkpoints its WAL).
    await client.query('vacuum (analyze) users, credentials, audit_events');
    try {
      await client.query('checkpoint');
    } catch (error) {
      // CHECKPOINT needs a superuser or pg_checkpoint (PostgreSQL 15+): a given database may not allow it.
      if ((error as { code?: string }).code !== '42501') throw error;
      console.error('  (no CHECKPOINT after seeding: the role may not; the run may overlap the checkpoint of the load)');
    }
  } finally {
    await client.end();
  }
}
