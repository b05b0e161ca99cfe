// The self-service live preview, on both databases: served only to a signed-in console operator (the console cookie),
// rendered with the settings given in the address (unsaved), inert (no script, no form submission) and framable by
// Keyway's own origin only; every normal hosted page still refuses to be framed at all.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, Browser, SelfServiceWorld, expectProblem } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { enrolAs } from './console-fixture.ts';

const PREVIEW = '/acme/console/preview/customers';

for (const kind of DATABASE_KINDS) {
  describe(`self-service preview on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('an operator sees the page with the unsaved settings; the response is inert and framable by Keyway only', async () => {
      const { browser } = await enrolAs(world, 'viewer', 'Vera Viewer');
      const html = async (path: string) => {
        const response = await browser.request('GET', path);
        assert.equal(response.status, 200, path);
        return response;
      };
      const closed = await html(`${PREVIEW}/signup?allowSignUp=false&lang=en`);
      assert.match(closed.body as string, /<p class="lead">New accounts cannot be created here/);
      assert.doesNotMatch(closed.body as string, /<form id="signup-form"/);
      const open = await html(`${PREVIEW}/signup?allowSignUp=true&lang=de`);
      assert.match(open.body as string, /Konto erstellen/);
      assert.match(open.body as string, /<form id="signup-form"/);
      const csp = open.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'self'/);
      assert.match(csp, /script-src 'none'/);
      assert.match(csp, /form-action 'none'/);
      assert.equal(open.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.equal(open.headers.get('cache-control'), 'no-store');
      assert.doesNotMatch(open.body as string, /<script(?![^>]*application\/json)/, 'the preview loads no script (its page data is JSON, never run)');
      // Its links stay in the preview (a hosted page refuses every frame); without the setting in the address, the saved one.
      assert.match(open.body as string, /href="\/acme\/console\/preview\/customers\/signin"/);
      const followed = await html(`${PREVIEW}/signup`);
      assert.match(followed.body as string, /<form id="signup-form"/, 'the fixture store allows sign-up');
      // Only an http(s) application address is shown.
      const link = await html(`${PREVIEW}/signin?allowSignUp=true&applicationUrl=${encodeURIComponent('javascript:alert(1)')}`);
      assert.doesNotMatch(link.body as string, /javascript:/);
    });

    test('no console session, another tenant or an unknown store: nothing is shown', async () => {
      const stranger = new Browser(world.server.url);
      await expectProblem(stranger.request('GET', `${PREVIEW}/signin`), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      const { browser } = await enrolAs(world, 'admin', 'Ann Admin');
      // The cookie belongs to acme's console: another tenant's preview path does not accept it.
      await expectProblem(browser.request('GET', '/globex/console/preview/customers/signin'), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      await expectProblem(browser.request('GET', '/acme/console/preview/nope/signin'), 404, 'STORE_NOT_FOUND');
    });

    test('the hosted pages themselves still refuse every frame', async () => {
      const page = await world.browser().request('GET', `${BASE}/signin`, undefined, { accept: 'text/html' });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
    });
  });
}
