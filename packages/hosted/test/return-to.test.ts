// The one rule for `return_to` (hosted sign-in, sign-up and the journey runner's success link): a table of known
// open-redirect bypass forms, each refused (the caller then shows its default page), and the paths of this origin
// that are kept. e2e/selfservice-return-to.test.ts runs the same table through a real passkey sign-in in Chromium.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeReturnTo } from '../src/return-to.ts';
import { RETURN_TO_BYPASSES } from './return-to-bypasses.ts';

const ORIGIN = 'http://localhost:8080';

test('every known bypass form is refused', () => {
  assert.ok(RETURN_TO_BYPASSES.length >= 25);
  for (const value of RETURN_TO_BYPASSES) assert.equal(safeReturnTo(value, ORIGIN), undefined, JSON.stringify(value));
  assert.equal(safeReturnTo(null, ORIGIN), undefined);
  assert.equal(safeReturnTo(undefined, ORIGIN), undefined);
});

test('a path on this origin is kept, resolved to an absolute URL on it', () => {
  assert.equal(safeReturnTo('/acme/identity/customers/passkeys', ORIGIN), 'http://localhost:8080/acme/identity/customers/passkeys');
  assert.equal(safeReturnTo('/app/orders?id=42&tab=open#details', ORIGIN), 'http://localhost:8080/app/orders?id=42&tab=open#details');
  assert.equal(safeReturnTo('/a/b/../c', ORIGIN), 'http://localhost:8080/a/c', 'dot segments resolve within the origin');
  assert.equal(safeReturnTo('/', ORIGIN), 'http://localhost:8080/');
  assert.equal(safeReturnTo('/caf%C3%A9?q=%20x', ORIGIN), 'http://localhost:8080/caf%C3%A9?q=%20x', 'percent-encoded text other than separators is fine');
});

test('whatever the origin, the answer is on it', () => {
  for (const origin of ['https://login.keyway.test', 'http://127.0.0.1:3000', 'https://keyway.example:8443']) {
    for (const value of RETURN_TO_BYPASSES) assert.equal(safeReturnTo(value, origin), undefined, `${JSON.stringify(value)} on ${origin}`);
    assert.equal(new URL(safeReturnTo('/x', origin)!).origin, origin);
  }
});
