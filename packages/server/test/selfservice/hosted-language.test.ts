// The language links of a hosted page are built from the request's own path: they stay on Keyway's origin whatever
// the raw request target was.
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { describe, test } from 'node:test';
import { hostedPageLanguage } from '../../src/selfservice/hosted-language.ts';

/** The parts of a request hostedPageLanguage reads. */
const requestFor = (url: string, lang?: string) => ({ url, headers: { 'accept-language': 'de' }, query: lang ? { lang } : {} }) as unknown as FastifyRequest;

describe('hosted page language links', () => {
  test('the path keeps its query without lang, and the language follows ?lang= over Accept-Language', () => {
    assert.deepEqual(hostedPageLanguage(requestFor('/acme/identity/customers/signin?return_to=%2Fx&lang=en', 'en')), {
      lang: 'en',
      path: '/acme/identity/customers/signin?return_to=%2Fx',
    });
  });

  test('a raw target with doubled leading slashes gives a path on this origin, never a protocol-relative link', () => {
    for (const target of ['/.//evil.example/x', '//evil.example/x', '///evil.example/x']) {
      const { path } = hostedPageLanguage(requestFor(target));
      assert.ok(path.startsWith('/') && !path.startsWith('//'), `${target} → ${path}`);
      assert.equal(new URL(`${path}?lang=de`, 'https://keyway.example').origin, 'https://keyway.example');
    }
  });
});
