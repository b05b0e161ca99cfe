// A database outage is answered 503 SERVICE_UNAVAILABLE with Retry-After (not 500), and the same
// process answers 200 again once the database is back. PostgreSQL is cut by closing a TCP relay
// between Keyway and the server (the throwaway cluster other tests share keeps running); SQLite
// by another connection holding the write lock.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../src/storage/database-unavailable.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

/** A TCP relay to PostgreSQL that the test can cut (refusing connections, dropping open ones) and restore on the same port. */
class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #target: { host: string; port: number };
  port = 0;
  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server!;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

function expectOutage(response: { status: number; headers: Headers; body: { code?: string; detail?: string } }): void {
  assert.equal(response.status, 503, JSON.stringify(response.body));
  assert.equal(response.body.code, 'SERVICE_UNAVAILABLE');
  assert.equal(response.headers.get('retry-after'), '5');
  assert.ok(!/ECONN|terminated|SQLITE|sqlite|database is locked/i.test(JSON.stringify(response.body)), 'no driver detail leaks');
}

describe('database outage on postgres', () => {
  let testDatabase: TestDatabase;
  let relay: Relay;
  let server: TestServer;
  let acme: TenantFixture;

  before(async () => {
    testDatabase = await createTestDatabase('postgres');
    const direct = new URL(testDatabase.url);
    relay = new Relay({ host: direct.hostname, port: Number(direct.port) });
    await relay.open();
    const viaRelay = new URL(testDatabase.url);
    viaRelay.port = String(relay.port);
    server = await startTestServer({ kind: 'postgres', databaseUrl: viaRelay.toString() });
    acme = await server.tenant('acme');
  });
  after(async () => {
    // Cut first: the pool then sees its idle connections drop (handled), not a relay closing under a pool that is ending.
    await relay.cut();
    await server.close();
    await testDatabase.drop();
  });

  test('PostgreSQL unreachable: 503 SERVICE_UNAVAILABLE with Retry-After on admin and public routes; 200 again without a restart', async () => {
    assert.equal((await acme.api.get('/api/identity-store/stores')).status, 200);
    await relay.cut();
    // Pooled connections are dropped mid-life and new ones are refused.
    expectOutage(await acme.api.get('/api/identity-store/stores'));
    expectOutage(await server.http.get('/acme/.well-known/openid-configuration'));
    expectOutage(await acme.api.post('/api/identity-store/stores', { name: 'during-outage' }));
    await relay.open();
    assert.equal((await acme.api.get('/api/identity-store/stores')).status, 200);
    assert.equal((await server.http.get('/acme/.well-known/openid-configuration')).status, 200);
    const stores = await acme.api.get('/api/identity-store/stores');
    assert.ok(!JSON.stringify(stores.body).includes('during-outage'), 'the write attempted during the outage stored nothing');
  });
});

describe('database outage on sqlite', () => {
  let server: TestServer;
  let acme: TenantFixture;
  before(async () => {
    server = await startTestServer({ kind: 'sqlite' });
    acme = await server.tenant('acme');
  });
  after(() => server.close());

  test('SQLite locked by another process past the busy timeout: 503 with Retry-After; 200 once the lock is released', async () => {
    const other = new DatabaseSync(server.config.databaseUrl.slice('sqlite:'.length));
    try {
      other.exec('BEGIN EXCLUSIVE');
      expectOutage(await acme.api.post('/api/identity-store/stores', { name: 'while-locked' }));
      other.exec('ROLLBACK');
      assert.equal((await acme.api.post('/api/identity-store/stores', { name: 'after-lock' })).status, 201);
      const names = ((await acme.api.get('/api/identity-store/stores')).body as { items: { name: string }[] }).items.map((s) => s.name);
      assert.deepEqual(names, ['after-lock']);
    } finally {
      other.close();
    }
  });
});

test('isDatabaseUnavailable: real driver errors of an outage are; request and schema faults are not', async () => {
  const testDatabase = await createTestDatabase('postgres');
  const caught = async (run: () => Promise<unknown>): Promise<unknown> => {
    try {
      await run();
    } catch (error) {
      return error;
    }
    throw new Error('expected a failure');
  };
  try {
    // Pool timeout: every connection busy for longer than connectionTimeoutMillis.
    const pool = new pg.Pool({ connectionString: testDatabase.url, max: 1, connectionTimeoutMillis: 2000 });
    const held = await pool.connect();
    const timeout = await caught(() => pool.query('select 1'));
    assert.match((timeout as Error).message, /timeout exceeded/);
    assert.equal(isDatabaseUnavailable(timeout), true);
    held.release();
    await pool.end();

    // Nothing listening.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await caught(() => new pg.Client({ host: '127.0.0.1', port, user: 'postgres' }).connect());
    assert.equal(isDatabaseUnavailable(refused), true);

    // 57P01 admin_shutdown: the backend is terminated while it runs a query.
    const victim = new pg.Client({ connectionString: testDatabase.url });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = ((await victim.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }).pid;
    const admin = new pg.Client({ connectionString: testDatabase.url });
    await admin.connect();
    const running = caught(() => victim.query('select pg_sleep(30)'));
    // Terminate only once the query runs (polling the server's own view, bounded).
    for (let polls = 0; ; polls++) {
      const active = await admin.query(`select 1 from pg_stat_activity where pid = $1 and state = 'active'`, [pid]);
      if (active.rowCount === 1) break;
      assert.ok(polls < 10_000, 'the victim query never started');
    }
    await admin.query('select pg_terminate_backend($1)', [pid]);
    const terminated = await running;
    assert.equal((terminated as { code?: string }).code, '57P01');
    assert.equal(isDatabaseUnavailable(terminated), true);
    // The same client afterwards: not queryable.
    assert.equal(isDatabaseUnavailable(await caught(() => victim.query('select 1'))), true);

    // Faults of the request or the code stay 500/4xx material.
    assert.equal(isDatabaseUnavailable(await caught(() => admin.query('selec 1'))), false);
    await admin.query('create table t (id int primary key)');
    await admin.query('insert into t values (1)');
    assert.equal(isDatabaseUnavailable(await caught(() => admin.query('insert into t values (1)'))), false);
    assert.equal(isDatabaseUnavailable(new Error('boom')), false);
    await admin.end();
    await victim.end().catch(() => undefined);
  } finally {
    await testDatabase.drop();
  }

  // SQLITE_BUSY from a second connection that does not wait.
  const sqlite = await createTestDatabase('sqlite');
  try {
    const file = sqlite.url.slice('sqlite:'.length);
    const first = new DatabaseSync(file);
    const second = new DatabaseSync(file);
    first.exec('create table t (id integer primary key); BEGIN EXCLUSIVE');
    const busy = await caught(async () => second.exec('insert into t values (1)'));
    assert.equal(isDatabaseUnavailable(busy), true);
    first.exec('ROLLBACK');
    assert.equal(isDatabaseUnavailable(await caught(async () => second.exec('insert into nope values (1)'))), false);
    first.close();
    second.close();
  } finally {
    await sqlite.drop();
  }
});
