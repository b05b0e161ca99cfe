// The TrustX and Mosaic step catalogue against the vendors' parameter tables: every input parameter / configuration
// field they list exists (camelCase of its name), the outcomes are the boundary events they name, the types are
// registered, and the parameter schemas (as the engine compiles them) accept the vendors' values and refuse bad ones.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILT_IN_STEPS } from '../../src/journeys/step-registry.ts';
import type { StepType } from '../../src/journeys/step-type.ts';
import { JourneyRun } from './steps-fixture.ts';

/** Step type → the parameter names of the vendor's table, in the vendor's order, camelCased. */
const SEED_PARAMETERS: Record<string, { title: string; parameters: string[]; outcomes: string[]; clientFacing: boolean }> = {
  'trustx.addUser': {
    title: 'Add User',
    // TrustX “Add User” table (15 rows)
    parameters: [
      'storeName',
      'userAttributes',
      'userDateOfBirth',
      'userEmail',
      'userExternalId',
      'userFirstName',
      'userKey',
      'userLastName',
      'userLocaleCountry',
      'userLocaleLanguage',
      'userLocaleVariant',
      'userNationalities',
      'userStatus',
      'userTimezone',
      'userType',
    ],
    outcomes: ['success', 'Failed to add the user', 'ExtId Not Unique'],
    clientFacing: false,
  },
  'trustx.startPasskeyRegistration': {
    title: 'Start Passkey Registration',
    // TrustX Start Passkey Registration: “contains 12 configurable input parameters”
    parameters: [
      'challenge',
      'createUser',
      'passkeyRegistrationKey',
      'passkeyUserDisplayName',
      'passkeyUserHandle',
      'passkeyUserName',
      'registrationPolicy',
      'relyingPartyId',
      'storeName',
      'userExternalId',
      'userId',
      'userKey',
    ],
    outcomes: ['success', 'Failed ID Store Service Call'],
    clientFacing: false,
  },
  'trustx.passkeyRegistrationForm': {
    title: 'Passkey Registration Form',
    parameters: ['dataFormName', 'dataFormVersion', 'delaySeconds', 'formDataKey', 'hideButtons', 'passkeyRegistrationKey', 'registrationTimeoutSeconds'],
    outcomes: ['success', 'timeout'],
    clientFacing: true,
  },
  'trustx.completePasskeyRegistration': {
    title: 'Complete Passkey Registration',
    parameters: ['failCheckOnCancel', 'passkeyRegistrationBrowserResponse', 'passkeyRegistrationKey'],
    outcomes: ['success', 'User cancelled', 'Failed ID Store Service Call'],
    clientFacing: false,
  },
  'trustx.startPasskeyAuthentication': {
    title: 'Start Passkey Authentication',
    // TrustX Start Passkey Authentication: “provides 8 configurable parameters”
    parameters: ['authenticationPolicy', 'challenge', 'passkeyAuthenticationKey', 'relyingPartyId', 'storeName', 'userExternalId', 'userId', 'userKey'],
    outcomes: ['success', 'Failed ID Store Service Call'],
    clientFacing: false,
  },
  'trustx.passkeyAuthenticationForm': {
    title: 'Passkey Authentication Form',
    parameters: ['authenticationTimeoutSeconds', 'dataFormName', 'dataFormVersion', 'delaySeconds', 'formDataKey', 'hideButtons', 'passkeyAuthenticationKey'],
    outcomes: ['success', 'timeout'],
    clientFacing: true,
  },
  'trustx.completePasskeyAuthentication': {
    title: 'Complete Passkey Authentication',
    parameters: ['failCheckOnCancel', 'passkeyAuthenticationBrowserResponse', 'passkeyAuthenticationKey'],
    outcomes: ['success', 'User cancelled', 'Failed ID Store Service Call'],
    clientFacing: false,
  },
  'trustx.customDataForm': {
    title: 'Custom Data Form',
    parameters: ['dataFormName', 'dataFormVersion', 'formDataKey', 'hideButtons', 'delaySeconds', 'timeoutSeconds'],
    outcomes: ['success', 'cancel', 'timeout'],
    clientFacing: true,
  },
  'trustx.customPageV2': {
    title: 'Custom Page V2',
    parameters: ['sessionData', 'constants', 'pageName', 'pageVersion', 'formDataKey', 'timeoutSeconds'],
    outcomes: ['success', 'cancel', 'timeout'],
    clientFacing: true,
  },
  'trustx.simpleDecider': {
    title: 'Simple Decider',
    parameters: ['decisionOnAnyFailure', 'deriveDecisionFrom'],
    outcomes: ['PASSED', 'FAILED', 'REFER'],
    clientFacing: false,
  },
  'mosaic.registerPasskeys': {
    title: 'Register Passkeys',
    // Mosaic Register Passkeys “Configuration” table (10 fields)
    parameters: [
      'userAuthState',
      'userIdentifier',
      'allowCrossPlatform',
      'registerDiscoverable',
      'displayName',
      'errorOutputVariable',
      'failureBehavior',
      'customBranches',
      'branchOutputVariable',
      'cancelBehavior',
    ],
    outcomes: ['success', 'failure', 'cancel'],
    clientFacing: true,
  },
  'mosaic.loginForm': {
    title: 'Login Form',
    parameters: ['enablePasskeys', 'passkeysBranch', 'customBranches', 'outputVariable'],
    outcomes: ['passkeys', 'cancel'],
    clientFacing: true,
  },
  'mosaic.passkeyAuthentication': {
    title: 'Passkey Authentication',
    // Mosaic Passkey Authentication “Configuration” table, less Org context (the journey's `organization`, checked when it ends)
    parameters: ['encodedResult', 'errorOutputVariable', 'failureBehavior'],
    outcomes: ['success', 'failure'],
    clientFacing: false,
  },
};

