// Differential test of Keyway's assertion verifier (authentication-verification.ts: node:crypto on a cached KeyObject)
// against SimpleWebAuthn's verifyAuthenticationResponse, the library it replaced for sign-ins. Every authentication
// vector of the shared set, then generated assertions — valid ones and ones with exactly one defect, for every
// algorithm Keyway verifies — go through both; their accept/refuse decisions must agree. Where Keyway is stricter than
// the library on purpose, the case kind says so (KEYWAY_STRICTER, with the rule and why) and the test checks that the
// library accepts and Keyway refuses with that rule's code. The generator is deterministic (SeededRandom): a failure
// names its seed and case index.
import assert from 'node:assert/strict';
import { createHash, constants, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { encodeCBOR } from '@levischuck/tiny-cbor';
import { verifyAuthenticationResponse, type AuthenticationResponseJSON } from '@simplewebauthn/server';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { verifyAuthentication, type AuthenticationExpectations } from '../../src/passkeys/authentication-verification.ts';
import { SAME_ORIGIN_ONLY } from '../../src/passkeys/client-data.ts';
import { CredentialKeyCache } from '../../src/passkeys/credential-key-cache.ts';
import { canonicalBase64url, fromBase64url } from '../../src/passkeys/webauthn-encoding.ts';
import { SeededRandom } from '../support/seeded-random.ts';
import {
  SoftAuthenticator,
  encodeCosePublicKey,
  generateKeys,
  signWith,
  type AuthenticationDefects,
  type SoftAlgorithm,
  type SoftCredential,
} from '../support/soft-authenticator.ts';

const SEED = 'keyway assertion differential v1';
const GENERATED_CASES = 10_000;
const RP_ID = 'login.example.com';
const ORIGIN = `https://${RP_ID}`;
const EMBEDDER = 'https://portal.example.net';

/** Every COSE algorithm Keyway verifies (credential-public-key.ts). */
const ALGORITHMS: readonly SoftAlgorithm[] = [-7, -35, -36, -8, -257, -258, -259, -65535, -37, -38, -39];
const EC: ReadonlySet<SoftAlgorithm> = new Set([-7, -35, -36]);
const RSA: ReadonlySet<SoftAlgorithm> = new Set([-257, -258, -259, -65535, -37, -38, -39]);
const PSS: ReadonlySet<SoftAlgorithm> = new Set([-37, -38, -39]);
const HASH_OF: Record<SoftAlgorithm, string | null> = {
  [-7]: 'sha256',
  [-35]: 'sha384',
  [-36]: 'sha512',
  [-8]: null,
  [-257]: 'sha256',
  [-258]: 'sha384',
  [-259]: 'sha512',
  [-65535]: 'sha1',
  [-37]: 'sha256',
  [-38]: 'sha384',
  [-39]: 'sha512',
};

type Outcome = 'accept' | 'refuse';

/** One generated assertion and the expectations both verifiers get. */
interface Case {
  response: AuthenticationResponseJSON;
  challenge: string;
  topOrigins: string[];
  requireUserVerification: boolean;
  /** The credential record the verifiers are given */
  record: { id: string; publicKey: Uint8Array; counter: number; backupEligible: boolean };
  userHandle: string;
}

interface Material {
  alg: SoftAlgorithm;
  /** The credential's key pair and a second one of the same algorithm ("wrong key") */
  keys: { privateKey: KeyObject; publicKey: KeyObject; cose: Uint8Array }[];
}

/** What a case kind builds, given the key material and randomness. */
interface Builder {
  alg: SoftAlgorithm;
  random: SeededRandom;
  material: Material;
}

interface Kind {
  name: string;
  applies?: (alg: SoftAlgorithm) => boolean;
  /** Keyway's decision: accepted, or refused with this code */
  keyway: 'accept' | string;
  build: (b: Builder) => Case;
}

/**
 * Case kinds where Keyway refuses what SimpleWebAuthn 14 accepts, on purpose. Each names the rule (the file that holds
 * it) and why. The test requires the library to accept these and Keyway to refuse with the kind's code.
 */
const KEYWAY_STRICTER: Record<string, string> = {
  'attested-credential-data':
    'authenticator-data.ts, WebAuthn §6.1: attested credential data is included only when a credential is created; an assertion with AT=1 is malformed. The library parses and ignores it.',
  'extensions-a-text-string':
    'authenticator-data.ts, WebAuthn §9: authenticator extension outputs are a CBOR map keyed by extension identifier. The library accepts a text string there (it refuses an integer or an array, as Keyway does).',
  'token-binding-present':
    'client-data.ts, WebAuthn L2 §7.2 step 14: "present" must match the connection’s Token Binding, which Keyway’s TLS never negotiates. The library only checks the status is one of the three names.',
  'token-binding-not-supported':
    'client-data.ts: "notSupported" is not a TokenBindingStatus of WebAuthn L2 §5.8.1 (the member would be absent). The library accepts it.',
  'token-binding-null': 'client-data.ts, WebAuthn L2 §5.8.1: tokenBinding, when present, is an object. The library skips any falsy value.',
  'cross-origin-without-top-origin':
    'client-data.ts, WebAuthn §7.2 steps 13–14: Keyway accepts an embedded ceremony only under a top-level origin the relying party lists; the library checks topOrigin only when the client sent one.',
  'backup-eligibility-changed':
    'authentication-verification.ts, WebAuthn §7.2 step 19 and §6.1.3: BE is fixed when the credential is created; the library is not given the stored BE.',
  'ecdsa-der-long-form-length':
    'assertion-signature.ts, WebAuthn §6.5.5: an ECDSA signature is an ASN.1 DER Ecdsa-Sig-Value. OpenSSL requires DER; the library’s ASN.1 parser accepts BER (a long-form length for a short SEQUENCE).',
  'ecdsa-der-trailing-bytes':
    'assertion-signature.ts, WebAuthn §6.5.5: the signature is exactly one DER Ecdsa-Sig-Value. The library’s ASN.1 parser ignores bytes after the SEQUENCE.',
};

const b64url = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

function challengeOf(random: SeededRandom): string {
  return b64url(random.bytes(32));
}

/** A credential record and an authenticator holding it, with the authenticator's flags. */
function signed(
  b: Builder,
  options: {
    keyIndex?: number;
    defects?: AuthenticationDefects;
    backupEligible?: boolean;
    backupState?: boolean;
    userVerified?: boolean;
    crossOrigin?: boolean;
    topOrigin?: string;
    storedCounter?: number;
    signCount?: number;
    incrementSignCount?: boolean;
  },
): Case {
  const { random, material, alg } = b;
  const key = material.keys[options.keyIndex ?? 0]!;
  const id = b64url(random.bytes(16 + random.int(48)));
  const userHandle = b64url(random.bytes(32));
  const storedCounter = options.storedCounter ?? random.int(1000);
  const authenticator = new SoftAuthenticator({
    alg,
    backupEligible: options.backupEligible ?? false,
    backupState: options.backupState ?? false,
    userVerified: options.userVerified ?? true,
    incrementSignCount: options.incrementSignCount ?? true,
  });
  const credential: SoftCredential = {
    id,
    rpId: RP_ID,
    userHandle,
    alg,
    privateKey: key.privateKey,
    publicKey: key.publicKey,
    signCount: options.signCount ?? storedCounter + random.int(5),
  };
  authenticator.importCredential(credential);
  const challenge = challengeOf(random);
  const response = authenticator.authenticate(
    { challenge, rpId: RP_ID, allowCredentials: [{ id, type: 'public-key' }] },
    { origin: ORIGIN, ...(options.crossOrigin ? { crossOrigin: true } : {}), ...(options.topOrigin ? { topOrigin: options.topOrigin } : {}) },
    options.defects ?? {},
  );
  return {
    response,
    challenge,
    topOrigins: [],
    requireUserVerification: random.chance(0.5),
    record: { id, publicKey: material.keys[0]!.cose, counter: storedCounter, backupEligible: options.backupEligible ?? false },
    userHandle,
  };
}

/** The case with its signature replaced. */
function withSignature(c: Case, signature: Uint8Array): Case {
  return { ...c, response: { ...c.response, response: { ...c.response.response, signature: b64url(signature) } } };
}

/** The case with authenticatorData changed and signed again, correctly, by the credential key (or by `signer`). */
function resigned(c: Case, material: Material, change: (authData: Buffer) => Buffer, signer?: (data: Buffer) => Uint8Array): Case {
  const authData = change(Buffer.from(c.response.response.authenticatorData, 'base64url'));
  const data = Buffer.concat([authData, sha256(Buffer.from(c.response.response.clientDataJSON, 'base64url'))]);
  const signature = signer ? signer(data) : signWith(material.alg, material.keys[0]!.privateKey, data);
  return withSignature({ ...c, response: { ...c.response, response: { ...c.response.response, authenticatorData: b64url(authData) } } }, signature);
}

function signatureOf(c: Case): Buffer {
  return Buffer.from(c.response.response.signature, 'base64url');
}

/** An ECDSA DER signature's SEQUENCE contents (the two INTEGERs), read from the shape node:crypto writes. */
function derContents(signature: Buffer): Buffer {
  assert.equal(signature[0], 0x30);
  return signature[1] === 0x81 ? signature.subarray(3) : signature.subarray(2);
}

const onlyFor = (set: ReadonlySet<SoftAlgorithm>) => (alg: SoftAlgorithm) => set.has(alg);

const KINDS: readonly Kind[] = [
  // Valid assertions, in the shapes real authenticators send.
  { name: 'valid', keyway: 'accept', build: (b) => signed(b, {}) },
  { name: 'valid-uv-off-not-required', keyway: 'accept', build: (b) => ({ ...signed(b, { userVerified: false }), requireUserVerification: false }) },
  {
    name: 'valid-synced-passkey',
    keyway: 'accept',
    build: (b) => signed(b, { backupEligible: true, backupState: b.random.chance(0.8), storedCounter: 0, signCount: 0, incrementSignCount: false }),
  },
  {
    name: 'valid-rfu-flags-set',
    keyway: 'accept',
    build: (b) =>
      resigned(signed(b, {}), b.material, (a) => {
        a[32]! |= 0x22;
        return a;
      }),
  },
  {
    name: 'valid-extensions-map',
    keyway: 'accept',
    build: (b) => signed(b, { defects: { extensions: encodeCBOR(new Map([['example.ext', b.random.int(100)]])) } }),
  },
  { name: 'valid-token-binding-supported', keyway: 'accept', build: (b) => signed(b, { defects: { tokenBinding: { status: 'supported' } } }) },
  {
    name: 'valid-embedded-under-listed-top-origin',
    keyway: 'accept',
    build: (b) => ({ ...signed(b, { crossOrigin: true, topOrigin: EMBEDDER }), topOrigins: [EMBEDDER] }),
  },

  // clientDataJSON (§7.2 steps 10–14).
  { name: 'wrong-challenge', keyway: 'CHALLENGE_MISMATCH', build: (b) => signed(b, { defects: { challenge: challengeOf(b.random) } }) },
  {
    name: 'wrong-origin',
    keyway: 'ORIGIN_MISMATCH',
    build: (b) =>
      signed(b, {
        defects: { origin: b.random.pick(['https://evil.example', 'http://login.example.com', 'https://login.example.com:8443', 'https://example.com']) },
      }),
  },
  {
    name: 'wrong-type',
    keyway: 'CEREMONY_TYPE_MISMATCH',
    build: (b) => signed(b, { defects: { type: b.random.pick(['webauthn.create', 'payment.get', '']) } }),
  },
  { name: 'cross-origin-not-allowed', keyway: 'CROSS_ORIGIN_NOT_ALLOWED', build: (b) => signed(b, { crossOrigin: true, topOrigin: EMBEDDER }) },
  {
    name: 'top-origin-not-listed',
    keyway: 'CROSS_ORIGIN_NOT_ALLOWED',
    build: (b) => ({ ...signed(b, { crossOrigin: true, topOrigin: 'https://evil.example' }), topOrigins: [EMBEDDER] }),
  },
  {
    name: 'top-origin-without-cross-origin',
    keyway: 'CROSS_ORIGIN_NOT_ALLOWED',
    build: (b) => ({ ...signed(b, { topOrigin: EMBEDDER }), topOrigins: [EMBEDDER] }),
  },
  {
    name: 'cross-origin-without-top-origin',
    keyway: 'CROSS_ORIGIN_NOT_ALLOWED',
    build: (b) => ({ ...signed(b, { crossOrigin: true }), topOrigins: [EMBEDDER] }),
  },
  {
    name: 'token-binding-present',
    keyway: 'TOKEN_BINDING_NOT_SUPPORTED',
    build: (b) => signed(b, { defects: { tokenBinding: { status: 'present', id: b64url(b.random.bytes(32)) } } }),
  },
  { name: 'token-binding-not-supported', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { tokenBinding: { status: 'notSupported' } } }) },
  { name: 'token-binding-unknown-status', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { tokenBinding: { status: 'bound' } } }) },
  { name: 'token-binding-null', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { tokenBinding: null } }) },

  // authenticatorData (§7.2 steps 15–19, §6.1).
  {
    name: 'wrong-rp-id-hash',
    keyway: 'RP_ID_MISMATCH',
    build: (b) => signed(b, { defects: { rpIdHash: b.random.pick(['example.com', 'evil.example', 'login.example.co']) } }),
  },
  { name: 'user-presence-off', keyway: 'USER_PRESENCE_REQUIRED', build: (b) => signed(b, { defects: { userPresent: false } }) },
  {
    name: 'user-verification-off-when-required',
    keyway: 'USER_VERIFICATION_REQUIRED',
    build: (b) => ({ ...signed(b, { userVerified: false }), requireUserVerification: true }),
  },
  { name: 'backed-up-without-eligibility', keyway: 'BACKUP_STATE_INVALID', build: (b) => signed(b, { defects: { backupStateWithoutEligible: true } }) },
  {
    name: 'backup-eligibility-changed',
    keyway: 'BACKUP_STATE_INVALID',
    build: (b) => {
      const c = signed(b, {});
      return { ...c, record: { ...c.record, backupEligible: true } };
    },
  },
  { name: 'attested-credential-data', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { attestedCredentialData: true } }) },
  { name: 'extensions-a-text-string', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { extensions: encodeCBOR('example.ext') } }) },
  { name: 'extensions-an-integer', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { extensions: encodeCBOR(b.random.int(1000)) } }) },
  {
    name: 'extensions-an-array',
    keyway: 'RESPONSE_MALFORMED',
    build: (b) => signed(b, { defects: { extensions: encodeCBOR([b.random.int(1000), 'example.ext']) } }),
  },
  { name: 'extensions-flag-without-extensions', keyway: 'RESPONSE_MALFORMED', build: (b) => signed(b, { defects: { extensions: new Uint8Array(0) } }) },
  {
    name: 'authenticator-data-trailing-bytes',
    keyway: 'RESPONSE_MALFORMED',
    build: (b) => resigned(signed(b, {}), b.material, (a) => Buffer.concat([a, Buffer.from(b.random.bytes(1 + b.random.int(8)))])),
  },
  {
    name: 'authenticator-data-truncated',
    keyway: 'RESPONSE_MALFORMED',
    build: (b) => resigned(signed(b, {}), b.material, (a) => a.subarray(0, b.random.int(37))),
  },

  // Signature counter (§7.2 step 23).
  {
    name: 'counter-not-increased',
    keyway: 'COUNTER_REGRESSION',
    build: (b) => {
      const stored = 1 + b.random.int(1000);
      return signed(b, { storedCounter: stored, signCount: stored - b.random.int(stored + 1), incrementSignCount: false });
    },
  },

  // The signature (§7.2 step 22).
  { name: 'signed-data-bit-flip', keyway: 'SIGNATURE_INVALID', build: (b) => signed(b, { defects: { badSignature: true } }) },
  {
    name: 'signature-bit-flip',
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const c = signed(b, {});
      const signature = signatureOf(c);
      const bit = b.random.int(signature.length * 8);
      signature[bit >> 3]! ^= 1 << (bit & 7);
      return withSignature(c, signature);
    },
  },
  {
    name: 'signature-truncated',
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const c = signed(b, {});
      const s = signatureOf(c);
      return withSignature(c, s.subarray(0, 1 + b.random.int(s.length - 1)));
    },
  },
  { name: 'signature-empty', keyway: 'SIGNATURE_INVALID', build: (b) => withSignature(signed(b, {}), new Uint8Array(0)) },
  {
    name: 'signature-trailing-bytes',
    applies: (alg) => !EC.has(alg),
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const c = signed(b, {});
      return withSignature(c, Buffer.concat([signatureOf(c), Buffer.from(b.random.bytes(1 + b.random.int(4)))]));
    },
  },
  { name: 'wrong-key', keyway: 'SIGNATURE_INVALID', build: (b) => signed(b, { keyIndex: 1 }) },
  {
    name: 'wrong-hash',
    applies: (alg) => alg !== -8,
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const hash = b.random.pick(['sha1', 'sha256', 'sha384', 'sha512'].filter((h) => h !== HASH_OF[b.alg]));
      const key = b.material.keys[0]!.privateKey;
      return resigned(
        signed(b, {}),
        b.material,
        (a) => a,
        (data) =>
          new Uint8Array(
            sign(
              hash,
              data,
              EC.has(b.alg)
                ? { key, dsaEncoding: 'der' }
                : PSS.has(b.alg)
                  ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
                  : { key, padding: constants.RSA_PKCS1_PADDING },
            ),
          ),
      );
    },
  },
  {
    name: 'rsa-other-padding',
    applies: onlyFor(RSA),
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const key = b.material.keys[0]!.privateKey;
      const hash = HASH_OF[b.alg]!;
      return resigned(
        signed(b, {}),
        b.material,
        (a) => a,
        (data) =>
          new Uint8Array(
            sign(
              hash,
              data,
              PSS.has(b.alg)
                ? { key, padding: constants.RSA_PKCS1_PADDING }
                : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
            ),
          ),
      );
    },
  },
  {
    name: 'pss-salt-not-hash-length',
    applies: onlyFor(PSS),
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const key = b.material.keys[0]!.privateKey;
      const saltLength = b.random.pick([0, 20, 16, 64, 48].filter((n) => n !== Number(HASH_OF[b.alg]!.slice(3)) / 8));
      return resigned(
        signed(b, {}),
        b.material,
        (a) => a,
        (data) => new Uint8Array(sign(HASH_OF[b.alg]!, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })),
      );
    },
  },
  {
    name: 'ecdsa-raw-instead-of-der',
    applies: onlyFor(EC),
    keyway: 'SIGNATURE_INVALID',
    build: (b) =>
      resigned(
        signed(b, {}),
        b.material,
        (a) => a,
        (data) => new Uint8Array(sign(HASH_OF[b.alg]!, data, { key: b.material.keys[0]!.privateKey, dsaEncoding: 'ieee-p1363' })),
      ),
  },
  {
    name: 'ecdsa-der-long-form-length',
    applies: (alg) => alg === -7 || alg === -35,
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const c = signed(b, {});
      const body = derContents(signatureOf(c));
      return withSignature(c, Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]));
    },
  },
  {
    name: 'ecdsa-der-trailing-bytes',
    applies: onlyFor(EC),
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      const c = signed(b, {});
      return withSignature(c, Buffer.concat([signatureOf(c), Buffer.from(b.random.bytes(1 + b.random.int(4)))]));
    },
  },
  {
    name: 'ecdsa-der-integer-not-minimal',
    applies: (alg) => alg === -7 || alg === -35,
    keyway: 'SIGNATURE_INVALID',
    build: (b) => {
      // r written with one more leading zero byte than DER allows, the lengths adjusted. SimpleWebAuthn reads r by
      // its length: an r that is short by a byte (one signature in 256) comes out exactly as long as the curve's with
      // the extra zero and passes there, so such a signature is made again and the case stays one defect for both.
      const componentLength = b.alg === -7 ? 32 : 48;
      let c = signed(b, {});
      let body = derContents(signatureOf(c));
      while (body[1]! < componentLength) {
        c = signed(b, {});
        body = derContents(signatureOf(c));
      }
      const rLength = body[1]!;
      const r = Buffer.concat([Buffer.from([0x02, rLength + 1, 0x00]), body.subarray(2, 2 + rLength)]);
      const rest = body.subarray(2 + rLength);
      const contents = Buffer.concat([r, rest]);
      return withSignature(c, Buffer.concat([Buffer.from(contents.length < 0x80 ? [0x30, contents.length] : [0x30, 0x81, contents.length]), contents]));
    },
  },

  // The response envelope.
  // The same credential ID, padded: §5.1 id is the base64url of rawId, so they must be the same text.
  {
    name: 'id-differs-from-raw-id',
    keyway: 'RESPONSE_MALFORMED',
    build: (b) => {
      const c = signed(b, {});
      return { ...c, response: { ...c.response, id: `${c.response.id}=` } };
    },
  },
];

