// The e-mail outbox on both databases with a real SMTP listener: an e-mail queued by one server that closed before
// delivering it is delivered once by the next server on the same database; a refused attempt is retried after its
// backoff and not before; a delivered e-mail keeps no body. Rendering: the store's branding, German, HTML escaped.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OUTBOX_RETENTION_MS, retryDelayMs } from '../../src/email/email-outbox.ts';
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
        assert.equal(await server.services.emailOutbox.tick(), 0);
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
        await server.services.emailOutbox.tick();
        assert.ok((await ids()).includes(row.id), 'kept for the whole retention period');
        clock.advance(1);
        await server.services.emailOutbox.tick();
        assert.ok(!(await ids()).includes(row.id), 'deleted after it');
      } finally {
        await server.close();
      }
    });
  });
}

test('the retry delay doubles from 30 s up to an hour', () => {
  assert.deepEqual([1, 2, 3, 4, 8, 20].map(retryDelayMs), [30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000]);
});
