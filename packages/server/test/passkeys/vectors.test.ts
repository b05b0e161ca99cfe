// Every published WebAuthn vector of the shared set (a copy in fixtures/webauthn-vectors with its README: real
// authenticators, other projects' suites, the W3C spec)
// through the verification functions the ceremony endpoints use (verifyRegistration / verifyAuthentication), with
// explicit expectations taken from the vector. Each vector must come out as its `expected` says, with the code
// Keyway answers for it, except the few where Keyway decides differently on purpose; those are listed in
// KEYWAY_DECISIONS with the reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { verifyAuthentication } from '../../src/passkeys/authentication-verification.ts';
import { SAME_ORIGIN_ONLY, type CrossOriginPolicy } from '../../src/passkeys/client-data.ts';
import { verifyRegistration } from '../../src/passkeys/registration-verification.ts';
import { canonicalBase64url, fromBase64url } from '../../src/passkeys/webauthn-encoding.ts';
import { KeywayError } from '../../src/errors/keyway-error.ts';

interface Vector {
  id: string;
  ceremony: 'registration' | 'authentication';
  format: string;
  alg: number;
  expectedOrigin: string | string[];
  expectedRPID: string;
  expectedChallenge: string;
  requireUserVerification: boolean;
  response: RegistrationResponseJSON & AuthenticationResponseJSON;
  expected: 'valid' | 'invalid';
  invalidReason?: string;
  verificationTime?: string;
  rootCertificatesPEM?: string[];
  skipTrustAnchorValidation?: boolean;
  allowCrossOrigin?: boolean;
  expectedTopOrigin?: string;
  credentialPublicKey?: string;
  priorCounter?: number;
  expectedNewCounter?: number;
}

const VECTORS_FILE = path.resolve(import.meta.dirname, 'fixtures/webauthn-vectors/vectors.json');
const vectors = JSON.parse(readFileSync(VECTORS_FILE, 'utf8')) as Vector[];

/** Every COSE algorithm Keyway verifies (a policy may narrow this; the vectors exercise all of them). */
const ALL_ALGORITHMS = [-8, -7, -35, -36, -37, -38, -39, -257, -258, -259, -65535];

/**
 * "Now" for vectors without a verificationTime: a fixed instant inside every certificate's validity as the vectors
 * were collected (November 2025), so the test does not start failing when a captured certificate expires.
 */
const DEFAULT_NOW = '2025-11-20T00:00:00Z';

/** The code Keyway answers for each invalid vector. */
const INVALID_CODES: Record<string, string> = {
  'swa-reg-none-wrong-challenge': 'CHALLENGE_MISMATCH',
  'swa-reg-none-wrong-origin': 'ORIGIN_MISMATCH',
  'swa-reg-none-wrong-rpid': 'RP_ID_MISMATCH',
  'swa-reg-fido-u2f-uv-required': 'USER_VERIFICATION_REQUIRED',
  'swa-auth-es256-counter-not-increased': 'COUNTER_REGRESSION',
  'swa-auth-es256-counter-regressed': 'COUNTER_REGRESSION',
  'swa-auth-es256-wrong-challenge': 'CHALLENGE_MISMATCH',
  'swa-auth-es256-wrong-origin': 'ORIGIN_MISMATCH',
  'swa-auth-es256-wrong-rpid': 'RP_ID_MISMATCH',
  'swa-auth-es256-uv-required': 'USER_VERIFICATION_REQUIRED',
  'swa-auth-android-devicepubkey-ext': 'SIGNATURE_INVALID',
  'pyw-auth-rs256-wrong-public-key': 'SIGNATURE_INVALID',
  'pyw-auth-es256-uv-required-not-verified': 'USER_VERIFICATION_REQUIRED',
  // Keyway refuses cross-origin ceremonies unless the relying party allows them (§7.1 step 10, §7.2 step 13); these
  // vectors' expectation is exactly that. SimpleWebAuthn 14 verifies three of them (it has no such policy).
  'w3c-reg-none-es256-crossorigin-disallowed': 'CROSS_ORIGIN_NOT_ALLOWED',
  'w3c-reg-none-es256-toporigin-disallowed': 'CROSS_ORIGIN_NOT_ALLOWED',
  'w3c-auth-none-es256-crossorigin-disallowed': 'CROSS_ORIGIN_NOT_ALLOWED',
  'w3c-auth-none-es256-toporigin-disallowed': 'CROSS_ORIGIN_NOT_ALLOWED',
  // The vector expects a refusal because its key description has empty authorization lists (§8.4); SimpleWebAuthn,
  // and so Keyway, refuses it earlier because x5c does not end in its root. Same outcome, different first reason.
  'w3c-reg-android-key-es256': 'ATTESTATION_INVALID',
};