function stepOf(type: string): StepType {
  const step = BUILT_IN_STEPS.find(type);
  assert.ok(step, `${type} is registered`);
  return step;
}

describe('TrustX and Mosaic step catalogue', () => {
  for (const [type, expected] of Object.entries(SEED_PARAMETERS)) {
    test(`${expected.title}: every vendor parameter exists; outcomes and client-facing as the vendor says`, () => {
      const step = stepOf(type);
      assert.equal(step.title, expected.title);
      assert.equal(step.family, type.split('.')[0]);
      const properties = Object.keys((step.parameterSchema as unknown as { properties: object }).properties);
      const missing = expected.parameters.filter((name) => !properties.includes(name));
      assert.deepEqual(missing, [], `${expected.title} lacks vendor parameters`);
      assert.deepEqual([...step.outcomes], expected.outcomes);
      assert.equal(step.clientFacing, expected.clientFacing);
      assert.equal(typeof step.submit === 'function', expected.clientFacing, 'client-facing steps take a submit');
    });
  }

  test('schemas accept the vendors’ values: the TrustX registration walkthrough', () => {
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.addUser'), {
        storeName: 'customers',
        userKey: 'ada',
        userExternalId: 'ext-1',
        userAttributes: { tier: 'gold' },
        userNationalities: 'IE',
      }),
      [],
    );
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.startPasskeyRegistration'), {
        passkeyRegistrationKey: 'passkeyReg1',
        registrationPolicy: 'default',
        relyingPartyId: 'login.keyway.test',
        storeName: 'customers',
        createUser: false,
        challenge: '',
      }),
      [],
    );
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.passkeyRegistrationForm'), {
        passkeyRegistrationKey: 'passkeyReg1',
        dataFormName: 'registration',
        dataFormVersion: '1',
        formDataKey: 'registrationForm',
        hideButtons: false,
        delaySeconds: 0,
        registrationTimeoutSeconds: 300,
      }),
      [],
    );
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.passkeyAuthenticationForm'), {
        passkeyAuthenticationKey: 'passkeyAuth1',
        dataFormName: 'authentication',
        dataFormVersion: 1,
        authenticationTimeoutSeconds: 120,
      }),
      [],
    );
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.completePasskeyRegistration'), { passkeyRegistrationKey: 'passkeyReg1', failCheckOnCancel: false }),
      [],
    );
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.customPageV2'), {
        pageName: 'passkey-page',
        sessionData: { passkeyAuthClientRequest: { challenge: 'x' } },
        constants: { passkeyRegClientRequest: {} },
      }),
      [],
    );
    assert.deepEqual(JourneyRun.schemaErrors(stepOf('trustx.simpleDecider'), { decisionOnAnyFailure: 'FAILED', deriveDecisionFrom: '' }), []);
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('mosaic.loginForm'), {
        relyingPartyId: 'login.keyway.test',
        authenticationPolicy: 'default',
        outputVariable: 'loginData',
      }),
      [],
    );
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('mosaic.passkeyAuthentication'), {
        encodedResult: 'eyJ9',
        failureBehavior: 'failureBranch',
        errorOutputVariable: 'authError',
      }),
      [],
    );
  });

  test('outcomes that depend on parameters: custom branch ids and the passkeys branch id', () => {
    assert.deepEqual(stepOf('mosaic.registerPasskeys').outcomesFor!({ customBranches: [{ id: 'skip' }, { id: 'later' }, { nonsense: true }] }), [
      'success',
      'failure',
      'cancel',
      'skip',
      'later',
    ]);
    assert.deepEqual(stepOf('mosaic.registerPasskeys').outcomesFor!({ customBranches: '${branches}' }), ['success', 'failure', 'cancel']);
    assert.deepEqual(stepOf('mosaic.loginForm').outcomesFor!({}), ['passkeys', 'cancel']);
    assert.deepEqual(stepOf('mosaic.loginForm').outcomesFor!({ passkeysBranch: { id: 'webauthn' }, customBranches: [{ id: 'email_otp' }] }), [
      'webauthn',
      'email_otp',
      'cancel',
    ]);
    assert.deepEqual(stepOf('mosaic.loginForm').outcomesFor!({ enablePasskeys: false }), ['cancel']);
  });

  test('schemas refuse what cannot work: missing required parameters, a chosen challenge, unknown parameters, reserved branch ids', () => {
    assert.match(JourneyRun.schemaErrors(stepOf('trustx.addUser'), { storeName: 'customers' }).join(), /userKey/);
    assert.deepEqual(
      JourneyRun.schemaErrors(stepOf('trustx.startPasskeyRegistration'), {
        passkeyRegistrationKey: 'k',
        registrationPolicy: 'p',
        relyingPartyId: 'r',
        storeName: 's',
        challenge: 'my-own-challenge',
      }),
      ['/challenge must NOT have more than 0 characters'],
    );
    assert.match(
      JourneyRun.schemaErrors(stepOf('trustx.completePasskeyRegistration'), { passkeyRegistrationKey: 'k', failCheckOnCancell: true }).join(),
      /additional properties/,
    );
    assert.notDeepEqual(
      JourneyRun.schemaErrors(stepOf('mosaic.registerPasskeys'), { relyingPartyId: 'r', registrationPolicy: 'p', customBranches: [{ id: 'cancel' }] }),
      [],
    );
    assert.notDeepEqual(
      JourneyRun.schemaErrors(stepOf('mosaic.registerPasskeys'), { relyingPartyId: 'r', registrationPolicy: 'p', displayName: 'x'.repeat(65) }),
      [],
      'display name at most 64 characters',
    );
    assert.notDeepEqual(JourneyRun.schemaErrors(stepOf('trustx.simpleDecider'), { decisionOnAnyFailure: 'MAYBE' }), []);
  });
});