/** Keyway's verifier with a cache shared across cases (so a changed key under a known credential ID is exercised). */
async function keywayDecision(c: Case, cache: CredentialKeyCache): Promise<{ outcome: Outcome; code?: string }> {
  const expected: AuthenticationExpectations = {
    challenge: c.challenge,
    origins: [ORIGIN],
    crossOrigin: c.topOrigins.length === 0 ? SAME_ORIGIN_ONLY : { topOrigins: c.topOrigins },
    rpId: RP_ID,
    requireUserVerification: c.requireUserVerification,
    allowCredentialIds: [c.record.id],
    account: { identified: true, userHandle: c.userHandle },
    credential: { id: c.record.id, publicKey: c.record.publicKey, counter: c.record.counter, backupEligible: c.record.backupEligible },
  };
  try {
    await verifyAuthentication(c.response, expected, (credential) =>
      cache.publicKey({ tenantId: 'differential', credentialId: credential.id }, credential.publicKey),
    );
    return { outcome: 'accept' };
  } catch (error) {
    if (!(error instanceof KeywayError)) throw error;
    return { outcome: 'refuse', code: error.code };
  }
}

async function libraryDecision(c: Case): Promise<Outcome> {
  try {
    const result = await verifyAuthenticationResponse({
      response: c.response,
      expectedChallenge: c.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      ...(c.topOrigins.length > 0 ? { expectedTopOrigin: c.topOrigins } : {}),
      requireUserVerification: c.requireUserVerification,
      credential: { id: c.record.id, publicKey: c.record.publicKey as Uint8Array<ArrayBuffer>, counter: c.record.counter },
    });
    return result.verified ? 'accept' : 'refuse';
  } catch {
    return 'refuse';
  }
}