/** Vectors the source calls valid that Keyway refuses, each with the reason. */
const KEYWAY_DECISIONS: Record<string, { code: string; why: string }> = {
  'swa-reg-packed-self-es256': {
    code: 'RESPONSE_MALFORMED',
    why: 'The source test gives the placeholder id "bbb", which is not the credential ID in authenticatorData. Keyway requires id/rawId to name the credential the authenticator created (§7.1 step 13 with §6.5.1); SimpleWebAuthn only compares id with rawId.',
  },
  'swa-reg-packed-x5c-yubikey5': {
    code: 'RESPONSE_MALFORMED',
    why: 'The source test gives the placeholder id "aaa", which is not the credential ID in authenticatorData (see swa-reg-packed-self-es256).',
  },
  'w3c-reg-tpm-es256': {
    code: 'ATTESTATION_INVALID',
    why: 'The spec vector\'s AIK certificate names TPM manufacturer "id:00000000", which is not in the TCG vendor registry. Keyway uses SimpleWebAuthn\'s TPM verification, which requires a registered vendor; a real TPM always has one.',
  },
  'w3c-reg-none-es256-crossorigin': {
    code: 'CROSS_ORIGIN_NOT_ALLOWED',
    why: 'The spec vector ran in a cross-origin iframe and sends no topOrigin. Keyway allows embedding only under the top-level origins a relying party lists (topOrigins), so crossOrigin true must come with a listed topOrigin; the spec checks topOrigin only when it is present (§7.1 step 11).',
  },
  'w3c-auth-none-es256-crossorigin': {
    code: 'CROSS_ORIGIN_NOT_ALLOWED',
    why: 'As w3c-reg-none-es256-crossorigin: crossOrigin true without a topOrigin (§7.2 steps 13–14); Keyway requires a listed topOrigin.',
  },
  'w3c-reg-fido-u2f-es256': {
    code: 'ATTESTATION_INVALID',
    why: "The spec vector carries a non-zero AAGUID with fido-u2f. U2F authenticators have no AAGUID (the client fills zeros), so SimpleWebAuthn, and Keyway with it, refuses a fido-u2f statement with any other AAGUID; the spec's fido-u2f procedure does not check it.",
  },
};

function crossOriginOf(vector: Vector): CrossOriginPolicy {
  if (!vector.allowCrossOrigin) return SAME_ORIGIN_ONLY;
  // A relying party that allows embedding lists its top-level origins; a vector without one names none.
  return { topOrigins: vector.expectedTopOrigin === undefined ? [] : [vector.expectedTopOrigin] };
}

async function verifyVector(vector: Vector) {
  const common = {
    challenge: vector.expectedChallenge,
    origins: ([] as string[]).concat(vector.expectedOrigin),
    crossOrigin: crossOriginOf(vector),
    rpId: vector.expectedRPID,
    requireUserVerification: vector.requireUserVerification,
  };
  const now = new Date(vector.verificationTime ?? DEFAULT_NOW);
  if (vector.ceremony === 'registration') {
    const roots = vector.rootCertificatesPEM ?? [];
    return verifyRegistration(vector.response, {
      ...common,
      algorithms: ALL_ALGORITHMS,
      allowSyncedPasskeys: true,
      // With the vector's roots, the policy requires the attestation to chain to them (and the test checks it does).
      attestationTrust: { requireTrustedAttestation: roots.length > 0, rootCertificates: roots },
      now,
    });
  }
  const userHandle = canonicalBase64url(vector.response.response.userHandle) ?? null;
  return verifyAuthentication(vector.response, {
    ...common,
    allowCredentialIds: [],
    // The credential record of the vector's source: the account is the one its user handle names, when it sends one.
    account: { identified: true, userHandle },
    credential: {
      id: canonicalBase64url(vector.response.rawId)!,
      publicKey: fromBase64url(vector.credentialPublicKey)!,
      counter: vector.priorCounter ?? 0,
      backupEligible: undefined,
    },
  });
}

