// Small pure pieces of the ceremonies: the mapping of @simplewebauthn/server 14's failure messages to Keyway codes
// (the second line behind Keyway's own checks, so an upgrade that rewords them is caught here), the counter rule,
// the encodings (session ids, canonical base64url), the checks of a ceremony session a caller read, and joined rows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { counterAdvances } from '../../src/passkeys/authentication-verification.ts';
import { checkUsableSession, type CeremonySessionRow } from '../../src/passkeys/ceremony-session-store.ts';
import { JoinedRowSplit, prefixedColumns, qualifiedColumns } from '../../src/storage/joined-row.ts';
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
    const now = new Date('2026-12-04T08:00:00.000Z');
    const ids = new Set(Array.from({ length: 1000 }, () => newCeremonySessionId(now)));
    assert.equal(ids.size, 1000, 'the same millisecond still gives unique ids (80 random bits)');
    for (const id of ids) assert.match(id, /^[A-Z2-7]{26}$/);
    assert.equal(Buffer.from(newChallenge(), 'base64url').length, 32);
    assert.equal(Buffer.from(newUserHandle(), 'base64url').length, 32);
  });

  test('session ids begin with their creation time: ids of the same few milliseconds share a prefix (index locality)', () => {
    const at = (iso: string) => newCeremonySessionId(new Date(iso));
    const first = at('2026-12-04T08:00:00.000Z');
    const prefix = first.slice(0, 9);
    // 9 characters hold the top 45 of the 48 time bits: the same 8 ms window.
    assert.equal(at('2026-12-04T08:00:00.000Z').slice(0, 9), prefix);
    assert.equal(at('2026-12-04T08:00:00.007Z').slice(0, 9), prefix);
    assert.notEqual(at('2026-12-04T08:00:00.008Z').slice(0, 9), prefix);
    // The rest is random: ids of the same millisecond differ after the time.
    assert.notEqual(at('2026-12-04T08:00:00.000Z').slice(10), first.slice(10));
    // The time is the id's first 6 bytes, big-endian, decoded here with the RFC 4648 alphabet.
    const bits = [...first.slice(0, 10)].map((c) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0')).join('');
    assert.equal(parseInt(bits.slice(0, 48), 2), Date.parse('2026-12-04T08:00:00.000Z'));
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

describe('a ceremony session handed in by the caller (read with its flow) is checked like one read here', () => {
  const row: CeremonySessionRow = {
    id: 'S1',
    tenant_id: 'acme',
    store_id: 'store-1',
    user_id: 'user-1',
    rp_id: 'example.com',
    policy_name: 'default',
    ceremony: 'authentication',
    challenge: 'c',
    user_handle: null,
    options: '{}',
    context: null,
    expires_at: 1_000,
    consumed_at: null,
    created_at: 0,
  };
  const lookup = { id: 'S1', tenantId: 'acme', storeId: 'store-1', ceremony: 'authentication' as const, userId: 'user-1' };
  const refusal = (code: string) => (error: unknown) => error instanceof KeywayError && error.code === code;

  test('its own session, unused and in time (at expires_at exactly too): accepted', () => {
    assert.equal(checkUsableSession(row, lookup, new Date(1_000)), row);
    assert.equal(checkUsableSession(row, { ...lookup, userId: undefined }, new Date(0)), row);
  });

  test('another id, tenant, store, ceremony or user: SESSION_NOT_FOUND, as if not found', () => {
    for (const other of [{ id: 'S2' }, { tenantId: 'other' }, { storeId: 'store-2' }, { ceremony: 'registration' as const }, { userId: 'user-2' }]) {
      assert.throws(() => checkUsableSession(row, { ...lookup, ...other }, new Date(0)), refusal('SESSION_NOT_FOUND'));
    }
  });

  test('used: SESSION_ALREADY_USED; past expires_at: CHALLENGE_EXPIRED', () => {
    assert.throws(() => checkUsableSession({ ...row, consumed_at: 500 }, lookup, new Date(0)), refusal('SESSION_ALREADY_USED'));
    assert.throws(() => checkUsableSession(row, lookup, new Date(1_001)), refusal('CHALLENGE_EXPIRED'));
  });
});

describe('two rows read in one statement (storage/joined-row.ts)', () => {
  test('the prefixed columns are split off as the second row; a left join that found none gives undefined', () => {
    assert.deepEqual(qualifiedColumns('credentials', ['id', 'user_id']), ['credentials.id', 'credentials.user_id']);
    assert.deepEqual(prefixedColumns('users', ['id', 'status'], 'owner_'), ['users.id as owner_id', 'users.status as owner_status']);
    const split = new JoinedRowSplit<{ id: string; user_id: string }, { id: string; status: string }>(['id', 'user_id'], ['id', 'status'], 'owner_');
    assert.deepEqual(split.split({ id: 'c1', user_id: 'u1', owner_id: 'u1', owner_status: 'active' }), {
      first: { id: 'c1', user_id: 'u1' },
      second: { id: 'u1', status: 'active' },
    });
    assert.deepEqual(split.split({ id: 'c1', user_id: 'u1', owner_id: null, owner_status: null }), { first: { id: 'c1', user_id: 'u1' }, second: undefined });
  });
});
