// Custom forms and pages through the journey runtime over real HTTP on both databases: a Custom Data Form is presented
// in the request's language, a refused submission comes back on the same step with localized per-field messages,
// the corrected one stores the outputs by component id (transient ones left out), which later steps read by
// expression; a form published after the journey started does not change the form being answered; a Custom Page V2
// step hands the runner a page URL that serves the step's session data and stops working once the step is answered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DATABASE_KINDS } from '../support/databases.ts';
import type { TenantFixture } from '../support/test-server.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { definition, endSuccess, publish, setUpTenant, startPublic, STORE, submit } from './engine-fixture.ts';
import { PROFILE_FORM } from './forms-fixtures.ts';

const PROFILE_JOURNEY = definition([
  {
    id: 'profile',
    type: 'trustx.customDataForm',
    parameters: { dataFormName: 'profile', formDataKey: 'profileData' },
    outcomes: { success: 'addUser', cancel: 'rejected', timeout: 'rejected' },
  },
  {
    id: 'addUser',
    type: 'trustx.addUser',
    parameters: { storeName: '${_journey.store}', userKey: '${profileData.nickname}', userEmail: '${profileData.email}' },
    outcomes: { success: 'done', 'Failed to add the user': 'rejected', 'ExtId Not Unique': 'rejected' },
  },
  endSuccess(),
  { id: 'rejected', type: 'general.end', parameters: { result: 'rejection', code: 'PROFILE_REFUSED' } },
]);

for (const kind of DATABASE_KINDS) {
  describe(`forms and pages in the journey runtime on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    before(async () => {
      server = await startTestServer({ kind });
      ({ admin } = await setUpTenant(server));
      assert.equal((await admin.api.post('/api/custom-forms', { name: 'profile', form: PROFILE_FORM })).status, 201);
      assert.equal((await admin.api.post('/api/custom-forms/profile/versions/1/publish')).status, 200);
      await publish(admin, 'profile', PROFILE_JOURNEY);
    });
    after(() => server.close());

    test('a refused submission stays on the step with German messages; the corrected one is stored by component id and used by the next step', async () => {
      const started = await server.http.post('/acme/journeys/profile/start', {}, { origin: 'https://app.example.com', 'accept-language': 'de-DE,de;q=0.9' });
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.equal(started.body.journeyStepId, 'profile');
      assert.equal(started.body.data.form.title, 'Ihr Profil');
      assert.deepEqual(started.body.clientResponseOptions, ['client_input', 'cancel']);

      const refused = await server.http.post(
        `/acme/journeys/sessions/${started.body.sessionId}/submit`,
        { clientResponseOptionId: 'client_input', data: { nickname: 'al', secret: '123456' } },
        { origin: 'https://app.example.com', 'accept-language': 'de' },
      );
      assert.equal(refused.status, 200, JSON.stringify(refused.body));
      assert.equal(refused.body.journeyStepId, 'profile', 'still the form');
      assert.deepEqual(refused.body.data.form.errors, [{ field: 'nickname', code: 'invalidLength', message: 'Spitzname muss 3 bis 12 Zeichen lang sein.' }]);
      assert.equal(refused.body.data.form.components[0].value, 'al');

      // A newer version published meanwhile does not change the form this user is answering.
      const stricter = structuredClone(PROFILE_FORM);
      stricter.components[0]!.validate = { required: true, minLength: 10, maxLength: 12 } as never;
      assert.equal((await admin.api.post('/api/custom-forms/profile/versions', { form: stricter })).status, 201);
      assert.equal((await admin.api.post('/api/custom-forms/profile/versions/2/publish')).status, 200);

      const done = await submit(server, refused.body.sessionId, {
        clientResponseOptionId: 'client_input',
        data: { nickname: 'alice2', secret: '123456', email: 'alice2@example.com' },
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.equal(done.body.data.user.userKey, 'alice2', 'Add User took ${profileData.nickname}');
      assert.equal(done.body.data.user.email, 'alice2@example.com');
      assert.equal(done.body.data.idToken, undefined, 'Add User alone authenticates nobody: no ID token');
      const user = await server.services.identity.getUser('acme', STORE, { id: done.body.data.user.id });
      assert.equal(user.userKey, 'alice2');
      const instance = await server.database.db.selectFrom('journey_instances').select('vars').orderBy('id', 'desc').executeTakeFirstOrThrow();
      const vars = JSON.parse(instance.vars);
      assert.deepEqual(vars.profileData, { nickname: 'alice2', email: 'alice2@example.com', plan: 'basic' }, 'the transient one-time code is not persisted');
      assert.ok(!instance.vars.includes('123456'));
    });

    test('Custom Page V2: the runner gets a page URL carrying the step’s session data; once answered it is gone', async () => {
      assert.equal(
        (
          await admin.api.post('/api/custom-pages', {
            name: 'consent',
            html: '<html><head></head><body><button onclick="keyway.submit({agreed: true})">OK</button></body></html>',
          })
        ).status,
        201,
      );
      assert.equal((await admin.api.post('/api/custom-pages/consent/versions/1/publish')).status, 200);
      await publish(
        admin,
        'consent',
        definition([
          {
            id: 'consentPage',
            type: 'trustx.customPageV2',
            parameters: { pageName: 'consent', sessionData: { journey: '${_journey.id}' }, constants: { terms: 'v3' }, formDataKey: 'consent' },
            outcomes: { success: 'rejected', cancel: 'rejected', timeout: 'rejected' },
          },
          { id: 'rejected', type: 'general.end', parameters: { result: 'rejection', code: 'CONSENT_RECORDED' } },
        ]),
      );
      const started = await startPublic(server, 'consent');
      assert.equal(started.status, 200, JSON.stringify(started.body));
      assert.deepEqual(started.body.data.sessionData, { journey: 'consent' });
      const page = await server.http.get(started.body.data.page.url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy')!, /^sandbox allow-scripts allow-forms;/);
      assert.match(page.body, /"sessionData":\{"journey":"consent"\},"constants":\{"terms":"v3"\}/);
      const ended = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { agreed: true } });
      assert.equal(ended.body.journeyStepId, 'rejection');
      assert.equal(ended.body.data.code, 'CONSENT_RECORDED');
      assert.equal((await server.http.get(started.body.data.page.url)).status, 404);
    });
  });
}