describe('WebAuthn vectors through Keyway’s verification', () => {
  test('the vector file holds the 66 vectors its README describes, each with a decision here', () => {
    assert.equal(vectors.length, 66);
    for (const vector of vectors) {
      if (vector.expected === 'invalid') assert.ok(INVALID_CODES[vector.id], `${vector.id}: invalid, but no code listed`);
    }
    for (const id of [...Object.keys(INVALID_CODES), ...Object.keys(KEYWAY_DECISIONS)]) {
      assert.ok(
        vectors.some((v) => v.id === id),
        `${id} is not in the vector file`,
      );
    }
  });

  for (const vector of vectors) {
    const decision = KEYWAY_DECISIONS[vector.id];
    const code = decision?.code ?? INVALID_CODES[vector.id];
    const title = code ? `${vector.id}: refused with ${code}${decision ? ' (Keyway decides differently from the source)' : ''}` : `${vector.id}: verifies`;
    test(title, async (t) => {
      // SimpleWebAuthn reads the global clock for leaf certificate validity and SafetyNet timestamps; the vector's
      // time (or the fixed default) is installed for it. Keyway's own checks take `now` explicitly.
      t.mock.timers.enable({ apis: ['Date'], now: new Date(vector.verificationTime ?? DEFAULT_NOW) });
      if (code) {
        await assert.rejects(verifyVector(vector), (error: unknown) => {
          assert.ok(error instanceof KeywayError, `not a KeywayError: ${String(error)}`);
          assert.equal(error.code, code, `${vector.id}: ${error.detail}${decision ? ` — Keyway's decision: ${decision.why}` : ''}`);
          return true;
        });
        return;
      }
      const result = await verifyVector(vector);
      if (vector.ceremony === 'registration') {
        const registration = result as Awaited<ReturnType<typeof verifyRegistration>>;
        assert.equal(registration.algorithm, vector.alg);
        assert.equal(registration.attestationFormat, vector.format);
        assert.equal(registration.credentialId, canonicalBase64url(vector.response.rawId));
        if (vector.rootCertificatesPEM) assert.equal(registration.attestationVerified, true, 'chains to the vector’s root');
      } else {
        const authentication = result as Awaited<ReturnType<typeof verifyAuthentication>>;
        if (vector.expectedNewCounter !== undefined) assert.equal(authentication.newCounter, vector.expectedNewCounter);
      }
    });
  }
});

/**
 * SafetyNet responses carry a signing timestamp that SimpleWebAuthn checks for freshness against the process clock
 * (a freshness rule of the deprecated format, not certificate validity), so the vector is only verifiable at its time.
 */
const PROCESS_CLOCK_DEPENDENT = new Set(['pyw-reg-android-safetynet-chrome']);

describe('Keyway’s decision on a vector does not depend on the process clock (certificate validity is judged at `now`)', () => {
  for (const vector of vectors.filter((v) => !PROCESS_CLOCK_DEPENDENT.has(v.id))) {
    const code = KEYWAY_DECISIONS[vector.id]?.code ?? INVALID_CODES[vector.id];
    test(`${vector.id}, with the process clock at today's date: ${code ?? 'verifies'}`, async () => {
      // No Date mock: the library sees the real clock, long after some of these certificates expired.
      const outcome = await verifyVector(vector).then(
        () => 'verifies',
        (error: unknown) => (error instanceof KeywayError ? error.code : String(error)),
      );
      assert.equal(outcome, code ?? 'verifies');
    });
  }
});
