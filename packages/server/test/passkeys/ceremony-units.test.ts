// Small pure pieces of the ceremonies: the mapping of @simplewebauthn/server 14's failure messages to Keyway codes
// (the second line behind Keyway's own checks, so an upgrade that rewords them is caught here), the counter rule,
// and the encodings (session ids, canonical base64url).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { counterAdvances } from '../../src/passkeys/authentication-verification.ts';
import { fromLibraryError } from '../../src/passkeys/verification-errors.ts';
import { canonicalBase64url, isBase64url, newCeremonySessionId, newChallenge, newUserHandle } from '../../src/passkeys/webauthn-encoding.ts';

describe('SimpleWebAuthn registration failures → Keyway codes', () => {
  const cases: [string, string][] = [
    ['Credential ID was not base64url-encoded', 'RESPONSE_MALFORMED'],
    ['Unexpected registration response type: webauthn.get', 'CEREMONY_TYPE_MISMATCH'],
    ['Unexpected registration response challenge "abc", expected "def"', 'CHALLENGE_MISMATCH'],
    ['Unexpected RP ID hash', 'RP_ID_MISMATCH'],
    ['User presence was required, but user was not present', 'USER_PRESENCE_REQUIRED'],
    ['User verification was required, but user could not be verified', 'USER_VERIFICATION_REQUIRED'],
    ['Unexpected public key alg "-8", expected one of "-7"', 'ALGORITHM_NOT_ALLOWED'],
    ['Certificate OU was not "Authenticator Attestation" (Packed|Full)', 'ATTESTATION_INVALID'],
    ['Could not match TPM manufacturer "id:00000000" (TPM)', 'ATTESTATION_INVALID'],
    ['AAGUID "2.33e+38" was not expected value', 'ATTESTATION_INVALID'],
    ['None attestation had unexpected attestation statement', 'ATTESTATION_INVALID'],
    ['something the rules do not know', 'ATTESTATION_INVALID'],
  ];
  for (const [message, code] of cases) {
    test(`registration: "${message}" → ${code}`, () => {
      assert.equal(fromLibraryError(new Error(message)).code, code);
    });
  }

  test('InvalidBackupFlags by name → BACKUP_STATE_INVALID', () => {
    const error = new Error('Single-device credential indicated that it was backed up, which should be impossible.');
    error.name = 'InvalidBackupFlags';
    assert.equal(fromLibraryError(error).code, 'BACKUP_STATE_INVALID');
  });
});

describe('the signature counter rule (WebAuthn §7.2 step 23)', () => {
  test('passes when both are zero or the new counter is greater; fails otherwise', () => {
    for (let stored = 0; stored <= 5; stored++) {
      for (let received = 0; received <= 5; received++) {
        const expected = (stored === 0 && received === 0) || received > stored;
        assert.equal(counterAdvances(stored, received), expected, `stored ${stored}, received ${received}`);
      }
    }
    assert.equal(counterAdvances(0xfffffffe, 0xffffffff), true);
    assert.equal(counterAdvances(0xffffffff, 0), false, 'a wrapped 32-bit counter is a regression');
  });
});

describe('ceremony encodings', () => {
  test('session ids are 26 base32 characters and unique; challenges and user handles are 32 random bytes', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newCeremonySessionId()));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[A-Z2-7]{26}$/);
    assert.equal(Buffer.from(newChallenge(), 'base64url').length, 32);
    assert.equal(Buffer.from(newUserHandle(), 'base64url').length, 32);
  });

  test('base64url: padding is accepted and dropped, other alphabets and impossible lengths are not base64url', () => {
    assert.equal(canonicalBase64url('aGk='), 'aGk');
    assert.equal(canonicalBase64url('aGk'), 'aGk');
    assert.equal(canonicalBase64url('a+b/'), undefined);
    assert.equal(isBase64url('abcde'), false, '5 characters cannot encode whole bytes');
    assert.equal(isBase64url(''), true);
    assert.equal(isBase64url(42), false);
  });
});
