// Mosaic steps called directly with real services on both databases: Register Passkeys (the authenticated
// user or a User Identifier, the WebAuthn switches, Display Name, cancel and failure behaviours, Error Output Variable,
// fail, custom branches with schemas and Branch Output Variable) and the Mosaic passkey sign-in: Login Form with the
// `passkeys` branch → loginData.webauthn_encoded_result → Passkey Authentication (success, failure behaviours).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileValue, evaluateValue } from '../../src/journeys/compiled-journey.ts';
import { evaluationContext, ExpressionBudget } from '../../src/journeys/expressions.ts';
import { loginFormStep } from '../../src/journeys/steps/mosaic/login-form.ts';
import { passkeyAuthenticationStep } from '../../src/journeys/steps/mosaic/passkey-authentication.ts';
import { registerPasskeysStep } from '../../src/journeys/steps/mosaic/register-passkeys.ts';
import type { CeremonyWorld } from '../passkeys/ceremony-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { CTX, JourneyRun, outcomeOf, presented, RP_ID, STORE, stepWorld } from './steps-fixture.ts';

const REGISTER = { relyingPartyId: RP_ID, registrationPolicy: 'default' };
const LOGIN = { relyingPartyId: RP_ID, authenticationPolicy: 'default' };
/** Passkey Authentication's Encoded Result as the Mosaic sign-in writes it, evaluated by the expression library. */
const AUTHENTICATE = (vars: Record<string, unknown>, loginVariable = 'loginData') =>
  evaluateValue(compileValue({ encodedResult: `\${${loginVariable}.webauthn_encoded_result}` }), evaluationContext(vars), new ExpressionBudget()) as {
    encodedResult: unknown;
  };

