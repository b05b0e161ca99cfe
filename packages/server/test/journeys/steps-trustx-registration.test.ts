// TrustX registration steps called directly with real services on both databases, WebAuthn answered by the software
// authenticator: Add User (success, ExtId Not Unique, Failed to add the user), Start Passkey Registration (TrustX's
// _identityStore path, user by id / external id / key / journey user, Create User, errors), Passkey Registration Form
// (form + clientRequest, validation messages, cancel), Complete Passkey Registration (success, User cancelled, Fail
// Check on Cancel, Failed ID Store Service Call with nothing stored, browser response from a custom page), Custom Data
// Form, Simple Decider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileValue, evaluateValue } from '../../src/journeys/compiled-journey.ts';
import { evaluationContext, ExpressionBudget } from '../../src/journeys/expressions.ts';
import { addUserStep } from '../../src/journeys/steps/trustx/add-user.ts';
import { completePasskeyRegistrationStep } from '../../src/journeys/steps/trustx/complete-passkey-registration.ts';
import { customDataFormStep } from '../../src/journeys/steps/trustx/custom-data-form.ts';
import { passkeyRegistrationFormStep } from '../../src/journeys/steps/trustx/passkey-registration-form.ts';
import { simpleDeciderStep } from '../../src/journeys/steps/trustx/simple-decider.ts';
import { startPasskeyRegistrationStep } from '../../src/journeys/steps/trustx/start-passkey-registration.ts';
import type { CeremonyWorld } from '../passkeys/ceremony-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { PROFILE_FORM, SEED_REGISTRATION_FORM, SEED_RETRY_FORM } from './forms-fixtures.ts';
import { CTX, JourneyRun, outcomeOf, presented, publishForm, RP_ID, STORE, stepWorld } from './steps-fixture.ts';

const REG = ['_identityStore', 'passkeys', 'registrations', 'passkeyReg1', 'currentPasskeyRegistrationRecord'] as const;
const START = { passkeyRegistrationKey: 'passkeyReg1', registrationPolicy: 'default', relyingPartyId: RP_ID, storeName: STORE };
const FORM = { passkeyRegistrationKey: 'passkeyReg1', dataFormName: 'seed-registration', formDataKey: 'registrationForm' };
const COMPLETE = { passkeyRegistrationKey: 'passkeyReg1' };

