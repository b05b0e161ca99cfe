// general.emailOtp's codes per address, on both databases: however many journeys are started, one address receives at
// most ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE codes a minute (each code gives a few guesses, so this bounds the guesses
// at an account, and the inbox flood). Past it a start is rejected RATE_LIMITED and a resend stays on the step with
// previousError RATE_LIMITED; nothing is queued; another address is not affected; the next minute codes go again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE } from '../../src/email/email-service.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { startSmtpListener, type SmtpListener } from '../support/smtp-listener.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, publish, setUpTenant, startPublic, submit } from './engine-fixture.ts';

for (const kind of DATABASE_KINDS) {
  describe(`e-mail one-time codes per address on ${kind}`, () => {
    let smtp: SmtpListener;
    let server: TestServer;
    const clock = new ManualClock('2026-06-01T10:00:10Z');

    before(async () => {
      smtp = await startSmtpListener();
      server = await startTestServer({ kind, clock, env: { ...smtp.env, KEYWAY_RATE_LIMIT_PER_IP: '1000' } });
      const { admin } = await setUpTenant(server);
      for (const [journeyId, address] of [
        ['code-alice', 'alice@example.com'],
        ['code-bob', 'bob@example.com'],
      ] as const) {
        await publish(
          admin,
          journeyId,
          definition([
            {
              id: 'otp',
              type: 'general.emailOtp',
              parameters: { emailAddress: address, maxResends: 5 },
              outcomes: { success: 'done', failed: 'rejected', expired: 'rejected', cancel: 'rejected' },
            },
            endSuccess(),
            endReject(),
          ]),
        );
      }
    });
    after(async () => {
      await server?.close();
      await smtp?.close();
    });

    const queued = async () =>
      Number(
        (
          await server.database.db
            .selectFrom('email_outbox')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    test('past the limit a start is rejected and a resend refused, nothing queued; another address is served; the next minute works', async () => {
      const first = await startPublic(server, 'code-alice');
      assert.equal(first.body.journeyStepId, 'otp', JSON.stringify(first.body));
      for (let i = 1; i < ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE; i++) assert.equal((await startPublic(server, 'code-alice')).body.journeyStepId, 'otp');
      assert.equal(await queued(), ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE);

      const refused = await startPublic(server, 'code-alice');
      assert.equal(refused.body.journeyStepId, 'rejection', JSON.stringify(refused.body));
      assert.equal(refused.body.data.code, 'RATE_LIMITED');
      const resend = await submit(server, first.body.sessionId, { clientResponseOptionId: 'resend' });
      assert.equal(resend.body.journeyStepId, 'otp', JSON.stringify(resend.body));
      assert.equal(resend.body.data.previousError.code, 'RATE_LIMITED');
      assert.equal(await queued(), ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE, 'nothing more queued');

      // Another address has its own budget.
      assert.equal((await startPublic(server, 'code-bob')).body.journeyStepId, 'otp');
      assert.equal(await queued(), ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE + 1);

      // The next minute: a resend goes out again.
      clock.advance(60_000);
      const again = await submit(server, resend.body.sessionId, { clientResponseOptionId: 'resend' });
      assert.equal(again.body.data.notice, 'resent', JSON.stringify(again.body));
      assert.equal(await queued(), ONE_TIME_CODES_PER_ADDRESS_PER_MINUTE + 2);
    });
  });
}
