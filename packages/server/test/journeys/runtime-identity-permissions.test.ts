import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { CEREMONY_PERMISSIONS } from '../../src/journeys/user-acts.ts';
import { snapshotDatabase } from '../support/database-snapshot.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import type { HttpClient } from '../support/http-client.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';
import { definition, endReject, endSuccess, instanceRows, ORIGIN, publish, setUpTenant, startPublic, STORE, submit, probeStep } from './engine-fixture.ts';

const REGISTER_FOR_USER = 'TNT#acme#IdentityStore:createPasskeyRegistrationForUser';
const REGISTER_BY_EXT_ID = 'TNT#acme#IdentityStore:createPasskeyRegistrationForUserByExtId';
const AUTHENTICATE_FOR_USER = 'TNT#acme#IdentityStore:createPasskeyAuthenticationForUser';
const AUTHENTICATE_BY_EXT_ID = 'TNT#acme#IdentityStore:createPasskeyAuthenticationForUserByExtId';
const CREATE_USER = 'TNT#acme#IdentityStore:createUser';

/** Mosaic Register Passkeys for the user a parameter names (the auditor's takeover: anyone at the browser registers). */
const registerFor = (userIdentifier: string, userIdentifierType = 'userKey') =>
  definition(
    [
      {
        id: 'reg',
        type: 'mosaic.registerPasskeys',
        parameters: { userAuthState: 'notAuthenticated', userIdentifier, userIdentifierType, relyingPartyId: 'app.example.com', registrationPolicy: 'default' },
        outcomes: { success: 'done', failure: 'rejected', cancel: 'rejected' },
      },
      endSuccess(),
      endReject(),
    ],
    { access: { public: true } },
  );

/** One server-side step before a success end, its outcomes all wired to it. */
const oneStep = (type: string, parameters: Record<string, unknown>, outcomes: string[]) =>
  definition([{ id: 'act', type, parameters, outcomes: Object.fromEntries(outcomes.map((o) => [o, 'done'])) }, endSuccess()]);
const START = ['success', 'Failed ID Store Service Call'];
const TRUSTX = { storeName: STORE, relyingPartyId: 'app.example.com' };
const startRegistration = (user: Record<string, unknown>) =>
  oneStep('trustx.startPasskeyRegistration', { ...TRUSTX, registrationPolicy: 'default', passkeyRegistrationKey: 'r', ...user }, START);
const startAuthentication = (user: Record<string, unknown>) =>
  oneStep('trustx.startPasskeyAuthentication', { ...TRUSTX, authenticationPolicy: 'default', passkeyAuthenticationKey: 'a', ...user }, START);

