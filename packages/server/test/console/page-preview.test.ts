// The custom page editor's live preview, on both databases: the unsaved HTML answered under the page's own policy
// made inert (sandboxed, inline styles drawn, no script, no form, framable by Keyway only), and only to a signed-in
// operator who may read pages, from the console's own origin.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PREVIEW_REFUSAL_CSP } from '../../src/console/page-preview-refusal.ts';
import { PAGE_CSP, PAGE_PREVIEW_CSP } from '../../src/journeys/pages/page-document.ts';
import { MAX_PAGE_BYTES } from '../../src/journeys/pages/page-service.ts';
import { Browser, SelfServiceWorld, expectProblem, type BrowserResponse } from '../selfservice/selfservice-fixture.ts';
import { DATABASE_KINDS } from '../support/databases.ts';
import { enrolAs } from './console-fixture.ts';

const PREVIEW = '/acme/console/preview/page';
const PAGE =
  '<!doctype html>\n<html lang="en">\n<head><style>h1 { color: rebeccapurple }</style></head>\n<body><h1 style="margin: 0">Welcome, Ümit</h1>\n<script>document.title = "ran"</script></body>\n</html>\n';

/** The console's form submission: form-encoded, into the preview's frame. A header given as undefined is not sent. */
function submit(browser: Browser, html: string, path = PREVIEW, headers: Record<string, string | undefined> = {}): Promise<BrowserResponse> {
  const sent = { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...headers };
  return browser.requestRaw(
    'POST',
    path,
    new URLSearchParams({ html }).toString(),
    Object.fromEntries(Object.entries(sent).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  );
}

for (const kind of DATABASE_KINDS) {
  describe(`custom page preview on ${kind}`, () => {
    let world: SelfServiceWorld;
    before(async () => {
      world = await SelfServiceWorld.create(kind);
    });
    after(() => world.close());

    test('a viewer sees the HTML as sent, under the page policy without script or form, framable by Keyway only', async () => {
      const { browser } = await enrolAs(world, 'viewer', 'Vera Viewer');
      const response = await submit(browser, PAGE);
      assert.equal(response.status, 200);
      assert.equal(response.body, PAGE, 'the HTML exactly as typed (UTF-8, line breaks, inline style and script)');
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      const csp = response.headers.get('content-security-policy');
      assert.equal(csp, PAGE_PREVIEW_CSP);
      const directives = csp!.split('; ');
      assert.ok(directives.includes('sandbox'), 'sandboxed without allow-scripts or allow-forms');
      assert.ok(directives.includes("script-src 'none'"));
      assert.ok(directives.includes("style-src 'unsafe-inline'"), 'the page is drawn with its styles');
      assert.ok(directives.includes("form-action 'none'"));
      assert.ok(directives.includes("frame-ancestors 'self'"));
      // Everything else as a journey serves the page: the two policies differ only in what may run.
      assert.deepEqual(
        directives.filter((d) => !d.startsWith('sandbox') && !d.startsWith('script-src')),
        PAGE_CSP.split('; ').filter((d) => !d.startsWith('sandbox') && !d.startsWith('script-src')),
      );
      assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      // As large as a page may be (just under MAX_PAGE_BYTES in UTF-8), form-encoded at six characters a letter.
      const largest = `<p>${'é'.repeat(Math.floor((MAX_PAGE_BYTES - 7) / 2))}</p>`;
      const large = await submit(browser, largest);
      assert.equal(large.status, 200);
      assert.equal((large.body as string).length, largest.length);
      await expectProblem(submit(browser, 'x'.repeat(MAX_PAGE_BYTES + 1)), 400, 'VALIDATION_FAILED');
      await expectProblem(
        browser.requestRaw('POST', PREVIEW, 'nothing=here', { 'content-type': 'application/x-www-form-urlencoded' }),
        400,
        'VALIDATION_FAILED',
      );
    });

    test('no console session, a role that may not read pages, another tenant or another site: nothing is shown', async () => {
      await expectProblem(submit(new Browser(world.server.url), PAGE), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      // Refused before its body is read: an invalid one gets the same answer.
      await expectProblem(submit(new Browser(world.server.url), 'x'.repeat(MAX_PAGE_BYTES + 1)), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      const support = await enrolAs(world, 'support', 'Sam Support');
      await expectProblem(submit(support.browser, PAGE), 403, 'FORBIDDEN');
      const { browser } = await enrolAs(world, 'admin', 'Ann Admin');
      // The cookie belongs to acme's console: another tenant's preview path does not accept it.
      await expectProblem(submit(browser, PAGE, '/globex/console/preview/page'), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      // A form on another site that carried the cookie anyway (it does not: SameSite=Strict) is refused before it.
      await expectProblem(submit(browser, PAGE, PREVIEW, { 'sec-fetch-site': 'cross-site' }), 403, 'CSRF_REJECTED');
      await expectProblem(submit(browser, PAGE, PREVIEW, { 'sec-fetch-site': 'same-site' }), 403, 'CSRF_REJECTED');
      await expectProblem(submit(browser, PAGE, PREVIEW, { origin: 'https://evil.example' }), 403, 'CSRF_REJECTED');
      await expectProblem(submit(browser, PAGE, PREVIEW, { origin: 'null', 'sec-fetch-site': 'cross-site' }), 403, 'CSRF_REJECTED');
      // Without Sec-Fetch-Site (an older browser) only the console's Origin is taken.
      await expectProblem(submit(browser, PAGE, PREVIEW, { origin: 'null', 'sec-fetch-site': undefined }), 403, 'CSRF_REJECTED');
      assert.equal((await submit(browser, PAGE, PREVIEW, { 'sec-fetch-site': undefined })).status, 200, 'an older browser, from the console');
      assert.equal((await submit(browser, PAGE)).status, 200, 'the same operator from the console');
      // The console's form is a navigation from a no-referrer page, which Chromium sends with Origin: null.
      assert.equal((await submit(browser, PAGE, PREVIEW, { origin: 'null' })).status, 200, 'the console’s form into the frame');
    });

    test('in the frame, a refusal is a page in the console’s language that says why; every other caller gets problem+json', async () => {
      const frame = { 'sec-fetch-dest': 'iframe', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
      const refusal = async (response: Promise<BrowserResponse>, status: number, code: string, lang: string, says: RegExp) => {
        const answer = await response;
        assert.equal(answer.status, status);
        assert.equal(answer.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(answer.headers.get('content-security-policy'), PREVIEW_REFUSAL_CSP);
        assert.equal(answer.headers.get('x-frame-options'), 'SAMEORIGIN');
        assert.equal(answer.headers.get('cache-control'), 'no-store');
        const html = answer.body as string;
        assert.match(html, new RegExp(`<html lang="${lang}">`));
        assert.match(html, says);
        assert.ok(html.includes(code), 'the code, for whoever reports it');
        assert.ok(html.includes(answer.headers.get('x-request-id')!), 'and the request id');
        // The one style element the policy allows, by its hash.
        const style = /<style>([^<]*)<\/style>/.exec(html)![1]!;
        assert.ok(PREVIEW_REFUSAL_CSP.includes(`'sha256-${createHash('sha256').update(style).digest('base64')}'`));
      };
      const nobody = new Browser(world.server.url);
      await refusal(submit(nobody, PAGE, `${PREVIEW}?lang=de`, frame), 401, 'CONSOLE_SIGN_IN_REQUIRED', 'de', /Melden Sie sich erneut an/);
      await refusal(submit(nobody, PAGE, PREVIEW, frame), 401, 'CONSOLE_SIGN_IN_REQUIRED', 'en', /Sign in again/);
      // An unknown language is English.
      await refusal(submit(nobody, PAGE, `${PREVIEW}?lang=xx`, frame), 401, 'CONSOLE_SIGN_IN_REQUIRED', 'en', /Sign in again/);
      const support = await enrolAs(world, 'support', 'Sid Support');
      await refusal(submit(support.browser, PAGE, `${PREVIEW}?lang=de`, frame), 403, 'FORBIDDEN', 'de', /Ihre Rolle darf eigene Seiten nicht lesen/);
      const { browser } = await enrolAs(world, 'admin', 'Ada Admin');
      await refusal(submit(browser, 'x'.repeat(MAX_PAGE_BYTES + 1), PREVIEW, frame), 400, 'VALIDATION_FAILED', 'en', /at most 256 KiB/);
      // Larger than the body limit (form-encoded, three bytes a letter): refused while being read.
      await refusal(submit(browser, '\u{1F600}'.repeat(MAX_PAGE_BYTES), PREVIEW, frame), 413, 'PAYLOAD_TOO_LARGE', 'en', /at most 256 KiB/);
      await refusal(submit(browser, PAGE, PREVIEW, { ...frame, 'sec-fetch-site': 'cross-site' }), 403, 'CSRF_REJECTED', 'en', /Only the console itself/);
      // A browser too old for Sec-Fetch-Dest is recognised by what it accepts.
      await refusal(submit(nobody, PAGE, PREVIEW, { accept: frame.accept }), 401, 'CONSOLE_SIGN_IN_REQUIRED', 'en', /Sign in again/);
      // Another destination (a script's fetch) keeps the problem+json of the rest of the API.
      await expectProblem(submit(nobody, PAGE, PREVIEW, { 'sec-fetch-dest': 'empty', accept: '*/*' }), 401, 'CONSOLE_SIGN_IN_REQUIRED');
      // A successful preview in the frame is the page itself, as before.
      const shown = await submit(browser, PAGE, `${PREVIEW}?lang=de`, frame);
      assert.equal(shown.status, 200);
      assert.equal(shown.body, PAGE);
      assert.equal(shown.headers.get('content-security-policy'), PAGE_PREVIEW_CSP);
    });
  });
}
