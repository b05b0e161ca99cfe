// The e-mail outbox on both databases with a real SMTP listener: an e-mail queued by one server that closed before
// delivering it is delivered once by the next server on the same database; a refused attempt is retried after its
// backoff and not before; a queued body is sealed (never clear in the database), a delivered or given-up e-mail keeps
// none. Rendering: the store's branding, German, HTML escaped.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_DELIVERY_ATTEMPTS, OUTBOX_RETENTION_MS, retryDelayMs } from '../../src/email/email-outbox.ts';
import { openSecret, SealedSecretError } from '../../src/secrets/envelope.ts';
import { generateMasterKeyText, parseMasterKey } from '../../src/secrets/master-key.ts';
import { rotateMasterKey } from '../../src/secrets/rotate-master-key.ts';
import { OUTBOX_BODY_COLUMN, sealedAad } from '../../src/secrets/sealed-columns.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const ACTOR = { tenantId: 'acme', actor: 'test' };

for (const kind of DATABASE_KINDS) {
  describe(`e-mail outbox (${kind})`, () => {
    let smtp: SmtpListener;
    let database: TestDatabase;
    const clock = new ManualClock('2026-06-01T10:00:00Z');
    before(async () => {
      smtp = await startSmtpListener();
      database = await createTestDatabase(kind);
    });
    after(async () => {
      await smtp?.close();
      await database?.drop();
    });

    const start = () => startTestServer({ kind, clock, databaseUrl: database.url, env: smtp.env });
    const rows = (server: TestServer) => server.database.db.selectFrom('email_outbox').selectAll().orderBy('id').execute();

    test(`an e-mail queued before a restart is delivered once by the next server (${kind})`, async () => {
      const first = await start();
      let second: TestServer | undefined;
      try {
        const { api } = await first.tenant('acme');
        assert.equal((await api.post('/api/identity-store/stores', { name: 'shop', displayName: 'Shop <&> Co' })).status, 201);
        await first.services.email.sendOneTimeCode(ACTOR, {
          storeName: 'shop',
          to: 'ada@example.com',
          code: '042042',
          expiresInMinutes: 5,
          languages: ['de-AT'],
        });
        const [queued] = await rows(first);
        assert.ok(queued);
        assert.equal(queued.sent_at, null);
        assert.equal(queued.purpose, 'one-time-code');
        // Sealed under the master key, bound to its row: the code is not readable in the database.
        assert.match(queued.body, /^kw1\./);
        assert.doesNotMatch(queued.body, /042042/);
        assert.match(openSecret(first.masterKey, queued.body, sealedAad(OUTBOX_BODY_COLUMN, queued)), /042042/);
        assert.throws(() => openSecret(first.masterKey, queued.body, sealedAad(OUTBOX_BODY_COLUMN, { id: 'another-row' })), SealedSecretError);
        await first.close();

        assert.equal(smtp.mails.length, 0, 'nothing was sent by the server that queued it');
        second = await start();
        assert.equal(await second.services.emailOutbox.tick(), 1);
        assert.equal(await second.services.emailOutbox.tick(), 0, 'delivered once');
        const mail = await smtp.waitFor(1);
        assert.equal(smtp.mails.length, 1);
        assert.deepEqual(mail.to, ['ada@example.com']);
        assert.equal(mail.from, 'no-reply@keyway.test');
        assert.equal(mail.subject, 'Ihr Code für Shop <&> Co');
        assert.match(mail.text, /Ihr Code: 042042/);
        assert.match(mail.html, /Shop &lt;&amp;&gt; Co/);
        assert.doesNotMatch(mail.html, /Shop <&> Co/);
        const [sent] = await rows(second);
        assert.equal(Number(sent!.sent_at), clock.now().getTime());
        assert.equal(sent!.body, '', 'the code does not stay in the database');
        assert.equal(Number(sent!.attempts), 1);
        const audit = await second.database.db
          .selectFrom('audit_events')
          .select(['action', 'details'])
          .where('action', '=', 'email.oneTimeCode.send')
          .execute();
        assert.equal(audit.length, 1);
        assert.doesNotMatch(audit[0]!.details ?? '', /042042/, 'the audit event does not hold the code');
      } finally {
        await second?.close();
      }
    });

    test(`a refused attempt is retried after its backoff (${kind})`, async () => {
      const server = await start();
      try {
        const before = smtp.mails.length;
        smtp.refuseNext(1);
        await server.services.email.sendOneTimeCode(ACTOR, { storeName: 'shop', to: 'bob@example.com', code: '777777', expiresInMinutes: 5, languages: [] });
        // The outbox's warning for the refusal (process.emitWarning delivers it on a later turn of the event loop).
        let onWarning!: (warning: Error & { code?: string }) => void;
        const warned = new Promise<string>((resolve) => {
          onWarning = (warning) => {
            if (warning.code === 'KEYWAY_EMAIL_OUTBOX') resolve(warning.message);
          };
          process.on('warning', onWarning);
        });
        let warnings: string[];
        try {
          assert.equal(await server.services.emailOutbox.tick(), 0);
          warnings = [await warned];
        } finally {
          process.off('warning', onWarning);
        }
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /attempt 1 failed: .*<address>: try again later/);
        assert.doesNotMatch(warnings[0]!, /bob@example\.com/, 'the warning names no recipient');
        let row = (await rows(server)).at(-1)!;
        assert.equal(Number(row.attempts), 1);
        assert.equal(row.sent_at, null);
        assert.match(row.last_error ?? '', /451/);
        assert.equal(Number(row.next_attempt_at), clock.now().getTime() + retryDelayMs(1));

        clock.advance(retryDelayMs(1) - 1);
        assert.equal(await server.services.emailOutbox.tick(), 0, 'not before the backoff');
        clock.advance(1);
        assert.equal(await server.services.emailOutbox.tick(), 1, 'at the backoff');
        const mail = await smtp.waitFor(before + 1);
        assert.equal(mail.subject, 'Your Shop <&> Co code', 'English when the reader’s languages are not written');
        row = (await rows(server)).at(-1)!;
        assert.equal(Number(row.attempts), 2);
        assert.equal(row.last_error, null);

        // Delivered e-mails are deleted after the retention period, not before.
        const ids = async () => (await rows(server)).map((r) => r.id);
        clock.set(new Date(Number(row.sent_at) + OUTBOX_RETENTION_MS));
        await server.services.retention.sweep();
        assert.ok((await ids()).includes(row.id), 'kept for the whole retention period');
        clock.advance(1);
        assert.equal((await server.services.retention.sweep()).email_outbox, 1, 'the retention sweep deletes it');
        assert.ok(!(await ids()).includes(row.id), 'deleted after it');
      } finally {
        await server.close();
      }
    });

    test(`rotate-master re-wraps queued bodies and leaves delivered (empty) ones alone (${kind})`, async () => {
      const server = await start();
      try {
        await server.services.email.sendOneTimeCode(ACTOR, { storeName: 'shop', to: 'kim@example.com', code: '101010', expiresInMinutes: 5, languages: [] });
        assert.equal(await server.services.emailOutbox.tick(), 1);
        const delivered = (await rows(server)).filter((row) => row.body === '').map((row) => row.id);
        assert.equal(delivered.length, 1);
        await server.services.email.sendOneTimeCode(ACTOR, { storeName: 'shop', to: 'kim@example.com', code: '646464', expiresInMinutes: 5, languages: [] });
        const queued = (await rows(server)).at(-1)!;
        const next = parseMasterKey(generateMasterKeyText())!;
        await rotateMasterKey(server.database.db, server.masterKey, next, clock.now().getTime());
        const after = await rows(server);
        const body = after.find((row) => row.id === queued.id)!.body;
        assert.notEqual(body, queued.body);
        assert.match(openSecret(next, body, sealedAad(OUTBOX_BODY_COLUMN, queued)), /646464/);
        assert.deepEqual(
          after.filter((row) => row.body === '').map((row) => row.id),
          delivered,
        );
        // Back to the key the test servers use (they share this database), which opens the body again.
        await rotateMasterKey(server.database.db, next, server.masterKey, clock.now().getTime());
        const back = (await rows(server)).find((row) => row.id === queued.id)!.body;
        assert.match(openSecret(server.masterKey, back, sealedAad(OUTBOX_BODY_COLUMN, queued)), /646464/);
        // Not delivered: removed so that the next test's ticks see only its own e-mail.
        await server.database.db.deleteFrom('email_outbox').where('id', '=', queued.id).execute();
      } finally {
        await server.close();
      }
    });

    test(`an e-mail given up after ${MAX_DELIVERY_ATTEMPTS} refused attempts keeps no body (${kind})`, async () => {
      const server = await start();
      try {
        smtp.refuseNext(MAX_DELIVERY_ATTEMPTS);
        await server.services.email.sendOneTimeCode(ACTOR, { storeName: 'shop', to: 'eve@example.com', code: '313131', expiresInMinutes: 5, languages: [] });
        const id = (await rows(server)).at(-1)!.id;
        for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
          assert.equal(await server.services.emailOutbox.tick(), 0);
          clock.advance(retryDelayMs(attempt));
        }
        const row = (await rows(server)).find((r) => r.id === id)!;
        assert.equal(Number(row.attempts), MAX_DELIVERY_ATTEMPTS);
        assert.notEqual(row.failed_at, null);
        assert.equal(row.body, '', 'the code does not stay in the database');
        // Kept for the retention period after it was given up, then deleted by the retention sweep.
        clock.set(new Date(Number(row.failed_at) + OUTBOX_RETENTION_MS));
        await server.services.retention.sweep();
        assert.ok(
          (await rows(server)).some((r) => r.id === id),
          'kept for the whole retention period',
        );
        clock.advance(1);
        await server.services.retention.sweep();
        assert.ok(!(await rows(server)).some((r) => r.id === id), 'deleted after it');
      } finally {
        await server.close();
      }
    });
  });
}

test('the retry delay doubles from 30 s up to an hour', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 20].map(retryDelayMs), [30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000]);
});