/** A journey acts on a user only as far as its starter may, and issues an ID token only after authenticating. */
for (const kind of DATABASE_KINDS) {
  describe(`journeys and identity permissions on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let userId: string;

    before(async () => {
      server = await startTestServer({ kind, stepTypes: [probeStep] });
      ({ admin, userId } = await setUpTenant(server));
      const passkeys = `/api/identity-store/stores/${STORE}/passkeys`;
      assert.equal((await admin.api.post(`${passkeys}/registrationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.api.post(`${passkeys}/authenticationPolicies`, { name: 'default' })).status, 201);
    });
    after(() => server.close());

    async function clientWith(permissions: string[]) {
      const created = await admin.api.post('/api/admin/clients', { name: `c-${permissions.length}-${Math.random()}`, permissions });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return server.http.withToken(await server.token(created.body.clientId, created.body.clientSecret));
    }
    const journeyState = async () => ({
      instances: (await instanceRows(server)).length,
      events: (await server.database.db.selectFrom('audit_events').select('id').where('target_type', '=', 'journey').execute()).length,
    });

    test('a client holding only Journeys:* cannot start a journey naming a user: 403, nothing stored, no user data', async () => {
      const journeysOnly = await clientWith(['TNT#acme#Journeys:*']);
      assert.equal((await journeysOnly.get('/api/identity-store/stores/customers/users')).status, 403);
      // The attack: publish a one-step success journey, start it naming alice.
      assert.equal((await journeysOnly.post('/api/journeys', { journeyId: 'grab' })).status, 201);
      assert.equal(
        (await journeysOnly.request('PUT', '/api/journeys/grab/draft', { definition: definition([endSuccess('done')], { access: { public: false } }) })).status,
        200,
      );
      assert.equal((await journeysOnly.post('/api/journeys/grab/publish')).status, 201);
      const before = await journeyState();
      for (const user of [{ userId }, { externalId: 'ext-alice' }, { userId: 'no-such-user' }]) {
        const started = await journeysOnly.post('/acme/journeys/grab/start', { user });
        assert.equal(started.status, 403, JSON.stringify(user));
        assert.equal(started.body.code, 'FORBIDDEN');
        assert.match(started.body.detail, 'userId' in user ? /TNT#acme#IdentityStore:getUser$/ : /TNT#acme#IdentityStore:getUserByExtId$/);
        assert.ok(!JSON.stringify(started.body).includes('alice'), 'nothing about the user leaks');
      }
      assert.deepEqual(await journeyState(), before, 'no instance, no audit event');
    });

    test('with the permission to read the user the start is allowed, but a journey that authenticated nobody yields no ID token and no user record', async () => {
      await publish(admin, 'named', definition([endSuccess('done')], { access: { public: false } }));
      const reader = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser']);
      const byId = await reader.post('/acme/journeys/named/start', { user: { userId } });
      assert.equal(byId.status, 200, JSON.stringify(byId.body));
      assert.equal(byId.body.journeyStepId, 'success');
      assert.deepEqual(byId.body.data, {}, 'no idToken, no user record');
      const byExtId = await reader.post('/acme/journeys/named/start', { user: { externalId: 'ext-alice' } });
      assert.equal(byExtId.status, 403, 'the external id needs IdentityStore:getUserByExtId');
      const wildcard = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:*']);
      assert.equal((await wildcard.post('/acme/journeys/named/start', { user: { externalId: 'ext-alice' } })).status, 200);
    });

    test('an ID token only for the user a step authenticated; a user the journey identified without authenticating comes back without one', async () => {
      await publish(admin, 'probe', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      const identified = await submit(server, (await startPublic(server, 'probe')).body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { user: userId },
      });
      assert.equal(identified.body.journeyStepId, 'success', JSON.stringify(identified.body));
      assert.equal(identified.body.data.user.id, userId);
      assert.equal(identified.body.data.idToken, undefined);
      const authenticated = await submit(server, (await startPublic(server, 'probe')).body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { user: userId, authenticated: true },
      });
      const claims = decodeJwt(authenticated.body.data.idToken);
      assert.equal(claims.sub, userId);
      assert.deepEqual(claims.amr, ['pop', 'user']);
      assert.equal(claims.aud, ORIGIN);
    });

    test('user and _authentication cannot be written by a definition or by client data routed into a variable', async () => {
      await publish(admin, 'forge', definition([{ id: 'ask', type: 'test.prompt', outcomes: { next: 'done' } }, endSuccess()]));
      for (const set of [
        { user: { storeName: 'customers', userId } },
        { _authentication: { userId, amr: ['pop'], credentialId: 'x', attested: true, deviceBound: true, authTime: new Date().toISOString() } },
      ]) {
        const forged = await submit(server, (await startPublic(server, 'forge')).body.sessionId, { clientResponseOptionId: 'client_input', data: { set } });
        assert.equal(forged.body.journeyStepId, 'rejection', JSON.stringify(set));
        assert.equal(forged.body.data.code, 'JOURNEY_STEP_FAILED');
        assert.equal(forged.body.data.idToken, undefined);
      }
      // A stale authentication of someone else does not count for the current user.
      const other = await admin.api.post('/api/identity-store/stores/customers/users', { userKey: 'bob' });
      await publish(
        admin,
        'switch',
        definition([
          { id: 'ask', type: 'test.prompt', outcomes: { next: 'ask2' } },
          { id: 'ask2', type: 'test.prompt', outcomes: { next: 'done' } },
          endSuccess(),
        ]),
      );
      const first = await submit(server, (await startPublic(server, 'switch')).body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { user: other.body.id, authenticated: true },
      });
      const second = await submit(server, first.body.sessionId, { clientResponseOptionId: 'client_input', data: { user: userId } });
      assert.equal(second.body.journeyStepId, 'success');
      assert.equal(second.body.data.user.id, userId);
      assert.equal(second.body.data.idToken, undefined);
      const setVariables = await admin.api.request('PUT', '/api/journeys/forge/draft', {
        definition: definition([
          { id: 'set', type: 'general.setVariables', parameters: { variables: { _authentication: { amr: ['pop'] } } }, outcomes: { success: 'done' } },
          endSuccess(),
        ]),
      });
      assert.equal(setVariables.status, 200, 'a draft may be invalid');
      const refused = await admin.api.post('/api/journeys/forge/publish');
      assert.equal(refused.status, 400, 'Set Variables may not name _authentication');
      assert.match(JSON.stringify(refused.body), /_authentication|propertyNames|variables/);
    });

    /**
     * Drafts the definition as `journeyId` (created when absent) with `api` and publishes it; answers the publish
     * response. A refused publish must leave every table as the draft left it.
     */
    async function draftAndPublish(api: HttpClient, journeyId: string, body: Record<string, unknown>) {
      if ((await api.get(`/api/journeys/${journeyId}`)).status === 404) assert.equal((await api.post('/api/journeys', { journeyId })).status, 201);
      const drafted = await api.request('PUT', `/api/journeys/${journeyId}/draft`, { definition: body });
      assert.equal(drafted.status, 200, JSON.stringify(drafted.body));
      const before = await snapshotDatabase(server.database);
      const published = await api.post(`/api/journeys/${journeyId}/publish`);
      if (published.status === 403) assert.deepEqual(await snapshotDatabase(server.database), before, `${journeyId}: a refused publish writes nothing`);
      return published;
    }
    const alicePasskeys = async () =>
      (await server.database.db.selectFrom('credentials').select('credential_id').where('user_id', '=', userId).execute()).map((r) => r.credential_id);

    test('the auditor’s takeover: a client holding only Journeys:* cannot publish a journey that registers a passkey for a user a step names (403, nothing published, no passkey)', async () => {
      const journeysOnly = await clientWith(['TNT#acme#Journeys:*']);
      assert.equal((await journeysOnly.post('/api/journeys', { journeyId: 'takeover' })).status, 201);
      const drafted = await journeysOnly.request('PUT', '/api/journeys/takeover/draft', { definition: registerFor('alice') });
      assert.equal(drafted.status, 200, 'a draft is only work in progress');
      const before = await snapshotDatabase(server.database);
      const refused = await journeysOnly.post('/api/journeys/takeover/publish');
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'JOURNEY_PUBLISHER_NOT_PERMITTED');
      assert.equal(
        refused.body.detail,
        `Publishing the journey needs 1 permission(s) the publisher does not hold; the first: step reg registers a passkey for the user userIdentifier names, which needs ${REGISTER_FOR_USER}`,
      );
      assert.deepEqual(refused.body.errors, [
        {
          field: '/steps/0/parameters/userIdentifier',
          message: `step reg registers a passkey for the user userIdentifier names, which needs ${REGISTER_FOR_USER}`,
        },
      ]);
      assert.deepEqual(await snapshotDatabase(server.database), before, 'no version, no audit event, nothing written');
      assert.equal((await journeysOnly.get('/api/journeys/takeover')).body.latestVersion, null);
      const started = await journeysOnly.post('/acme/journeys/takeover/start', {}, { origin: ORIGIN });
      assert.equal(started.status, 409);
      assert.equal(started.body.code, 'JOURNEY_NOT_PUBLISHED');
      assert.equal((await startPublic(server, 'takeover')).status, 404, 'a browser is not told it exists');
      assert.deepEqual(await alicePasskeys(), []);
      // The second half of the sequence: the sign-in templates cannot be installed by it either (they add users and sign in a named user).
      const beforeInstall = await snapshotDatabase(server.database);
      const installed = await journeysOnly.post('/api/journeys/templates/install', { store: STORE });
      assert.equal(installed.status, 403, JSON.stringify(installed.body));
      assert.equal(installed.body.code, 'JOURNEY_PUBLISHER_NOT_PERMITTED');
      assert.match(installed.body.detail, /^Publishing trustx-passkey-authentication needs 1 permission/);
      assert.match(
        installed.body.detail,
        /step startAuthentication starts a passkey sign-in for the user userKey names, which needs TNT#acme#IdentityStore:createPasskeyAuthenticationForUser$/,
      );
      assert.deepEqual(await snapshotDatabase(server.database), beforeInstall, 'no template journey and no form installed');
    });

    test('every way a definition names or adds a user needs the API’s permission for the same act; each missing one is listed', async () => {
      const journeysOnly = await clientWith(['TNT#acme#Journeys:*']);
      const cases: [string, Record<string, unknown>, { field: string; needs: string }[]][] = [
        ['by-user-id', registerFor(userId, 'userId'), [{ field: '/steps/0/parameters/userIdentifier', needs: REGISTER_FOR_USER }]],
        // By external id the API starts by …/ext and completes by id: both permissions.
        [
          'by-ext-id',
          registerFor('ext-alice', 'externalId'),
          [
            { field: '/steps/0/parameters/userIdentifier', needs: REGISTER_BY_EXT_ID },
            { field: '/steps/0/parameters/userIdentifier', needs: REGISTER_FOR_USER },
          ],
        ],
        [
          'type-by-expression',
          registerFor('${loginData.name}', '${loginData.kind}'),
          [
            { field: '/steps/0/parameters/userIdentifier', needs: REGISTER_FOR_USER },
            { field: '/steps/0/parameters/userIdentifier', needs: REGISTER_BY_EXT_ID },
          ],
        ],
        ['trustx-user-key', startRegistration({ userKey: 'alice' }), [{ field: '/steps/0/parameters/userKey', needs: REGISTER_FOR_USER }]],
        ['trustx-user-id-expression', startRegistration({ userId: '${_journey.id}' }), [{ field: '/steps/0/parameters/userId', needs: REGISTER_FOR_USER }]],
        [
          'trustx-create-user',
          startRegistration({ createUser: true, userExternalId: 'ext-alice' }),
          [
            { field: '/steps/0/parameters/createUser', needs: CREATE_USER },
            { field: '/steps/0/parameters/userExternalId', needs: REGISTER_BY_EXT_ID },
            { field: '/steps/0/parameters/userExternalId', needs: REGISTER_FOR_USER },
          ],
        ],
        ['sign-in-user-id', startAuthentication({ userId }), [{ field: '/steps/0/parameters/userId', needs: AUTHENTICATE_FOR_USER }]],
        [
          'sign-in-ext-id',
          startAuthentication({ userExternalId: 'ext-alice' }),
          [
            { field: '/steps/0/parameters/userExternalId', needs: AUTHENTICATE_BY_EXT_ID },
            { field: '/steps/0/parameters/userExternalId', needs: AUTHENTICATE_FOR_USER },
          ],
        ],
        [
          'add-user',
          oneStep('trustx.addUser', { storeName: STORE, userKey: 'mallory' }, ['success', 'Failed to add the user', 'ExtId Not Unique']),
          [{ field: '/steps/0/parameters/userKey', needs: CREATE_USER }],
        ],
      ];
      for (const [journeyId, body, expected] of cases) {
        const refused = await draftAndPublish(journeysOnly, journeyId, body);
        assert.equal(refused.status, 403, journeyId);
        assert.equal(refused.body.code, 'JOURNEY_PUBLISHER_NOT_PERMITTED', journeyId);
        assert.deepEqual(
          refused.body.errors.map((e: { field: string; message: string }) => ({ field: e.field, needs: /which needs (\S+)$/.exec(e.message)?.[1] })),
          expected,
          journeyId,
        );
        assert.equal((await journeysOnly.get(`/api/journeys/${journeyId}`)).body.latestVersion, null, `${journeyId}: no version`);
      }
      // Blank, absent or "authenticated": the journey's own user, no permission needed.
      for (const [journeyId, body] of [
        [
          'own-user-mosaic',
          definition([
            {
              ...(registerFor('alice').steps as Record<string, unknown>[])[0],
              parameters: { userAuthState: 'authenticated', relyingPartyId: 'app.example.com', registrationPolicy: 'default' },
            },
            endSuccess(),
            endReject(),
          ]),
        ],
        ['own-user-trustx', startRegistration({ userKey: ' ', userId: '' })],
        ['discoverable', startAuthentication({})],
      ] as const) {
        assert.equal((await draftAndPublish(journeysOnly, journeyId, body)).status, 201, journeyId);
      }
    });

    test('a sub-journey’s acts count as its caller’s: the caller chooses the inputs that name the user', async () => {
      // An admin publishes a building block that registers for the user its input names; it is not startable itself.
      await publish(admin, 'register-for', {
        ...registerFor('${target}'),
        access: { public: false, apiClients: false },
        variables: { target: { type: 'string', input: true } },
      });
      const journeysOnly = await clientWith(['TNT#acme#Journeys:*']);
      const caller = definition([
        {
          id: 'call',
          type: 'general.subJourney',
          parameters: { journeyId: 'register-for', input: { target: 'alice' } },
          outcomes: { success: 'done', rejection: 'done' },
        },
        endSuccess(),
      ]);
      const refused = await draftAndPublish(journeysOnly, 'calls-register-for', caller);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'JOURNEY_PUBLISHER_NOT_PERMITTED');
      assert.deepEqual(refused.body.errors, [
        {
          field: '/steps/0/parameters/journeyId',
          message: `step call (sub-journey step register-for/reg) registers a passkey for the user userIdentifier names, which needs ${REGISTER_FOR_USER}`,
        },
      ]);
      const allowed = await clientWith(['TNT#acme#Journeys:*', 'TNT#acme#IdentityStore:createPasskeyRegistrationForUser']);
      assert.equal((await draftAndPublish(allowed, 'calls-register-for', caller)).status, 201);
    });

    test('a publisher holding the permission publishes, and the step registers onto the named user as it did before the rule', async () => {
      const registrar = await clientWith(['TNT#acme#Journeys:*', REGISTER_FOR_USER]);
      const byExtIdOnly = await clientWith(['TNT#acme#Journeys:*', REGISTER_BY_EXT_ID]);
      const refused = await draftAndPublish(byExtIdOnly, 'enrol-ext', registerFor('ext-alice', 'externalId'));
      assert.equal(refused.status, 403);
      assert.deepEqual(
        refused.body.errors.map((e: { message: string }) => e.message),
        [`step reg registers a passkey for the user userIdentifier names, which needs ${REGISTER_FOR_USER}`],
        'the by-id completion is still missing',
      );
      const published = await draftAndPublish(registrar, 'enrol-alice', registerFor('alice'));
      assert.equal(published.status, 201, JSON.stringify(published.body));
      const started = await startPublic(server, 'enrol-alice');
      assert.equal(started.body.journeyStepId, 'reg', JSON.stringify(started.body));
      const credential = new SoftAuthenticator().register(started.body.data.clientRequest, { origin: ORIGIN });
      const done = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: credential } });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(await alicePasskeys(), [credential.id]);
      // The templates install for a client holding what they need, as they do for a full admin.
      const installer = await clientWith(['TNT#acme#Journeys:*', CREATE_USER, AUTHENTICATE_FOR_USER]);
      const installed = await installer.post('/api/journeys/templates/install', { store: STORE });
      assert.equal(installed.status, 200, JSON.stringify(installed.body));
      assert.equal(installed.body.items.length, 4);
    });

    /** Starts `journeyId` naming `user` as `starter`; a refused start must leave every table as it was. */
    async function startNaming(starter: HttpClient, journeyId: string, user: { userId: string } | { externalId: string }, variables?: Record<string, unknown>) {
      const before = await snapshotDatabase(server.database);
      const started = await starter.post(`/acme/journeys/${journeyId}/start`, { user, ...(variables ? { variables } : {}) }, { origin: ORIGIN });
      if (started.status === 403) assert.deepEqual(await snapshotDatabase(server.database), before, `${journeyId}: a refused start writes nothing`);
      return started;
    }
    const missing = (refused: { body: { errors: { field: string; message: string }[] } }) =>
      refused.body.errors.map((e) => ({ field: e.field, needs: /which needs (\S+)$/.exec(e.message)?.[1] }));
    /** Register Passkeys for the journey's own user (User Auth State "authenticated"), then `done`. */
    const registerOwn = (id = 'reg') => ({
      id,
      type: 'mosaic.registerPasskeys',
      parameters: { userAuthState: 'authenticated', relyingPartyId: 'app.example.com', registrationPolicy: 'default' },
      outcomes: { success: 'done', failure: 'rejected', cancel: 'rejected' },
    });
    const PRIVATE = { access: { public: false } };

    test('the starter’s takeover: Journeys:start and getUser cannot start a registration for alice (403, nothing stored); with the ceremony API’s permission the passkey is hers', async () => {
      assert.equal((await admin.api.post('/api/journeys/templates/install', { store: STORE })).status, 200);
      const passkeysBefore = await alicePasskeys();
      const reader = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser']);
      const refused = await startNaming(reader, 'mosaic-passkey-registration', { userId });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'JOURNEY_STARTER_NOT_PERMITTED');
      const message = `step registerPasskeys registers a passkey for the journey’s user, named by userId, which needs ${REGISTER_FOR_USER}`;
      assert.equal(
        refused.body.detail,
        `Starting journey mosaic-passkey-registration for a named user needs 1 permission(s) the starter does not hold; the first: ${message}`,
      );
      assert.deepEqual(refused.body.errors, [{ field: '/user', message }]);
      assert.ok(!JSON.stringify(refused.body).includes('alice'), 'nothing about the user leaks');
      // Refused before the user is read: an absent user is refused alike (no 404 telling who exists).
      const absent = await startNaming(reader, 'mosaic-passkey-registration', { userId: 'no-such-user' });
      assert.equal(absent.status, 403);
      assert.equal(absent.body.code, 'JOURNEY_STARTER_NOT_PERMITTED');
      assert.deepEqual(await alicePasskeys(), passkeysBefore, 'no passkey');

      // A backend allowed to register passkeys for users (as the ceremony API asks) starts it, and the passkey is alice’s.
      const registrar = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser', REGISTER_FOR_USER]);
      const started = await startNaming(registrar, 'mosaic-passkey-registration', { userId });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'registerPasskeys');
      const authenticator = new SoftAuthenticator();
      const credential = authenticator.register(started.body.data.clientRequest, { origin: ORIGIN });
      const done = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: credential } });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.deepEqual((await alicePasskeys()).sort(), [...passkeysBefore, credential.id].sort());

      // A journey that signs its user in before registering acts on whoever proved a passkey: naming alice needs
      // nothing more than reading her, and the registration is for the user who signed in.
      await publish(
        admin,
        'sign-in-then-register',
        definition(
          [
            {
              id: 'login',
              type: 'mosaic.loginForm',
              parameters: { enablePasskeys: true, outputVariable: 'loginData', relyingPartyId: 'app.example.com', authenticationPolicy: 'default' },
              outcomes: { passkeys: 'verify', cancel: 'rejected' },
            },
            {
              id: 'verify',
              type: 'mosaic.passkeyAuthentication',
              parameters: { encodedResult: '${loginData.webauthn_encoded_result}', failureBehavior: 'failureBranch' },
              outcomes: { success: 'reg', failure: 'rejected' },
            },
            registerOwn(),
            endSuccess(),
            endReject(),
          ],
          PRIVATE,
        ),
      );
      const login = await startNaming(reader, 'sign-in-then-register', { userId });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal(login.body.journeyStepId, 'login');
      const assertion = authenticator.authenticate(login.body.data.passkeys.clientRequest, { origin: ORIGIN });
      const signedIn = await submit(server, login.body.sessionId, { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: assertion } });
      assert.equal(signedIn.body.journeyStepId, 'reg', JSON.stringify(signedIn.body));
      // Another device: the first already holds a passkey of alice's (excludeCredentials).
      const second = new SoftAuthenticator().register(signedIn.body.data.clientRequest, { origin: ORIGIN });
      const registered = await submit(server, signedIn.body.sessionId, { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: second } });
      assert.equal(registered.body.journeyStepId, 'success', JSON.stringify(registered.body));
      assert.equal(registered.body.data.user.id, userId);
      assert.ok((await alicePasskeys()).includes(second.id));
    });

    test('naming the user by external id needs both registration permissions, as the ceremony API asks for its start by …/ext and its completion by id', async () => {
      assert.equal((await admin.api.post('/api/journeys/templates/install', { store: STORE })).status, 200);
      const byExtId = { externalId: 'ext-alice' };
      const READ_BY_EXT_ID = 'TNT#acme#IdentityStore:getUserByExtId';
      for (const [held, needs] of [
        [[], [REGISTER_BY_EXT_ID, REGISTER_FOR_USER]],
        [[REGISTER_FOR_USER], [REGISTER_BY_EXT_ID]],
        [[REGISTER_BY_EXT_ID], [REGISTER_FOR_USER]],
      ] as const) {
        const starter = await clientWith(['TNT#acme#Journeys:start', READ_BY_EXT_ID, ...held]);
        const refused = await startNaming(starter, 'mosaic-passkey-registration', byExtId);
        assert.equal(refused.status, 403, JSON.stringify(held));
        assert.equal(refused.body.code, 'JOURNEY_STARTER_NOT_PERMITTED');
        assert.deepEqual(
          missing(refused),
          needs.map((permission) => ({ field: '/user', needs: permission })),
          JSON.stringify(held),
        );
        assert.match(refused.body.errors[0].message, /^step registerPasskeys registers a passkey for the journey’s user, named by externalId, which needs /);
      }
      const both = await clientWith(['TNT#acme#Journeys:start', READ_BY_EXT_ID, REGISTER_BY_EXT_ID, REGISTER_FOR_USER]);
      const started = await startNaming(both, 'mosaic-passkey-registration', byExtId);
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'registerPasskeys');
      assert.equal(started.body.data.username, 'alice@example.com');
      // By id the by-external-id permission is not enough: the by-id one is what the API asks.
      const extOnly = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser', REGISTER_BY_EXT_ID]);
      assert.deepEqual(missing(await startNaming(extOnly, 'mosaic-passkey-registration', { userId })), [{ field: '/user', needs: REGISTER_FOR_USER }]);
    });

    test('a journey that starts its user’s sign-in needs the authentication permission; one whose user is created in the run, or that names its user itself, needs nothing more', async () => {
      const reader = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser']);
      // Start Passkey Authentication naming nobody: for a named start, alice's sign-in (her passkeys are listed to the starter).
      await publish(admin, 'sign-in-own', startAuthentication({}));
      const refused = await startNaming(reader, 'sign-in-own', { userId });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'JOURNEY_STARTER_NOT_PERMITTED');
      assert.deepEqual(refused.body.errors, [
        { field: '/user', message: `step act starts a passkey sign-in for the journey’s user, named by userId, which needs ${AUTHENTICATE_FOR_USER}` },
      ]);
      const authenticator = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser', AUTHENTICATE_FOR_USER]);
      const allowed = await startNaming(authenticator, 'sign-in-own', { userId });
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
      // Without a named user the same journey is a discoverable sign-in, as before.
      assert.equal((await startPublic(server, 'sign-in-own')).status, 200);
      // A user given by an expression may be empty in the run, and the step then uses the journey's user.
      await publish(admin, 'register-maybe-own', {
        ...startRegistration({ userKey: '${key}' }),
        variables: { key: { type: 'string', input: true, default: '' } },
      });
      assert.deepEqual(missing(await startNaming(reader, 'register-maybe-own', { userId })), [{ field: '/user', needs: REGISTER_FOR_USER }]);

      // The user is created in the run before the registration: it is for them, not for the one named.
      await publish(
        admin,
        'add-then-register',
        definition(
          [
            {
              id: 'add',
              type: 'trustx.addUser',
              parameters: { storeName: STORE, userKey: '${key}' },
              outcomes: { success: 'act', 'Failed to add the user': 'rejected', 'ExtId Not Unique': 'rejected' },
            },
            { ...(startRegistration({}).steps as Record<string, unknown>[])[0], outcomes: { success: 'done', 'Failed ID Store Service Call': 'rejected' } },
            endSuccess(),
            endReject(),
          ],
          { ...PRIVATE, variables: { key: { type: 'string', input: true } } },
        ),
      );
      const created = await startNaming(reader, 'add-then-register', { userId }, { key: 'newcomer' });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.journeyStepId, 'success', JSON.stringify(created.body));
      assert.equal(created.body.data.user.userKey, 'newcomer');
      // A step naming its user by a constant: the publisher answered for that user (user-acts.ts), the starter for nobody.
      await publish(admin, 'register-named', startRegistration({ userKey: 'alice' }));
      assert.equal((await startNaming(reader, 'register-named', { userId })).status, 200);
    });

    test('a sub-journey’s acts on the journey’s user count as its caller’s: it runs with the caller’s user', async () => {
      await publish(admin, 'register-own', definition([registerOwn(), endSuccess(), endReject()], { access: { public: false, apiClients: false } }));
      await publish(
        admin,
        'calls-register-own',
        definition(
          [
            { id: 'call', type: 'general.subJourney', parameters: { journeyId: 'register-own' }, outcomes: { success: 'done', rejection: 'done' } },
            endSuccess(),
          ],
          PRIVATE,
        ),
      );
      const reader = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser']);
      const refused = await startNaming(reader, 'calls-register-own', { userId });
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'JOURNEY_STARTER_NOT_PERMITTED');
      assert.deepEqual(refused.body.errors, [
        {
          field: '/user',
          message: `step call (sub-journey step register-own/reg) registers a passkey for the journey’s user, named by userId, which needs ${REGISTER_FOR_USER}`,
        },
      ]);
      const registrar = await clientWith(['TNT#acme#Journeys:start', 'TNT#acme#IdentityStore:getUser', REGISTER_FOR_USER]);
      const started = await startNaming(registrar, 'calls-register-own', { userId });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'reg', 'the sub-journey’s step, for alice');
      // Its latest version counts: a new one that names its user itself needs nothing of the starter.
      await publish(admin, 'register-own', { ...registerFor('alice'), access: { public: false, apiClients: false } });
      assert.equal((await startNaming(reader, 'calls-register-own', { userId })).status, 200);
    });

    test('the permissions mirror the passkey ceremony API’s, and the refusals are documented on publish, install and start', async () => {
      const document = (await server.http.get('/openapi.json')).body;
      const permissionOf = (operationId: string) => {
        for (const methods of Object.values<Record<string, { operationId?: string; 'x-keyway-permission'?: string }>>(document.paths))
          for (const operation of Object.values(methods))
            if (operation.operationId === operationId) return operation['x-keyway-permission']?.replace('TNT#{tenant}#', '');
        throw new Error(`no operation ${operationId}`);
      };
      assert.deepEqual(CEREMONY_PERMISSIONS.registration.id, [permissionOf('startPasskeyRegistration')]);
      assert.equal(permissionOf('completePasskeyRegistration'), CEREMONY_PERMISSIONS.registration.id[0]);
      assert.deepEqual(CEREMONY_PERMISSIONS.registration.externalId, [
        permissionOf('startPasskeyRegistrationByExtId'),
        permissionOf('completePasskeyRegistration'),
      ]);
      assert.deepEqual(CEREMONY_PERMISSIONS.authentication.id, [permissionOf('startPasskeyAuthentication')]);
      assert.equal(permissionOf('completePasskeyAuthentication'), CEREMONY_PERMISSIONS.authentication.id[0]);
      assert.deepEqual(CEREMONY_PERMISSIONS.authentication.externalId, [
        permissionOf('startPasskeyAuthenticationByExtId'),
        permissionOf('completePasskeyAuthentication'),
      ]);
      for (const path of ['/api/journeys/{journeyId}/publish', '/api/journeys/templates/install'])
        assert.match(JSON.stringify(document.paths[path].post.responses), /JOURNEY_PUBLISHER_NOT_PERMITTED/, path);
      assert.match(JSON.stringify(document.paths['/{tenantId}/journeys/{journeyId}/start'].post.responses), /JOURNEY_STARTER_NOT_PERMITTED/);
    });
  });
}