function materialFor(alg: SoftAlgorithm): Material {
  const keys = [generateKeys(alg), generateKeys(alg)].map((pair) => ({ ...pair, cose: encodeCosePublicKey(pair.publicKey, alg) }));
  return { alg, keys };
}

describe('assertion verification: Keyway’s fast path and SimpleWebAuthn decide alike', () => {
  test(`${GENERATED_CASES} generated assertions (seed ${JSON.stringify(SEED)}), every algorithm, valid and each one-defect kind`, async () => {
    const random = new SeededRandom(SEED);
    const materials = new Map(ALGORITHMS.map((alg) => [alg, materialFor(alg)]));
    const cache = new CredentialKeyCache(64);
    const seen = new Map<string, number>();
    const disagreements: string[] = [];
    for (let index = 0; index < GENERATED_CASES; index++) {
      const alg = random.pick(ALGORITHMS);
      const kind = random.pick(KINDS.filter((k) => k.applies?.(alg) ?? true));
      const c = kind.build({ alg, random, material: materials.get(alg)! });
      const [keyway, library] = [await keywayDecision(c, cache), await libraryDecision(c)];
      const label = `case ${index} (${kind.name}, alg ${alg})`;
      seen.set(`${kind.name} ${alg}`, (seen.get(`${kind.name} ${alg}`) ?? 0) + 1);
      const keywayExpected = kind.keyway === 'accept' ? 'accept' : `refuse ${kind.keyway}`;
      const keywayGot = keyway.outcome === 'accept' ? 'accept' : `refuse ${keyway.code}`;
      const libraryExpected: Outcome = KEYWAY_STRICTER[kind.name] ? 'accept' : keyway.outcome;
      if (keywayGot !== keywayExpected || library !== libraryExpected) {
        disagreements.push(`${label}: Keyway ${keywayGot} (expected ${keywayExpected}), SimpleWebAuthn ${library} (expected ${libraryExpected})`);
      }
    }
    assert.deepEqual(
      disagreements.slice(0, 20),
      [],
      `${disagreements.length} disagreements, in kinds ${[...new Set(disagreements.map((d) => /\((.*), alg/.exec(d)?.[1]))].join(', ')}`,
    );
    // Every kind ran for every algorithm it applies to, so no part of the comparison is vacuous.
    for (const kind of KINDS) {
      for (const alg of ALGORITHMS.filter((a) => kind.applies?.(a) ?? true))
        assert.ok(seen.has(`${kind.name} ${alg}`), `${kind.name} never ran for alg ${alg}`);
    }
    assert.ok(cache.size <= 64, 'the key cache stays within its bound');
  });

  test('each deliberate difference names a case kind that exists', () => {
    for (const name of Object.keys(KEYWAY_STRICTER))
      assert.ok(
        KINDS.some((k) => k.name === name && k.keyway !== 'accept'),
        name,
      );
  });
});