for (const kind of DATABASE_KINDS) {
  describe(`TrustX registration steps on ${kind}`, () => {
    let world: CeremonyWorld;
    before(async () => {
      world = await stepWorld(kind);
      await publishForm(world, 'seed-registration', SEED_REGISTRATION_FORM);
      await publishForm(world, 'profile', PROFILE_FORM);
      await publishForm(world, 'retry', SEED_RETRY_FORM);
    });
    after(() => world.close());

    const credentialCount = async (userId: string) => (await world.db.selectFrom('credentials').select('id').where('user_id', '=', userId).execute()).length;

    test('Add User: creates the user with every field (pending until its passkey), makes it the journey’s user, audited as the journey', async () => {
      const journey = new JourneyRun(world);
      const result = await journey.run(addUserStep, {
        storeName: STORE,
        userKey: 'ada',
        userExternalId: 'ext-ada',
        userEmail: 'Ada@Example.com',
        userFirstName: 'Ada',
        userLastName: 'Lovelace',
        userDateOfBirth: '1815-12-10',
        userLocaleCountry: 'GB',
        userLocaleLanguage: 'en',
        userLocaleVariant: 'polyton',
        userNationalities: 'GB, IE',
        userStatus: 'active',
        userTimezone: 'Europe/London',
        userType: 'customer',
        userAttributes: { tier: 'gold' },
      });
      assert.equal(outcomeOf(result), 'success');
      const user = await world.server.services.identity.getUser('acme', STORE, { externalId: 'ext-ada' });
      assert.deepEqual(
        { ...user, id: undefined, createdAt: undefined, updatedAt: undefined },
        {
          id: undefined,
          userKey: 'ada',
          externalId: 'ext-ada',
          email: 'ada@example.com',
          emailVerified: false,
          firstName: 'Ada',
          lastName: 'Lovelace',
          dateOfBirth: '1815-12-10',
          locale: { country: 'GB', language: 'en', variant: 'polyton' },
          nationalities: ['GB', 'IE'],
          status: 'pending',
          timezone: 'Europe/London',
          type: 'customer',
          attributes: { tier: 'gold' },
          createdAt: undefined,
          updatedAt: undefined,
        },
      );
      const listed = await world.db.selectFrom('selfservice_pending_signups').select('created_by').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(listed.created_by, 'journey:test-journey', 'listed as the journey’s pending account');
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId: user.id });
      assert.equal((journey.at('_identityStore', 'user') as { id: string }).id, user.id);
      const audit = await world.db
        .selectFrom('audit_events')
        .select(['actor', 'request_id'])
        .where('action', '=', 'user.create')
        .where('target_id', '=', user.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...audit }, { actor: 'journey:test-journey', request_id: journey.instanceId });
    });

    test('Add User: a duplicate external ID leaves by “ExtId Not Unique”; bad fields and a missing store by “Failed to add the user”; nothing is created', async () => {
      const before = await world.snapshot();
      const journey = new JourneyRun(world);
      assert.equal(outcomeOf(await journey.run(addUserStep, { storeName: STORE, userKey: 'ada-2', userExternalId: 'ext-ada' })), 'ExtId Not Unique');
      assert.deepEqual(journey.at('_identityStore', 'addUserError'), {
        code: 'EXT_ID_NOT_UNIQUE',
        detail: 'externalId: already used by another user in this store',
      });
      assert.equal(outcomeOf(await journey.run(addUserStep, { storeName: STORE, userKey: 'ada' })), 'Failed to add the user');
      assert.equal((journey.at('_identityStore', 'addUserError') as { code: string }).code, 'USER_KEY_NOT_UNIQUE');
      assert.equal(outcomeOf(await journey.run(addUserStep, { storeName: STORE, userKey: 'bad', userEmail: 'not-an-email' })), 'Failed to add the user');
      assert.deepEqual(journey.at('_identityStore', 'addUserError'), { code: 'VALIDATION_FAILED', detail: 'user.email: must match format "email"' });
      assert.equal(outcomeOf(await journey.run(addUserStep, { storeName: STORE, userKey: 'bad', userTimezone: 'Mars/Olympus' })), 'Failed to add the user');
      assert.equal(outcomeOf(await journey.run(addUserStep, { storeName: 'nope', userKey: 'bad' })), 'Failed to add the user');
      assert.equal((journey.at('_identityStore', 'addUserError') as { code: string }).code, 'STORE_NOT_FOUND');
      assert.deepEqual(
        (journey.at('_process', 'failures') as { outcome: string; code: string }[]).map((f) => [f.outcome, f.code]),
        [
          ['ExtId Not Unique', 'EXT_ID_NOT_UNIQUE'],
          ['Failed to add the user', 'USER_KEY_NOT_UNIQUE'],
          ['Failed to add the user', 'VALIDATION_FAILED'],
          ['Failed to add the user', 'VALIDATION_FAILED'],
          ['Failed to add the user', 'STORE_NOT_FOUND'],
        ],
      );
      assert.equal(journey.vars.user, undefined);
      const after = await world.snapshot();
      assert.deepEqual(after.users, before.users, 'no user created');
    });

    test('TrustX registration end to end: Add User → Start → Registration Form (validation error, then corrected) → Complete → the passkey is stored', async () => {
      const journey = new JourneyRun(world);
      const authenticator = new SoftAuthenticator();
      assert.equal(outcomeOf(await journey.run(addUserStep, { storeName: STORE, userKey: 'grace', userExternalId: 'ext-grace' })), 'success');
      const userId = (journey.vars.user as { userId: string }).userId;

      assert.equal(
        outcomeOf(await journey.run(startPasskeyRegistrationStep, { ...START, passkeyUserName: 'grace@example.com', passkeyUserDisplayName: 'Grace Hopper' })),
        'success',
      );
      const record = journey.at(...REG) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
      const { clientRequest, sessionId } = record.startPasskeyRegistrationResponse;
      assert.deepEqual(
        Object.keys(record.startPasskeyRegistrationResponse).sort(),
        ['clientRequest', 'sessionId'],
        'TrustX’s shape: {clientRequest, sessionId}',
      );
      assert.equal(clientRequest.user.name, 'grace@example.com');
      assert.equal(clientRequest.user.displayName, 'Grace Hopper');
      assert.equal(clientRequest.rp.id, RP_ID);
      const session = await world.db.selectFrom('ceremony_sessions').selectAll().where('id', '=', sessionId).executeTakeFirstOrThrow();
      assert.equal(session.user_id, userId);
      assert.equal(session.challenge, clientRequest.challenge);
      assert.deepEqual(JSON.parse(session.context!), { journey: 'test-journey', instance: journey.instanceId, step: 'step' });
      assert.equal(record.userId, userId);
      assert.equal(record.status, 'started');
      // TrustX's Custom Page V2 constant, evaluated by the engine's expression library against these variables.
      const seedExpression = {
        passkeyRegClientRequest:
          '${_identityStore.passkeys.registrations["passkeyReg1"].currentPasskeyRegistrationRecord.startPasskeyRegistrationResponse.clientRequest}',
      };
      assert.deepEqual(evaluateValue(compileValue(seedExpression), evaluationContext(journey.vars), new ExpressionBudget()), {
        passkeyRegClientRequest: clientRequest,
      });

      const shown = presented(await journey.run(passkeyRegistrationFormStep, FORM, 'form'));
      assert.deepEqual(shown.options, ['client_input', 'cancel']);
      assert.deepEqual(shown.data.clientRequest, clientRequest, 'the form step hands the client the start’s clientRequest');
      assert.equal(shown.data.passkeyRegistrationKey, 'passkeyReg1');
      assert.equal(shown.data.form.title, 'Title');
      assert.deepEqual(
        shown.data.form.components.map((c: { id: string; required: boolean }) => [c.id, c.required]),
        [
          ['userName', true],
          ['displayName', true],
        ],
      );
      assert.deepEqual(shown.data.form.button, { type: 'continue', label: 'Continue' });
      assert.deepEqual(journey.at('_process', 'forms', 'form'), { name: 'seed-registration', version: 1 }, 'the form version shown is pinned');

      const response = authenticator.register(clientRequest, CTX);
      const refused = presented(
        await journey.submit(
          passkeyRegistrationFormStep,
          FORM,
          { clientResponseOptionId: 'client_input', data: { formData: { userName: 'grace' }, browserResponse: response } },
          'form',
        ),
      );
      assert.deepEqual(refused.data.form.errors, [{ field: 'displayName', code: 'missing', message: 'Display Name is required.' }]);
      assert.equal(refused.data.form.components[0].value, 'grace', 'the typed value is kept');
      assert.equal((journey.at(...REG) as { status: string }).status, 'started', 'nothing recorded for a refused form');

      const accepted = await journey.submit(
        passkeyRegistrationFormStep,
        FORM,
        { clientResponseOptionId: 'client_input', data: { formData: { userName: 'grace', displayName: 'Grace Hopper' }, browserResponse: response } },
        'form',
      );
      assert.equal(outcomeOf(accepted), 'success');
      assert.deepEqual(journey.vars.registrationForm, { userName: 'grace', displayName: 'Grace Hopper' }, 'form outputs by component id under Form data key');
      assert.equal((journey.at(...REG) as { status: string }).status, 'responded');

      assert.equal(await credentialCount(userId), 0);
      assert.equal((await world.db.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirstOrThrow()).status, 'pending');
      assert.equal(outcomeOf(await journey.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'success');
      assert.equal(await credentialCount(userId), 1);
      assert.equal(
        (await world.db.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirstOrThrow()).status,
        'active',
        'active with its first passkey',
      );
      const completed = journey.at(...REG) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
      assert.equal(completed.status, 'completed');
      assert.equal(completed.browserResponse, null, 'the raw response is not kept once verified');
      assert.equal(completed.completePasskeyRegistrationResponse.credentialId, response.id);
      assert.deepEqual(journey.vars.user, { storeName: STORE, userId });
      assert.deepEqual(
        { ...(journey.vars._authentication as object), authTime: undefined },
        { userId, amr: ['pop', 'user', 'mfa'], credentialId: response.id, attested: false, deviceBound: true, authTime: undefined },
      );
      const consumed = await world.db.selectFrom('ceremony_sessions').select('consumed_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
      assert.notEqual(consumed.consumed_at, null);
      const audit = await world.db
        .selectFrom('audit_events')
        .select('actor')
        .where('action', '=', 'passkey.register')
        .where('target_id', '=', response.id)
        .executeTakeFirstOrThrow();
      assert.equal(audit.actor, 'journey:test-journey');

      // Completing again (e.g. a definition loop) is refused by the ceremony service: the session was used.
      journey.apply([{ path: [...REG], value: { ...completed, status: 'responded', browserResponse: response } }]);
      assert.equal(outcomeOf(await journey.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'Failed ID Store Service Call');
      assert.equal((journey.at(...REG) as { error: { code: string } }).error.code, 'SESSION_ALREADY_USED');
      assert.equal(await credentialCount(userId), 1);
    });

    test('User cancelled → retry form → back to the form → success (the session survives the cancel); Fail Check on Cancel records a failure', async () => {
      const journey = new JourneyRun(world);
      const authenticator = new SoftAuthenticator();
      const user = await world.createUser('retry-user');
      assert.equal(outcomeOf(await journey.run(startPasskeyRegistrationStep, { ...START, userId: user.id })), 'success');
      presented(await journey.run(passkeyRegistrationFormStep, FORM, 'form'));
      assert.equal(outcomeOf(await journey.submit(passkeyRegistrationFormStep, FORM, { clientResponseOptionId: 'cancel', data: null }, 'form')), 'success');
      assert.equal((journey.at(...REG) as { status: string }).status, 'cancelled');
      assert.equal(outcomeOf(await journey.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'User cancelled');
      assert.equal(journey.at('_process', 'failures'), undefined, 'without Fail Check on Cancel a cancel is no failed check');

      const retry = presented(await journey.run(customDataFormStep, { dataFormName: 'retry' }, 'retry'));
      assert.equal(retry.data.form.title, 'User cancelled the process');
      assert.deepEqual(retry.data.form.components, [{ type: 'paragraph', id: 'paragraph', label: '', text: 'User cancel error happened - please try again' }]);
      assert.deepEqual(retry.data.form.button, { type: 'continue', label: 'Continue' });
      assert.equal(
        outcomeOf(await journey.submit(customDataFormStep, { dataFormName: 'retry' }, { clientResponseOptionId: 'client_input', data: {} }, 'retry')),
        'success',
      );

      const again = presented(await journey.run(passkeyRegistrationFormStep, FORM, 'form'));
      const response = authenticator.register(again.data.clientRequest, CTX);
      await journey.submit(
        passkeyRegistrationFormStep,
        FORM,
        { clientResponseOptionId: 'client_input', data: { formData: { userName: 'r', displayName: 'R' }, browserResponse: response } },
        'form',
      );
      assert.equal(outcomeOf(await journey.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'success');
      assert.equal(await credentialCount(user.id), 1);

      const strict = new JourneyRun(world);
      assert.equal(outcomeOf(await strict.run(startPasskeyRegistrationStep, { ...START, userId: user.id })), 'success');
      await strict.submit(passkeyRegistrationFormStep, FORM, { clientResponseOptionId: 'cancel', data: null }, 'form');
      assert.equal(outcomeOf(await strict.run(completePasskeyRegistrationStep, { ...COMPLETE, failCheckOnCancel: true }, 'complete')), 'User cancelled');
      assert.deepEqual(strict.at('_process', 'failures'), [{ stepId: 'complete', outcome: 'User cancelled', code: 'USER_CANCELLED' }]);
      assert.equal(outcomeOf(await strict.run(simpleDeciderStep, { decisionOnAnyFailure: 'FAILED' }, 'decide')), 'FAILED');
    });

    test('Complete: a response the ceremony service refuses leaves by “Failed ID Store Service Call” and stores nothing', async () => {
      const journey = new JourneyRun(world);
      const user = await world.createUser('bad-origin');
      await journey.run(startPasskeyRegistrationStep, { ...START, userId: user.id });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
      const clientRequest = (journey.at(...REG) as { startPasskeyRegistrationResponse: { clientRequest: any } }).startPasskeyRegistrationResponse.clientRequest;
      const response = new SoftAuthenticator().register(clientRequest, CTX, { origin: 'https://evil.example' });
      await journey.submit(
        passkeyRegistrationFormStep,
        FORM,
        { clientResponseOptionId: 'client_input', data: { formData: { userName: 'x', displayName: 'X' }, browserResponse: response } },
        'form',
      );
      const before = await world.snapshot();
      assert.equal(outcomeOf(await journey.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'Failed ID Store Service Call');
      const record = journey.at(...REG) as { status: string; error: { code: string } };
      assert.equal(record.status, 'failed');
      assert.equal(record.error.code, 'ORIGIN_MISMATCH');
      assert.deepEqual(journey.at('_process', 'failures'), [{ stepId: 'complete', outcome: 'Failed ID Store Service Call', code: 'ORIGIN_MISMATCH' }]);
      assert.deepEqual((await world.snapshot()).credentials, before.credentials);
      assert.equal(await credentialCount(user.id), 0);
      assert.equal(outcomeOf(await journey.run(simpleDeciderStep, {}, 'decide')), 'FAILED', 'default decision on any failure');

      const nothing = new JourneyRun(world);
      assert.equal(outcomeOf(await nothing.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'Failed ID Store Service Call');
      assert.equal((nothing.at(...REG) as { error: { code: string } }).error.code, 'SESSION_NOT_FOUND');
      const noResponse = new JourneyRun(world);
      await noResponse.run(startPasskeyRegistrationStep, { ...START, userId: user.id });
      assert.equal(outcomeOf(await noResponse.run(completePasskeyRegistrationStep, COMPLETE, 'complete')), 'Failed ID Store Service Call');
      assert.equal((noResponse.at(...REG) as { error: { code: string } }).error.code, 'RESPONSE_MALFORMED');
    });

    test('Complete with Passkey Registration Browser Response from a custom page: object, JSON text or base64url; empty means cancelled', async () => {
      const user = await world.createUser('page-user');
      const authenticator = new SoftAuthenticator();
      for (const encode of [(r: object) => r, (r: object) => JSON.stringify(r), (r: object) => Buffer.from(JSON.stringify(r)).toString('base64url')]) {
        const journey = new JourneyRun(world);
        await journey.run(startPasskeyRegistrationStep, { ...START, userId: user.id });
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience
        const clientRequest = (journey.at(...REG) as { startPasskeyRegistrationResponse: { clientRequest: any } }).startPasskeyRegistrationResponse
          .clientRequest;
        const response = authenticator.register({ ...clientRequest, excludeCredentials: [] }, CTX);
        assert.equal(
          outcomeOf(await journey.run(completePasskeyRegistrationStep, { ...COMPLETE, passkeyRegistrationBrowserResponse: encode(response) }, 'complete')),
          'success',
        );
      }
      assert.equal(await credentialCount(user.id), 3);
      const cancelled = new JourneyRun(world);
      await cancelled.run(startPasskeyRegistrationStep, { ...START, userId: user.id });
      assert.equal(
        outcomeOf(await cancelled.run(completePasskeyRegistrationStep, { ...COMPLETE, passkeyRegistrationBrowserResponse: '' }, 'complete')),
        'User cancelled',
      );
      assert.equal(
        outcomeOf(
          await cancelled.run(completePasskeyRegistrationStep, { ...COMPLETE, passkeyRegistrationBrowserResponse: { name: 'NotAllowedError' } }, 'complete'),
        ),
        'User cancelled',
      );
      assert.equal(
        outcomeOf(await cancelled.run(completePasskeyRegistrationStep, { ...COMPLETE, passkeyRegistrationBrowserResponse: 'not json at all' }, 'complete')),
        'Failed ID Store Service Call',
      );
      assert.equal((cancelled.at(...REG) as { error: { code: string } }).error.code, 'RESPONSE_MALFORMED');
    });

    test('Start: the user by external ID, by user key, or the journey’s user; Create User; every refusal leaves by “Failed ID Store Service Call”', async () => {
      const user = await world.createUser('key-user', { externalId: 'ext-key-user' });
      const byExt = new JourneyRun(world);
      assert.equal(outcomeOf(await byExt.run(startPasskeyRegistrationStep, { ...START, userExternalId: 'ext-key-user' })), 'success');
      assert.equal((byExt.at(...REG) as { userId: string }).userId, user.id);
      const byKey = new JourneyRun(world);
      assert.equal(outcomeOf(await byKey.run(startPasskeyRegistrationStep, { ...START, userKey: 'key-user' })), 'success');
      assert.equal((byKey.at(...REG) as { userId: string }).userId, user.id);
      const byJourney = new JourneyRun(world, { user: { storeName: STORE, userId: user.id } });
      assert.equal(outcomeOf(await byJourney.run(startPasskeyRegistrationStep, START)), 'success');
      assert.equal((byJourney.at(...REG) as { userId: string }).userId, user.id);

      const created = new JourneyRun(world);
      assert.equal(
        outcomeOf(
          await created.run(startPasskeyRegistrationStep, {
            ...START,
            createUser: true,
            userExternalId: 'brand-new',
            passkeyUserName: 'new@example.com',
            passkeyUserHandle: Buffer.from('handle-of-new').toString('base64url'),
          }),
        ),
        'success',
      );
      const newUser = await world.server.services.identity.getUser('acme', STORE, { externalId: 'brand-new' });
      assert.equal(newUser.userKey, 'new@example.com');
      assert.equal(newUser.status, 'pending', 'pending until its first passkey, like Add User’s');
      assert.equal(
        (await world.db.selectFrom('selfservice_pending_signups').select('created_by').where('user_id', '=', newUser.id).executeTakeFirstOrThrow()).created_by,
        'journey:test-journey',
      );
      const clientRequest = (created.at(...REG) as { startPasskeyRegistrationResponse: { clientRequest: { user: { id: string } } } })
        .startPasskeyRegistrationResponse.clientRequest;
      assert.equal(Buffer.from(clientRequest.user.id, 'base64url').toString(), 'handle-of-new');

      const cases: [Record<string, unknown>, string][] = [
        [{ ...START }, 'VALIDATION_FAILED'],
        [{ ...START, createUser: true }, 'VALIDATION_FAILED'],
        [{ ...START, userId: 'no-such-user' }, 'USER_NOT_FOUND'],
        [{ ...START, userKey: 'nobody' }, 'USER_NOT_FOUND'],
        [{ ...START, userId: user.id, registrationPolicy: 'nope' }, 'POLICY_NOT_FOUND'],
        [{ ...START, userId: user.id, relyingPartyId: 'other.example' }, 'RELYING_PARTY_NOT_FOUND'],
        [{ ...START, userId: user.id, storeName: 'nope' }, 'STORE_NOT_FOUND'],
        [{ ...START, userId: user.id, passkeyUserHandle: Buffer.from('another-handle').toString('base64url') }, 'USER_HANDLE_CONFLICT'],
      ];
      for (const [params, code] of cases) {
        const journey = new JourneyRun(world);
        assert.equal(outcomeOf(await journey.run(startPasskeyRegistrationStep, params)), 'Failed ID Store Service Call', JSON.stringify(params));
        assert.equal((journey.at(...REG) as { error: { code: string } }).error.code, code, JSON.stringify(params));
      }
    });

    test('Passkey Registration Form: without a started registration it rejects; a draft form is never shown; a missing browser response is the client’s 400', async () => {
      const nothing = new JourneyRun(world);
      assert.deepEqual(await nothing.run(passkeyRegistrationFormStep, FORM, 'form'), { kind: 'end', result: 'rejection', code: 'SESSION_NOT_FOUND' });
      await world.expectStatus(world.acme.api.post('/api/custom-forms', { name: 'draft-only', form: SEED_REGISTRATION_FORM }), 201);
      const user = await world.createUser('form-user');
      const journey = new JourneyRun(world);
      await journey.run(startPasskeyRegistrationStep, { ...START, userId: user.id });
      await assert.rejects(journey.run(passkeyRegistrationFormStep, { ...FORM, dataFormName: 'draft-only' }, 'form'), {
        code: 'CONTENT_VERSION_NOT_PUBLISHED',
      });
      await assert.rejects(journey.run(passkeyRegistrationFormStep, { ...FORM, dataFormName: 'no-such-form' }, 'form'), { code: 'FORM_NOT_FOUND' });
      const noForm = presented(
        await journey.run(passkeyRegistrationFormStep, { passkeyRegistrationKey: 'passkeyReg1', hideButtons: true, delaySeconds: 3 }, 'bare'),
      );
      assert.equal(noForm.data.form, null);
      assert.equal(noForm.data.hideButtons, true);
      assert.equal(noForm.data.delaySeconds, 3);
      await assert.rejects(
        journey.submit(
          passkeyRegistrationFormStep,
          FORM,
          { clientResponseOptionId: 'client_input', data: { formData: { userName: 'a', displayName: 'b' } } },
          'form',
        ),
        { code: 'VALIDATION_FAILED', status: 400 },
      );
      await assert.rejects(journey.submit(passkeyRegistrationFormStep, FORM, { clientResponseOptionId: 'client_input', data: 'nonsense' }, 'form'), {
        code: 'VALIDATION_FAILED',
      });
      assert.equal(passkeyRegistrationFormStep.timeoutSeconds!({ ...FORM, registrationTimeoutSeconds: 90 }), 90);
    });

    test('Custom Data Form: localized presentation, validation messages in German, outputs by key without transient fields, cancel', async () => {
      const journey = new JourneyRun(world, {}, 'de-DE');
      const params = { dataFormName: 'profile', formDataKey: 'profile' };
      const shown = presented(await journey.run(customDataFormStep, params, 'profile-step'));
      assert.equal(shown.data.form.title, 'Ihr Profil');
      assert.deepEqual(shown.data.form.button, { type: 'submit', label: 'Speichern' });
      const refused = presented(
        await journey.submit(customDataFormStep, params, { clientResponseOptionId: 'client_input', data: { nickname: 'x', secret: '123' } }, 'profile-step'),
      );
      assert.deepEqual(refused.data.form.errors, [
        { field: 'nickname', code: 'invalidLength', message: 'Spitzname muss 3 bis 12 Zeichen lang sein.' },
        { field: 'secret', code: 'invalidLength', message: 'One-time code muss 6 bis 6 Zeichen lang sein.' },
      ]);
      assert.equal(journey.vars.profile, undefined);
      assert.equal(
        outcomeOf(
          await journey.submit(
            customDataFormStep,
            params,
            { clientResponseOptionId: 'client_input', data: { nickname: 'ada', secret: '123456', email: 'ada@example.com' } },
            'profile-step',
          ),
        ),
        'success',
      );
      assert.deepEqual(journey.vars.profile, { nickname: 'ada', email: 'ada@example.com', plan: 'basic' }, 'the transient one-time code is not persisted');
      assert.equal(outcomeOf(await journey.submit(customDataFormStep, params, { clientResponseOptionId: 'cancel', data: null }, 'profile-step')), 'cancel');
      const defaultKey = new JourneyRun(world);
      await defaultKey.submit(
        customDataFormStep,
        { dataFormName: 'profile' },
        { clientResponseOptionId: 'client_input', data: { nickname: 'bob', secret: '654321' } },
        'profile-step',
      );
      assert.deepEqual(defaultKey.vars['profile-step'], { nickname: 'bob', email: '', plan: 'basic' }, 'default Form data key: the step id');
    });

    test('Simple Decider: Decision on Any Failure when a check failed, else Derive Decision From, else PASSED', async () => {
      const clean = new JourneyRun(world);
      assert.equal(outcomeOf(await clean.run(simpleDeciderStep, {}, 'd')), 'PASSED');
      assert.deepEqual(clean.at('_process', 'decision'), { decision: 'PASSED', failures: 0 });
      assert.equal(outcomeOf(await clean.run(simpleDeciderStep, { deriveDecisionFrom: 'refer' }, 'd')), 'REFER');
      assert.equal(outcomeOf(await clean.run(simpleDeciderStep, { deriveDecisionFrom: false }, 'd')), 'FAILED');
      assert.equal(outcomeOf(await clean.run(simpleDeciderStep, { deriveDecisionFrom: '' }, 'd')), 'PASSED', 'left blank as TrustX processes leave it');
      const failed = new JourneyRun(world, { _process: { failures: [{ stepId: 'x', outcome: 'Failed to add the user' }] } });
      assert.equal(outcomeOf(await failed.run(simpleDeciderStep, { decisionOnAnyFailure: 'REFER', deriveDecisionFrom: 'PASSED' }, 'd')), 'REFER');
      assert.deepEqual(failed.at('_process', 'decision'), { decision: 'REFER', failures: 1 });
    });
  });
}
