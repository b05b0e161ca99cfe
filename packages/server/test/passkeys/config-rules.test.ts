import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { originScopeProblem, originSyntaxProblem, rpIdProblem } from '../../src/passkeys/origin-rules.ts';
import { KeywayError } from '../../src/errors/keyway-error.ts';
import { DEFAULT_ALGORITHMS } from '../../src/passkeys/passkey-config.ts';
import { checkRegistrationSettings, checkRootCertificates } from '../../src/passkeys/policy-rules.ts';
import { TEST_LEAF_PEM, TEST_ROOT_PEM } from './config-certificates.ts';

describe('RP ID rules', () => {
  for (const good of [
    'example.com',
    'login.example.com',
    'example.co.uk',
    'foo.github.io',
    'localhost',
    'app.localhost',
    'xn--bcher-kva.example',
    'internal.corp',
  ]) {
    test(`accepts ${good}`, () => assert.equal(rpIdProblem(good), undefined));
  }
  const bad: Array<[string, RegExp]> = [
    ['com', /public suffix/],
    ['co.uk', /public suffix/],
    ['github.io', /public suffix/],
    ['intranet', /public suffix/],
    ['127.0.0.1', /IP address/],
    ['10.0.0.1', /IP address/],
    ['[::1]', /scheme, port or path|IP address/],
    ['Example.com', /lower-case \(example\.com\)/],
    ['https://example.com', /without scheme/],
    ['example.com:443', /without scheme, port or path/],
    ['example.com/', /without scheme, port or path/],
    ['exa mple.com', /labels/],
    ['-example.com', /labels/],
    ['example..com', /labels/],
    ['example.com.', /labels/],
    ['bücher.example', /xn--/],
    [`${'a'.repeat(64)}.com`, /labels/],
    ['', /labels/],
  ];
  for (const [rpId, message] of bad) {
    test(`rejects ${JSON.stringify(rpId)}`, () => assert.match(rpIdProblem(rpId) ?? '(accepted)', message));
  }
});

describe('origin rules', () => {
  const good = [
    'https://example.com',
    'https://login.example.com',
    'https://example.com:8443',
    'http://localhost',
    'http://localhost:3000',
    'https://localhost:3000',
    'http://app.localhost:5173',
    'android:apk-key-hash:' + 'A'.repeat(43),
  ];
  for (const origin of good) test(`accepts the syntax of ${origin}`, () => assert.equal(originSyntaxProblem(origin), undefined));

  const bad: Array<[string, RegExp]> = [
    ['http://example.com', /http:\/\/ is allowed only for localhost/],
    ['https://example.com/', /without path, query, fragment or trailing slash \(https:\/\/example\.com\)/],
    ['https://example.com/login', /without path/],
    ['https://example.com?x=1', /without path, query/],
    ['https://example.com#top', /fragment/],
    ['https://Example.com', /as the browser serialises it: https:\/\/example\.com/],
    ['https://example.com:443', /as the browser serialises it: https:\/\/example\.com$/],
    ['https://user:pw@example.com', /credentials/],
    ['ftp://example.com', /https:\/\/ origin/],
    ['example.com', /must be an origin/],
    ['https://127.0.0.1', /IP addresses/],
    ['android:apk-key-hash:short', /43 characters/],
  ];
  for (const [origin, message] of bad) {
    test(`rejects ${origin}`, () => assert.match(originSyntaxProblem(origin) ?? '(accepted)', message));
  }

  test('an origin must be the RP ID, a subdomain of it, or a declared related origin', () => {
    assert.equal(originScopeProblem('https://example.com', 'example.com', []), undefined);
    assert.equal(originScopeProblem('https://a.b.example.com', 'example.com', []), undefined);
    assert.equal(originScopeProblem('http://localhost:3000', 'localhost', []), undefined);
    assert.match(originScopeProblem('https://evilexample.com', 'example.com', []) ?? '', /neither the RP ID example\.com nor a subdomain/);
    assert.match(originScopeProblem('https://example.com', 'login.example.com', []) ?? '', /neither/, 'a parent of the RP ID is not under it');
    assert.match(originScopeProblem('https://example.org', 'example.com', []) ?? '', /relatedOrigins/);
    assert.equal(originScopeProblem('https://example.org', 'example.com', ['https://example.org']), undefined);
    assert.equal(originScopeProblem('android:apk-key-hash:' + 'A'.repeat(43), 'example.com', []), undefined);
  });
});

describe('trust anchor rules', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  test('a CA certificate is accepted and normalised to PEM', () => {
    const { roots, problems } = checkRootCertificates([TEST_ROOT_PEM.replaceAll('\n', '\r\n')], now);
    assert.deepEqual(problems, []);
    assert.equal(roots.length, 1);
    assert.match(roots[0]!, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
  });

  test('each bad root is reported with its index', () => {
    const { roots, problems } = checkRootCertificates(
      [TEST_ROOT_PEM, 'not a certificate', TEST_LEAF_PEM, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', TEST_ROOT_PEM + TEST_LEAF_PEM],
      now,
    );
    assert.equal(roots.length, 1);
    assert.deepEqual(
      problems.map((p) => p.field),
      [
        'attestationTrust.rootCertificates.1',
        'attestationTrust.rootCertificates.2',
        'attestationTrust.rootCertificates.3',
        'attestationTrust.rootCertificates.4',
      ],
    );
    assert.match(problems[0]!.message, /not a PEM certificate/);
    assert.match(problems[1]!.message, /Keyway Test Authenticator Leaf is not a CA certificate/);
    assert.match(problems[2]!.message, /not a parseable X\.509 certificate/);
    assert.match(problems[3]!.message, /several certificates/);
  });

  test('an expired root is refused, at the edge of its validity', () => {
    const validTo = new Date('2126-10-30T19:30:25Z');
    assert.deepEqual(checkRootCertificates([TEST_ROOT_PEM], validTo).problems, []);
    const { problems } = checkRootCertificates([TEST_ROOT_PEM], new Date(validTo.getTime() + 1000));
    assert.match(problems[0]?.message ?? '', /expired on 2126-10-30T19:30:25\.000Z/);
  });
});

test('without KEYWAY_TRUST_DIR a metadata file source is refused, so tenants cannot probe the server’s disk', async () => {
  const settings = {
    attestation: 'direct' as const,
    residentKey: 'preferred' as const,
    userVerification: 'preferred' as const,
    algorithms: DEFAULT_ALGORITHMS,
    hints: [],
    timeout: 60_000,
    excludeCredentials: true,
    allowSyncedPasskeys: true,
    attestationTrust: { requireTrustedAttestation: true, rootCertificates: [], metadata: { file: '/etc/hostname' } },
  };
  await assert.rejects(checkRegistrationSettings(settings, new Date()), (error: unknown) => {
    assert.ok(error instanceof KeywayError);
    assert.equal(error.code, 'INVALID_TRUST_ANCHOR');
    assert.match(error.detail, /file sources are disabled on this server/);
    return true;
  });
});