interface Vector {
  id: string;
  ceremony: 'registration' | 'authentication';
  expectedOrigin: string | string[];
  expectedRPID: string;
  expectedChallenge: string;
  requireUserVerification: boolean;
  response: AuthenticationResponseJSON;
  allowCrossOrigin?: boolean;
  expectedTopOrigin?: string;
  credentialPublicKey?: string;
  priorCounter?: number;
}

/** Authentication vectors Keyway refuses and SimpleWebAuthn 14 verifies, each with the rule (see vectors.test.ts). */
const VECTOR_DIFFERENCES: Record<string, string> = {
  'w3c-auth-none-es256-crossorigin':
    'crossOrigin true without a topOrigin: Keyway requires a listed topOrigin (client-data.ts); the library checks topOrigin only when present.',
  'w3c-auth-none-es256-crossorigin-disallowed':
    'crossOrigin true where the relying party allows no embedding: Keyway refuses (client-data.ts); the library has no such policy without a topOrigin.',
};

describe('assertion verification: every shared authentication vector through both verifiers', () => {
  const vectors = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, 'fixtures/webauthn-vectors/vectors.json'), 'utf8')) as Vector[]).filter(
    (v) => v.ceremony === 'authentication',
  );

  test('the shared set has authentication vectors, and every listed difference is one of them', () => {
    assert.ok(vectors.length >= 20, `${vectors.length} authentication vectors`);
    for (const id of Object.keys(VECTOR_DIFFERENCES))
      assert.ok(
        vectors.some((v) => v.id === id),
        id,
      );
  });

  for (const vector of vectors) {
    test(vector.id, async () => {
      const origins = ([] as string[]).concat(vector.expectedOrigin);
      const topOrigins = vector.allowCrossOrigin && vector.expectedTopOrigin !== undefined ? [vector.expectedTopOrigin] : [];
      const id = canonicalBase64url(vector.response.rawId)!;
      const publicKey = fromBase64url(vector.credentialPublicKey)!;
      const keyway = await verifyAuthentication(vector.response, {
        challenge: vector.expectedChallenge,
        origins,
        crossOrigin: topOrigins.length === 0 ? SAME_ORIGIN_ONLY : { topOrigins },
        rpId: vector.expectedRPID,
        requireUserVerification: vector.requireUserVerification,
        allowCredentialIds: [],
        account: { identified: true, userHandle: canonicalBase64url(vector.response.response.userHandle) ?? null },
        credential: { id, publicKey, counter: vector.priorCounter ?? 0, backupEligible: undefined },
      }).then(
        () => 'accept' as const,
        (error: unknown) => {
          if (error instanceof KeywayError) return 'refuse' as const;
          throw error;
        },
      );
      const library = await verifyAuthenticationResponse({
        response: vector.response,
        expectedChallenge: vector.expectedChallenge,
        expectedOrigin: origins,
        expectedRPID: vector.expectedRPID,
        ...(vector.allowCrossOrigin && vector.expectedTopOrigin !== undefined ? { expectedTopOrigin: vector.expectedTopOrigin } : {}),
        requireUserVerification: vector.requireUserVerification,
        credential: { id, publicKey, counter: vector.priorCounter ?? 0 },
      }).then(
        (r) => (r.verified ? ('accept' as const) : ('refuse' as const)),
        () => 'refuse' as const,
      );
      if (VECTOR_DIFFERENCES[vector.id]) {
        assert.deepEqual({ keyway, library }, { keyway: 'refuse', library: 'accept' }, VECTOR_DIFFERENCES[vector.id]);
      } else {
        assert.equal(keyway, library);
      }
    });
  }
});
