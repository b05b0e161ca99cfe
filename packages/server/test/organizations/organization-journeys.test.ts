import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { decodeJwt } from 'jose';
import { definition, ORIGIN, publish, setUpTenant, STORE, submit } from '../journeys/engine-fixture.ts';
import { latestRefusalCode } from '../support/audited-refusal.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { makeAttestationPki } from '../support/attestation-pki.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { startTestServer, type TenantFixture, type TestServer } from '../support/test-server.ts';

const CTX = { origin: ORIGIN };
const ORGS = `/api/identity-store/stores/${STORE}/organizations`;
const YUBIKEY_AAGUID = 'cb69481e-8ff7-4039-93ec-0a2729a154a8';

for (const kind of DATABASE_KINDS) {
  describe(`organization context in journeys on ${kind}`, () => {
    let server: TestServer;
    let admin: TenantFixture;
    let aliceId: string;
    let bobId: string;
    // Alice has a device-bound passkey of a known model (its attestation chains to a root the registration policy
    // trusts), one that merely claims that model (attestation none), and a synced one; Bob a device-bound one.
    let aliceDevice: SoftAuthenticator;
    const aliceClaimed = new SoftAuthenticator({ aaguid: YUBIKEY_AAGUID });
    const aliceSynced = new SoftAuthenticator({ backupEligible: true, backupState: true, incrementSignCount: false });
    const bobDevice = new SoftAuthenticator();

    const createOrg = async (name: string, policy: Record<string, unknown> = {}) => {
      const created = await admin.api.post(ORGS, { name, policy });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body as { id: string };
    };
    const addMember = async (orgId: string, userId: string, roles: string[]) =>
      assert.equal((await admin.api.post(`${ORGS}/${orgId}/members`, { userId, roles })).status, 201);

    async function registerPasskey(userId: string, authenticator: SoftAuthenticator): Promise<void> {
      const started = await admin.api.post('/acme/journeys/mosaic-passkey-registration/start', { user: { userId } }, CTX);
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const credential = authenticator.register(started.body.data.clientRequest as PublicKeyCredentialCreationOptionsJSON, CTX);
      const done = await submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: credential } });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
    }

    /** The Mosaic sign-in template started by the API client for `organization`, answered with `authenticator`'s passkey. */
    async function signIn(authenticator: SoftAuthenticator, organization?: string, journeyId = 'mosaic-passkey-sign-in') {
      const started = await admin.api.post(`/acme/journeys/${journeyId}/start`, organization ? { organization } : {}, CTX);
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const assertion = authenticator.authenticate(started.body.data.passkeys.clientRequest as PublicKeyCredentialRequestOptionsJSON, CTX);
      return submit(server, started.body.sessionId, { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: assertion } });
    }

    /**
     * The sign-in template's refusal of a passkey for the organization: its Passkey Authentication step (whose ceremony
     * applies the organization's membership and policy before the use is recorded) leads back to the Login Form, which
     * shows the refusal's code and offers the sign-in again.
     */
    function assertRefused(answer: { body: { journeyStepId?: string; data?: { previousError?: { code?: string }; idToken?: unknown } } }, code: string): void {
      assert.equal(answer.body.journeyStepId, 'loginForm', JSON.stringify(answer.body));
      assert.equal(answer.body.data?.previousError?.code, code);
      assert.equal(answer.body.data?.idToken, undefined);
    }

    before(async () => {
      server = await startTestServer({ kind });
      ({ admin, userId: aliceId } = await setUpTenant(server));
      bobId = (await admin.api.post(`/api/identity-store/stores/${STORE}/users`, { userKey: 'bob' })).body.id;
      const api = `/api/identity-store/stores/${STORE}/passkeys`;
      const pki = await makeAttestationPki();
      aliceDevice = new SoftAuthenticator({
        aaguid: YUBIKEY_AAGUID,
        attestationFormat: 'packed',
        attestationCertificate: { x5c: [pki.leaf], privateKey: pki.privateKey },
      });
      const trusted = { name: 'default', attestation: 'direct', attestationTrust: { requireTrustedAttestation: false, rootCertificates: [pki.rootPem] } };
      assert.equal((await admin.api.post(`${api}/registrationPolicies`, trusted)).status, 201);
      assert.equal((await admin.api.post(`${api}/authenticationPolicies`, { name: 'default' })).status, 201);
      assert.equal((await admin.api.post('/api/journeys/templates/install', { store: STORE })).status, 200);
      await registerPasskey(aliceId, aliceDevice);
      await registerPasskey(aliceId, aliceClaimed);
      await registerPasskey(aliceId, aliceSynced);
      await registerPasskey(bobId, bobDevice);
    });
    after(() => server.close());

    test('a member signs in with the organization given at the start: org_id and org_roles in the ID token; a non-member is refused', async () => {
      const org = await createOrg('Globex');
      await addMember(org.id, aliceId, ['admin', 'billing']);

      const done = await signIn(aliceDevice, org.id);
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      assert.deepEqual(done.body.data.organization, { id: org.id, name: 'Globex', roles: ['admin', 'billing'] });
      const claims = decodeJwt(done.body.data.idToken);
      assert.equal(claims.sub, aliceId);
      assert.equal(claims.org_id, org.id);
      assert.deepEqual(claims.org_roles, ['admin', 'billing']);

      // Without an organization context there are no organization claims.
      const plain = await signIn(aliceDevice);
      assert.equal(plain.body.journeyStepId, 'success');
      assert.equal(decodeJwt(plain.body.data.idToken).org_id, undefined);

      assertRefused(await signIn(bobDevice, org.id), 'ORGANIZATION_MEMBERSHIP_REQUIRED');
      assert.equal(await latestRefusalCode(server.database.db, 'passkey.authenticate'), 'ORGANIZATION_MEMBERSHIP_REQUIRED');
    });

    test('the organization must be one of the journey’s store: unknown or another store’s is 404 ORGANIZATION_NOT_FOUND at the start', async () => {
      const unknown = await admin.api.post('/acme/journeys/mosaic-passkey-sign-in/start', { organization: 'no-such-org' }, CTX);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'ORGANIZATION_NOT_FOUND');
      assert.equal((await admin.api.post('/api/identity-store/stores', { name: 'partners' })).status, 201);
      const elsewhere = await admin.api.post('/api/identity-store/stores/partners/organizations', { name: 'Elsewhere' });
      const other = await admin.api.post('/acme/journeys/mosaic-passkey-sign-in/start', { organization: elsewhere.body.id }, CTX);
      assert.equal(other.body.code, 'ORGANIZATION_NOT_FOUND');
    });

    test('policy: a device-bound-only organization refuses a synced passkey and accepts a device-bound one', async () => {
      const org = await createOrg('Bound Only', { deviceBoundOnly: true });
      await addMember(org.id, aliceId, ['engineer']);
      assertRefused(await signIn(aliceSynced, org.id), 'ORGANIZATION_SYNCED_PASSKEY_REFUSED');
      const bound = await signIn(aliceDevice, org.id);
      assert.equal(bound.body.journeyStepId, 'success', JSON.stringify(bound.body));
      assert.equal(decodeJwt(bound.body.data.idToken).keyway_device_bound, true);
    });

    test('policy: an AAGUID on the deny list is refused; a non-empty allow list admits only its models', async () => {
      const denied = await createOrg('Deny Yubikeys', { aaguidDenyList: [YUBIKEY_AAGUID.toUpperCase()] });
      await addMember(denied.id, aliceId, []);
      await addMember(denied.id, bobId, []);
      assertRefused(await signIn(aliceDevice, denied.id), 'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED');
      assert.equal((await signIn(bobDevice, denied.id)).body.journeyStepId, 'success');

      const allowed = await createOrg('Only Yubikeys', { aaguidAllowList: [YUBIKEY_AAGUID] });
      await addMember(allowed.id, aliceId, []);
      await addMember(allowed.id, bobId, []);
      assert.equal((await signIn(aliceDevice, allowed.id)).body.journeyStepId, 'success');
      assertRefused(await signIn(bobDevice, allowed.id), 'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED');
      // The same AAGUID without an attestation that vouches for it is a claim any software authenticator can make.
      assertRefused(await signIn(aliceClaimed, allowed.id), 'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED');
      // The deny list refuses a model whether attested or claimed.
      assertRefused(await signIn(aliceClaimed, denied.id), 'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED');
    });

    test('general.selectOrganization: one organization is chosen at once, several are offered; the choice is in expressions and the token', async () => {
      await publish(
        admin,
        'org-sign-in',
        definition(
          [
            {
              id: 'login',
              type: 'mosaic.loginForm',
              parameters: { enablePasskeys: true, outputVariable: 'loginData', relyingPartyId: 'app.example.com', authenticationPolicy: 'default' },
              outcomes: { passkeys: 'verify' },
            },
            {
              id: 'verify',
              type: 'mosaic.passkeyAuthentication',
              parameters: { encodedResult: '${loginData.webauthn_encoded_result}' },
              outcomes: { success: 'choose' },
            },
            { id: 'choose', type: 'general.selectOrganization', parameters: {}, outcomes: { success: 'note' } },
            { id: 'note', type: 'general.setVariables', parameters: { variables: { chosenName: '${organization.name}' } }, outcomes: { success: 'done' } },
            { id: 'done', type: 'general.end', parameters: { result: 'success' } },
          ],
          { access: { public: true, apiClients: true }, variables: { chosenName: { default: null } } },
        ),
      );
      // Bob belongs to Deny Yubikeys and Only Yubikeys (previous test) and to one more.
      const third = await createOrg('Bob Co');
      await addMember(third.id, bobId, ['owner']);
      const started = await admin.api.post('/acme/journeys/org-sign-in/start', {}, CTX);
      assert.equal(started.status, 200, JSON.stringify(started.body));
      const assertion = bobDevice.authenticate(started.body.data.passkeys.clientRequest as PublicKeyCredentialRequestOptionsJSON, CTX);
      const offered = await submit(server, started.body.sessionId, { clientResponseOptionId: 'passkeys', data: { webauthn_encoded_result: assertion } });
      assert.equal(offered.body.journeyStepId, 'choose', JSON.stringify(offered.body));
      assert.deepEqual(
        offered.body.data.organizations.map((o: { name: string }) => o.name),
        ['Deny Yubikeys', 'Only Yubikeys', 'Bob Co'],
      );
      const wrong = await submit(server, offered.body.sessionId, { clientResponseOptionId: 'client_input', data: { organizationId: 'not-offered' } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'VALIDATION_FAILED');
      const done = await submit(server, offered.body.sessionId, { clientResponseOptionId: 'client_input', data: { organizationId: third.id } });
      assert.equal(done.body.journeyStepId, 'success', JSON.stringify(done.body));
      const claims = decodeJwt(done.body.data.idToken);
      assert.equal(claims.org_id, third.id);
      assert.deepEqual(claims.org_roles, ['owner']);
      // The choice is the `organization` variable expressions read.
      const stored = await server.database.db
        .selectFrom('journey_instances')
        .select('vars')
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(JSON.parse(stored.vars).chosenName, 'Bob Co');

      // Alice belongs to several too: the start parameter narrows the choice to one, chosen at once.
      const globex = (await admin.api.get(`${ORGS}?q=globex`)).body.items[0];
      const narrowed = await signIn(aliceDevice, globex.id, 'org-sign-in');
      assert.equal(narrowed.body.journeyStepId, 'success', JSON.stringify(narrowed.body));
      assert.equal(decodeJwt(narrowed.body.data.idToken).org_id, globex.id);
      // Bob, started for Globex where he is no member, is refused by the step itself.
      const notMember = await signIn(bobDevice, globex.id, 'org-sign-in');
      assert.equal(notMember.body.data.code, 'ORGANIZATION_MEMBERSHIP_REQUIRED');
    });

    test('Passkey Authentication with Org context manual signs in to the organization its orgId names; a non-member is refused', async () => {
      const globex = (await admin.api.get(`${ORGS}?q=globex`)).body.items[0] as { id: string };
      await publish(
        admin,
        'manual-org-sign-in',
        definition(
          [
            {
              id: 'login',
              type: 'mosaic.loginForm',
              parameters: { enablePasskeys: true, outputVariable: 'loginData', relyingPartyId: 'app.example.com', authenticationPolicy: 'default' },
              outcomes: { passkeys: 'verify' },
            },
            {
              id: 'verify',
              type: 'mosaic.passkeyAuthentication',
              parameters: { encodedResult: '${loginData.webauthn_encoded_result}', orgContext: 'manual', orgId: '${orgToUse}' },
              outcomes: { success: 'done' },
            },
            { id: 'done', type: 'general.end', parameters: { result: 'success' } },
          ],
          { access: { public: true, apiClients: true }, variables: { orgToUse: { default: globex.id } } },
        ),
      );
      const member = await signIn(aliceDevice, undefined, 'manual-org-sign-in');
      assert.equal(member.body.journeyStepId, 'success', JSON.stringify(member.body));
      const claims = decodeJwt(member.body.data.idToken);
      assert.equal(claims.org_id, globex.id);
      assert.deepEqual(claims.org_roles, ['admin', 'billing']);
      const refused = await signIn(bobDevice, undefined, 'manual-org-sign-in');
      assert.equal(refused.body.journeyStepId, 'rejection', JSON.stringify(refused.body));
      assert.equal(refused.body.data.code, 'ORGANIZATION_MEMBERSHIP_REQUIRED');
    });

    test('policy at registration: in an organization context a disallowed authenticator is refused before the credential is stored', async () => {
      const denied = await createOrg('No Yubikeys at enrolment', { aaguidDenyList: [YUBIKEY_AAGUID] });
      await addMember(denied.id, bobId, ['member']);
      await publish(
        admin,
        'org-registration',
        definition(
          [
            {
              id: 'register',
              type: 'mosaic.registerPasskeys',
              parameters: { userAuthState: 'authenticated', relyingPartyId: 'app.example.com', registrationPolicy: 'default', failureBehavior: 'abort' },
              outcomes: { success: 'done', failure: 'done', cancel: 'done' },
            },
            { id: 'done', type: 'general.end', parameters: { result: 'success' } },
          ],
          { access: { public: false, apiClients: true } },
        ),
      );
      const register = async (authenticator: SoftAuthenticator) => {
        const started = await admin.api.post('/acme/journeys/org-registration/start', { user: { userId: bobId }, organization: denied.id }, CTX);
        assert.equal(started.status, 200, JSON.stringify(started.body));
        const credential = authenticator.register(started.body.data.clientRequest as PublicKeyCredentialCreationOptionsJSON, CTX);
        return submit(server, started.body.sessionId, { clientResponseOptionId: 'client_input', data: { webauthn_encoded_result: credential } });
      };
      const bobsPasskeys = async () =>
        (await server.database.db.selectFrom('credentials').select('aaguid').where('user_id', '=', bobId).execute()).map((row) => row.aaguid).sort();
      const before = await bobsPasskeys();

      const refused = await register(new SoftAuthenticator({ aaguid: YUBIKEY_AAGUID }));
      assert.equal(refused.body.journeyStepId, 'rejection', JSON.stringify(refused.body));
      assert.equal(refused.body.data.code, 'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED');
      assert.deepEqual(await bobsPasskeys(), before, 'nothing stored');
      // The ceremony itself refused (audited with the policy's code), not only the journey's end.
      const audited = await server.database.db
        .selectFrom('audit_events')
        .select(['outcome', 'details'])
        .where('action', '=', 'passkey.register')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(audited.outcome, 'failure');
      assert.equal(JSON.parse(audited.details ?? '{}').code, 'ORGANIZATION_AUTHENTICATOR_NOT_ALLOWED');

      // Another model is accepted and stored.
      const accepted = await register(new SoftAuthenticator());
      assert.equal(accepted.body.journeyStepId, 'success', JSON.stringify(accepted.body));
      assert.equal((await bobsPasskeys()).length, before.length + 1);
    });

    test('policy at sign-in: the ceremony refuses a disallowed passkey before its use is recorded', async () => {
      const bound = await createOrg('Bound at sign-in', { deviceBoundOnly: true });
      await addMember(bound.id, aliceId, []);
      const usage = () =>
        server.database.db
          .selectFrom('credentials')
          .select(['sign_count', 'last_used_at'])
          .where('credential_id', '=', aliceSynced.credentials()[0]!.id)
          .executeTakeFirstOrThrow();
      const before = await usage();
      assertRefused(await signIn(aliceSynced, bound.id), 'ORGANIZATION_SYNCED_PASSKEY_REFUSED');
      assert.deepEqual(await usage(), before, 'the refused sign-in is not recorded as a use of the passkey');
      const audited = await server.database.db
        .selectFrom('audit_events')
        .select(['outcome', 'details'])
        .where('action', '=', 'passkey.authenticate')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(audited.outcome, 'failure');
      assert.equal(JSON.parse(audited.details ?? '{}').code, 'ORGANIZATION_SYNCED_PASSKEY_REFUSED');
      // Without the organization the same passkey signs in, and its use is recorded.
      assert.equal((await signIn(aliceSynced)).body.journeyStepId, 'success');
      assert.notEqual((await usage()).last_used_at, before.last_used_at);
    });
  });
}
