// The sign-up challenge (SecureAuth's "complete the Captcha" at sign-up, as a self-hosted proof of work), on both databases: with
// `signUpChallenge` on, a sign-up without a solution is 400 SIGN_UP_CHALLENGE_REQUIRED and creates nothing; a solved
// challenge signs up once (a second use, a wrong number, a forged signature, an expired one: 400
// SIGN_UP_CHALLENGE_INVALID); with it off, nothing is asked.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CHALLENGE_LIFETIME_MS } from '../../src/selfservice/sign-up-challenge.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ADMIN, ORIGIN, SELF_SERVICE, SelfServiceWorld, expectProblem, expectStatus, type Browser } from './selfservice-fixture.ts';

interface Challenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** What @keyway/web does: try the numbers until one hashes to the challenge; the payload for begin. */
function solve(issued: Challenge, override: Partial<Challenge & { number: number }> = {}): string {
  let number = 0;
  while (createHash('sha256').update(`${issued.salt}${number}`).digest('hex') !== issued.challenge) number++;
  assert.ok(number <= issued.maxnumber);
  const payload = { algorithm: issued.algorithm, challenge: issued.challenge, number, salt: issued.salt, signature: issued.signature, ...override };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

for (const kind of DATABASE_KINDS) {
  describe(`self-service sign-up challenge on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
      world.clock.set('2026-03-01T10:00:10Z');
      await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, signUpChallenge: true } }), 200);
    });
    after(() => world.close());

    const challenge = async (browser: Browser) => (await expectStatus(browser.post('/register/challenge'), 200)).body as Challenge;
    const begin = (browser: Browser, identifier: string, solution?: string) =>
      browser.post('/register/webauthn/begin', { identifier, ...(solution === undefined ? {} : { challenge: solution }) });

    test('without a solution: 400 SIGN_UP_CHALLENGE_REQUIRED, nothing created; with one: the sign-up completes', async () => {
      const browser = world.browser();
      const before = await world.counts();
      await expectProblem(begin(browser, 'ann@example.com'), 400, 'SIGN_UP_CHALLENGE_REQUIRED');
      assert.deepEqual(await world.counts(), before, 'a refused sign-up creates nothing');

      const issued = await challenge(browser);
      assert.equal(issued.algorithm, 'SHA-256');
      assert.match(issued.salt, /\?expires=\d+$/);
      const begun = await expectStatus(begin(browser, 'ann@example.com', solve(issued)), 200);
      const credential = new SoftAuthenticator().register(begun.body.publicKey, { origin: ORIGIN });
      const finished = await expectStatus(browser.post('/register/webauthn/finish', credential), 201);
      assert.equal(finished.body.user.userKey, 'ann@example.com');
    });

    test('a solution signs up once; a wrong number, a forged signature or an expired challenge are refused', async () => {
      const browser = world.browser();
      const issued = await challenge(browser);
      const solution = solve(issued);
      await expectStatus(begin(browser, 'bea@example.com', solution), 200);
      await expectProblem(begin(browser, 'cid@example.com', solution), 400, 'SIGN_UP_CHALLENGE_INVALID');

      const other = await challenge(browser);
      const right = JSON.parse(Buffer.from(solve(other), 'base64').toString()) as { number: number };
      await expectProblem(begin(browser, 'cid@example.com', solve(other, { number: right.number + 1 })), 400, 'SIGN_UP_CHALLENGE_INVALID');
      await expectProblem(begin(browser, 'cid@example.com', solve(other, { signature: '00'.repeat(32) })), 400, 'SIGN_UP_CHALLENGE_INVALID');
      await expectProblem(begin(browser, 'cid@example.com', Buffer.from('not json').toString('base64')), 400, 'SIGN_UP_CHALLENGE_INVALID');
      // The right number for the refused attempts' challenge still works: a refusal did not spend it.
      await expectStatus(begin(browser, 'cid@example.com', solve(other)), 200);

      const old = await challenge(browser);
      world.clock.advance(CHALLENGE_LIFETIME_MS);
      await expectProblem(begin(browser, 'dee@example.com', solve(old)), 400, 'SIGN_UP_CHALLENGE_INVALID');
    });

    test('with signUpChallenge off a sign-up asks for nothing', async () => {
      await expectStatus(world.api.patch(ADMIN, { selfService: SELF_SERVICE }), 200);
      try {
        await expectStatus(begin(world.browser(), 'fay@example.com'), 200);
      } finally {
        await expectStatus(world.api.patch(ADMIN, { selfService: { ...SELF_SERVICE, signUpChallenge: true } }), 200);
      }
    });
  });
}