for (const kind of DATABASE_KINDS) {
  describe(`Mosaic steps on ${kind}`, () => {
    let world: CeremonyWorld;
    before(async () => {
      world = await stepWorld(kind);
    });
    after(() => world.close());

    const passkeysOf = async (userId: string) => world.db.selectFrom('credentials').select(['credential_id']).where('user_id', '=', userId).execute();

    test('Mosaic registration: Register Passkeys for the authenticated user — data for the client, encoded result → passkey stored', async () => {
      const user = await world.createUser('mosaic-user', { email: 'mosaic@example.com', externalId: 'ext-mosaic' });
      const journey = new JourneyRun(world, { user: { storeName: STORE, userId: user.id } });
      const shown = presented(await journey.run(registerPasskeysStep, REGISTER, 'register'));
      assert.deepEqual(shown.options, ['client_input', 'cancel', 'fail']);
      assert.equal(shown.data.username, 'mosaic@example.com');
      assert.equal(shown.data.display_name, 'ext-mosaic', 'no Display Name: the user’s external ID');
      assert.equal(shown.data.allow_cross_platform_authenticators, true);
      assert.equal(shown.data.register_as_discoverable, true);
      assert.equal(shown.data.clientRequest.authenticatorSelection.residentKey, 'required');
      assert.equal(shown.data.clientRequest.authenticatorSelection.requireResidentKey, true);
      assert.equal(shown.data.clientRequest.authenticatorSelection.authenticatorAttachment, undefined);
      assert.equal(shown.data.clientRequest.user.displayName, 'ext-mosaic');

      const authenticator = new SoftAuthenticator();
      const encoded = Buffer.from(JSON.stringify(authenticator.register(shown.data.clientRequest, CTX))).toString('base64url');
      assert.equal(
        outcomeOf(
          await journey.submit(
            registerPasskeysStep,
            REGISTER,
            { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: encoded } },
            'register',
          ),
        ),
        'success',
      );
      assert.equal((await passkeysOf(user.id)).length, 1);
      assert.equal(journey.at('_mosaic', 'registrations', 'register'), null);
      assert.equal((journey.at('_mosaic', 'registeredPasskey') as { credentialId: string }).credentialId, (await passkeysOf(user.id))[0]!.credential_id);
    });

    test('User Auth State “not authenticated”: the User Identifier names the user (by user key, external ID or ID); Display Name and the WebAuthn switches shape the options', async () => {
      const user = await world.createUser('identified', { externalId: 'ext-identified' });
      for (const [userIdentifier, userIdentifierType] of [
        ['identified', 'userKey'],
        ['ext-identified', 'externalId'],
        [user.id, 'userId'],
      ] as const) {
        const journey = new JourneyRun(world);
        const shown = presented(
          await journey.run(
            registerPasskeysStep,
            {
              ...REGISTER,
              userAuthState: 'notAuthenticated',
              userIdentifier,
              userIdentifierType,
              displayName: 'Iden Tified',
              allowCrossPlatform: false,
              registerDiscoverable: false,
            },
            'register',
          ),
        );
        assert.equal(shown.data.display_name, 'Iden Tified');
        assert.equal(shown.data.clientRequest.user.displayName, 'Iden Tified');
        assert.equal(shown.data.allow_cross_platform_authenticators, false);
        assert.equal(shown.data.register_as_discoverable, false);
        assert.equal(shown.data.clientRequest.authenticatorSelection.authenticatorAttachment, 'platform');
        assert.equal(shown.data.clientRequest.authenticatorSelection.residentKey, 'preferred', 'the policy’s when not asked for discoverable');
        assert.equal((journey.at('_mosaic', 'registrations', 'register') as { userId: string }).userId, user.id);
      }
    });

    test('a Display Name built from form input with a line break or a bidi override is refused (VALIDATION_FAILED, the failure branch), no ceremony stored', async () => {
      await world.createUser('spoofed', { externalId: 'ext-spoofed' });
      const sessions = async () => (await world.db.selectFrom('ceremony_sessions').select('id').execute()).length;
      const before = await sessions();
      for (const displayName of ['Ada\u202Eninmda', 'Ada\nsecond line', 'x\u2067y\u2069']) {
        const journey = new JourneyRun(world);
        const params = { ...REGISTER, userAuthState: 'notAuthenticated', userIdentifier: 'spoofed', displayName, errorOutputVariable: 'problem' };
        assert.equal(outcomeOf(await journey.run(registerPasskeysStep, params, 'register')), 'failure');
        const problem = journey.vars.problem as { code: string; detail: string };
        assert.equal(problem.code, 'VALIDATION_FAILED');
        assert.match(problem.detail, /^userDisplayName: /);
      }
      assert.equal(await sessions(), before);
      // Direction marks are how mixed-script names are written.
      const shown = presented(
        await new JourneyRun(world).run(
          registerPasskeysStep,
          { ...REGISTER, userAuthState: 'notAuthenticated', userIdentifier: 'spoofed', displayName: 'دانا\u200F' },
          'register',
        ),
      );
      assert.equal(shown.data.clientRequest.user.displayName, 'دانا\u200F');
    });

    test('Allow Cross Platform = No refuses a security key’s response; failures follow Failure Behavior and fill Error Output Variable', async () => {
      const user = await world.createUser('strict-user');
      const params = { ...REGISTER, allowCrossPlatform: false, errorOutputVariable: 'registrationError' };
      const journey = new JourneyRun(world, { user: { storeName: STORE, userId: user.id } });
      const shown = presented(await journey.run(registerPasskeysStep, params, 'register'));
      const key = new SoftAuthenticator({ attachment: 'cross-platform' });
      const result = await journey.submit(
        registerPasskeysStep,
        params,
        { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: key.register(shown.data.clientRequest, CTX) } },
        'register',
      );
      assert.equal(outcomeOf(result), 'failure');
      assert.equal((journey.vars.registrationError as { code: string }).code, 'CREDENTIAL_NOT_ALLOWED');
      assert.equal((await passkeysOf(user.id)).length, 0);

      const badOrigin = new SoftAuthenticator().register(shown.data.clientRequest, CTX, { origin: 'https://evil.example' });
      const aborting = await journey.submit(
        registerPasskeysStep,
        { ...params, failureBehavior: 'abort' },
        { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: badOrigin } },
        'register',
      );
      assert.equal(aborting.kind, 'end');
      assert.deepEqual({ ...aborting, updates: undefined }, { kind: 'end', result: 'rejection', code: 'ORIGIN_MISMATCH', updates: undefined });
      assert.equal((journey.vars.registrationError as { code: string }).code, 'ORIGIN_MISMATCH');

      assert.equal(
        outcomeOf(
          await journey.submit(
            registerPasskeysStep,
            params,
            { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: 'garbage' } },
            'register',
          ),
        ),
        'failure',
      );
      assert.equal((journey.vars.registrationError as { code: string }).code, 'RESPONSE_MALFORMED');
      assert.equal(
        outcomeOf(await journey.submit(registerPasskeysStep, params, { clientResponseOptionId: 'fail', data: { error: 'InvalidStateError' } }, 'register')),
        'failure',
      );
      assert.deepEqual(journey.vars.registrationError, {
        code: 'CLIENT_REPORTED_FAILURE',
        detail: 'The client could not register a passkey: {"error":"InvalidStateError"}',
      });
      assert.equal((await passkeysOf(user.id)).length, 0);

      const anonymous = new JourneyRun(world);
      assert.equal(outcomeOf(await anonymous.run(registerPasskeysStep, params, 'register')), 'failure', 'authenticated state without a journey user');
      assert.equal((anonymous.vars.registrationError as { code: string }).code, 'USER_NOT_FOUND');
      const unknown = await anonymous.run(
        registerPasskeysStep,
        { ...params, userAuthState: 'notAuthenticated', userIdentifier: 'nobody', failureBehavior: 'abort' },
        'register',
      );
      assert.deepEqual({ ...unknown, updates: undefined }, { kind: 'end', result: 'rejection', code: 'USER_NOT_FOUND', updates: undefined });
    });

    test('Cancel Behavior: abort (default) rejects with USER_CANCELLED; cancelBranch leaves by `cancel`', async () => {
      const user = await world.createUser('cancel-user');
      const journey = new JourneyRun(world, { user: { storeName: STORE, userId: user.id } });
      presented(await journey.run(registerPasskeysStep, REGISTER, 'register'));
      assert.deepEqual(await journey.submit(registerPasskeysStep, REGISTER, { clientResponseOptionId: 'cancel', data: null }, 'register'), {
        kind: 'end',
        result: 'rejection',
        code: 'USER_CANCELLED',
      });
      assert.equal(
        outcomeOf(
          await journey.submit(
            registerPasskeysStep,
            { ...REGISTER, cancelBehavior: 'cancelBranch' },
            { clientResponseOptionId: 'cancel', data: null },
            'register',
          ),
        ),
        'cancel',
      );
    });

    test('Custom Branches: offered as options; the data must match the branch schema; stored in Branch Output Variable; the branch id is the outcome', async () => {
      const user = await world.createUser('branch-user');
      const params = {
        ...REGISTER,
        customBranches: [
          { id: 'skip', displayName: 'Not now', schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', maxLength: 100 } } } },
          { id: 'later' },
        ],
        branchOutputVariable: 'branchData',
      };
      const journey = new JourneyRun(world, { user: { storeName: STORE, userId: user.id } });
      assert.deepEqual(presented(await journey.run(registerPasskeysStep, params, 'register')).options, ['client_input', 'cancel', 'fail', 'skip', 'later']);
      await assert.rejects(
        journey.submit(registerPasskeysStep, params, { clientResponseOptionId: 'skip', data: { because: 'x' } }, 'register'),
        (error: { code: string; detail: string }) => {
          assert.equal(error.code, 'VALIDATION_FAILED');
          assert.match(error.detail, /must have required property 'reason' \(branch skip\)/);
          return true;
        },
      );
      assert.equal(journey.vars.branchData, undefined);
      assert.equal(
        outcomeOf(await journey.submit(registerPasskeysStep, params, { clientResponseOptionId: 'skip', data: { reason: 'no device' } }, 'register')),
        'skip',
      );
      assert.deepEqual(journey.vars.branchData, { reason: 'no device' });
      assert.equal(outcomeOf(await journey.submit(registerPasskeysStep, params, { clientResponseOptionId: 'later', data: null }, 'register')), 'later');
    });

    test('Mosaic sign-in: Login Form (passkeys branch → loginData) → Passkey Authentication with ${loginData.webauthn_encoded_result} → the user context', async () => {
      const user = await world.createUser('login-user');
      const authenticator = new SoftAuthenticator();
      const credentialId = (await world.register(authenticator, user.id)).credentialId;
      const journey = new JourneyRun(world);
      const shown = presented(await journey.run(loginFormStep, LOGIN, 'loginForm'));
      assert.deepEqual(shown.options, ['passkeys', 'cancel']);
      assert.deepEqual(shown.data.branches, [{ id: 'passkeys', displayName: 'Passkeys' }]);
      assert.equal(shown.data.passkeys.branchId, 'passkeys');
      assert.deepEqual(shown.data.passkeys.clientRequest.allowCredentials ?? [], [], 'a discoverable sign-in');

      await assert.rejects(journey.submit(loginFormStep, LOGIN, { clientResponseOptionId: 'passkeys', data: { something: 'else' } }, 'loginForm'), {
        code: 'VALIDATION_FAILED',
      });
      const assertion = authenticator.authenticate(shown.data.passkeys.clientRequest, CTX);
      const encoded = Buffer.from(JSON.stringify(assertion)).toString('base64url');
      assert.equal(
        outcomeOf(await journey.submit(loginFormStep, LOGIN, { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: encoded } }, 'loginForm')),
        'passkeys',
      );
      assert.deepEqual(journey.vars.loginData, { webauthn_encoded_result: encoded });

      assert.equal(outcomeOf(await journey.run(passkeyAuthenticationStep, AUTHENTICATE(journey.vars), 'passkeyAuth')), 'success');
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });
      assert.equal((journey.at('_mosaic', 'authenticatedPasskey') as { credentialId: string }).credentialId, credentialId);
      assert.equal(journey.at('_mosaic', 'passkeyAuthentication'), null, 'the pending sign-in is used up');
      assert.deepEqual(await journey.run(passkeyAuthenticationStep, AUTHENTICATE(journey.vars), 'passkeyAuth'), {
        kind: 'end',
        result: 'rejection',
        code: 'SESSION_NOT_FOUND',
        updates: [],
      });
    });

    test('Passkey Authentication failures: abort (default) rejects with the ceremony code; failureBranch leaves by `failure`; Error Output Variable', async () => {
      const user = await world.createUser('login-fail');
      const authenticator = new SoftAuthenticator();
      await world.register(authenticator, user.id);
      const journey = new JourneyRun(world);
      const shown = presented(await journey.run(loginFormStep, { ...LOGIN, outputVariable: 'credentials' }, 'loginForm'));
      const forged = authenticator.authenticate(shown.data.passkeys.clientRequest, CTX, { badSignature: true });
      await journey.submit(
        loginFormStep,
        { ...LOGIN, outputVariable: 'credentials' },
        { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: forged } },
        'loginForm',
      );
      assert.deepEqual(journey.vars.credentials, { webauthn_encoded_result: forged }, 'a custom output variable');
      const aborted = await journey.run(
        passkeyAuthenticationStep,
        { ...AUTHENTICATE(journey.vars, 'credentials'), errorOutputVariable: 'authError' },
        'passkeyAuth',
      );
      assert.equal(aborted.kind, 'end');
      assert.equal((aborted as { code: string }).code, 'SIGNATURE_INVALID');
      assert.equal((journey.vars.authError as { code: string }).code, 'SIGNATURE_INVALID');
      assert.equal(journey.vars.user, undefined);
      assert.equal(
        outcomeOf(
          await journey.run(
            passkeyAuthenticationStep,
            { encodedResult: 'not-a-credential', failureBehavior: 'failureBranch', errorOutputVariable: 'authError' },
            'passkeyAuth',
          ),
        ),
        'failure',
      );
      assert.equal((journey.vars.authError as { code: string }).code, 'RESPONSE_MALFORMED');
      const genuine = authenticator.authenticate(shown.data.passkeys.clientRequest, CTX);
      assert.equal(
        outcomeOf(await journey.run(passkeyAuthenticationStep, { encodedResult: genuine, failureBehavior: 'failureBranch' }, 'passkeyAuth')),
        'success',
        'the session survives a failed attempt',
      );
      assert.equal(
        outcomeOf(await new JourneyRun(world).run(passkeyAuthenticationStep, { encodedResult: genuine, failureBehavior: 'failureBranch' }, 'passkeyAuth')),
        'failure',
        'no login form came first',
      );
    });

    test('Login Form: cancel, custom branches beside passkeys, passkeys disabled, a policy that forbids usernameless sign-in rejects', async () => {
      const journey = new JourneyRun(world);
      const params = {
        ...LOGIN,
        enablePasskeys: false,
        customBranches: [{ id: 'email_otp', schema: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } } }],
      };
      const shown = presented(await journey.run(loginFormStep, params, 'loginForm'));
      assert.deepEqual(shown.options, ['email_otp', 'cancel']);
      assert.equal(shown.data.passkeys, undefined);
      await assert.rejects(journey.submit(loginFormStep, params, { clientResponseOptionId: 'email_otp', data: { email: 'not-an-address' } }, 'loginForm'), {
        code: 'VALIDATION_FAILED',
      });
      assert.equal(
        outcomeOf(await journey.submit(loginFormStep, params, { clientResponseOptionId: 'email_otp', data: { email: 'a@example.com' } }, 'loginForm')),
        'email_otp',
      );
      assert.deepEqual(journey.vars.loginData, { email: 'a@example.com' });
      assert.equal(outcomeOf(await journey.submit(loginFormStep, LOGIN, { clientResponseOptionId: 'cancel', data: null }, 'loginForm')), 'cancel');
      assert.deepEqual(await journey.run(loginFormStep, { ...LOGIN, authenticationPolicy: 'named-only' }, 'loginForm'), {
        kind: 'end',
        result: 'rejection',
        code: 'DISCOVERABLE_NOT_ALLOWED',
      });
    });

    test('Login Form passkeyAutofill: off by default; on, the same discoverable request is offered for autofill, and a stale or replayed answer is refused', async () => {
      const user = await world.createUser('autofill-user');
      const authenticator = new SoftAuthenticator();
      await world.register(authenticator, user.id);
      assert.equal(presented(await new JourneyRun(world).run(loginFormStep, LOGIN, 'loginForm')).data.passkeys.autofill, false);
      assert.equal(
        presented(await new JourneyRun(world).run(loginFormStep, { ...LOGIN, enablePasskeys: false, passkeyAutofill: true }, 'loginForm')).data.passkeys,
        undefined,
        'no passkeys, so nothing to autofill',
      );

      const params = { ...LOGIN, passkeyAutofill: true };
      const journey = new JourneyRun(world);
      const first = presented(await journey.run(loginFormStep, params, 'loginForm'));
      assert.equal(first.data.passkeys.autofill, true);
      assert.deepEqual(first.data.passkeys.clientRequest.allowCredentials ?? [], [], 'conditional mediation needs a discoverable request');
      const stale = authenticator.authenticate(first.data.passkeys.clientRequest, CTX);
      // The form is shown again (e.g. the page reloaded): a new challenge, so the answer to the first one is stale.
      const second = presented(await journey.run(loginFormStep, params, 'loginForm'));
      assert.notEqual(second.data.passkeys.clientRequest.challenge, first.data.passkeys.clientRequest.challenge);
      const login = async (answer: unknown) => {
        await journey.submit(loginFormStep, params, { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: answer } }, 'loginForm');
        return journey.run(
          passkeyAuthenticationStep,
          { ...AUTHENTICATE(journey.vars), failureBehavior: 'failureBranch', errorOutputVariable: 'authError' },
          'passkeyAuth',
        );
      };
      assert.equal(outcomeOf(await login(stale)), 'failure');
      assert.equal((journey.vars.authError as { code: string }).code, 'CHALLENGE_MISMATCH');
      assert.equal(journey.vars.user, undefined);
      // Another instance's answer is refused too: the challenge is bound to the instance that showed the form.
      const elsewhere = new JourneyRun(world);
      const theirs = authenticator.authenticate(presented(await elsewhere.run(loginFormStep, params, 'loginForm')).data.passkeys.clientRequest, CTX);
      assert.equal(outcomeOf(await login(theirs)), 'failure');
      assert.equal((journey.vars.authError as { code: string }).code, 'CHALLENGE_MISMATCH');

      const current = authenticator.authenticate(second.data.passkeys.clientRequest, CTX);
      assert.equal(outcomeOf(await login(current)), 'success');
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });
      // Replayed: the challenge was single-use, its pending sign-in is gone.
      assert.equal(outcomeOf(await login(current)), 'failure');
      assert.equal((journey.vars.authError as { code: string }).code, 'SESSION_NOT_FOUND');
    });
  });
}
