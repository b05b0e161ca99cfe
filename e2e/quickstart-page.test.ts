// The README's path, in a real browser on both databases: `keyway quickstart` writes a page of
// one's own, `keyway serve` runs, examples/serve.ts serves the page on ANOTHER origin, and Chromium
// (virtual authenticator) signs up and then signs in with a passkey from that page through
// @keyway/web. The admin-token recipe the quickstart printed then runs in a fresh shell and finds
// the new user.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../packages/server/test/support/databases.ts';
import { runCli, startServerProcess, type ServerProcess } from '../packages/server/test/support/server-process.ts';
import { launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { freePort } from './support/selfservice-server.ts';

const SERVE = path.resolve(import.meta.dirname, '../examples/serve.ts');
const run = promisify(execFile);

/** `npx node examples/serve.ts <folder> --port <port>`, resolved once it says it is serving. */
async function servePage(folder: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', SERVE, folder, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('Serving ')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`examples/serve.ts exited with ${code}`)));
  });
  return child;
}

/** Clicks a button of the page, once its module script has wired it, and waits for the status line to change. */
async function clickAndReadStatus(page: Page, button: string): Promise<string> {
  // The buttons stay disabled until the module has imported @keyway/web and set the handlers; click() waits for
  // an enabled button, as a person would.
  const status = page.getByRole('status');
  const before = await status.textContent();
  await page.getByRole('button', { name: button }).click();
  await page.waitForFunction((previous) => document.getElementById('status')!.textContent !== previous, before);
  return (await status.textContent()) ?? '';
}

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`quick start: a passkey on a page of one's own, on another origin (${kind})`, () => {
    let testDatabase: TestDatabase;
    let scratch: string;
    let server: ServerProcess | undefined;
    let pageServer: ChildProcess | undefined;

    before(async () => {
      testDatabase = await createTestDatabase(kind);
      scratch = mkdtempSync(path.join(tmpdir(), 'keyway-quickstart-page-'));
    });
    after(async () => {
      pageServer?.kill('SIGTERM');
      if (server) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      await testDatabase?.drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    test('quickstart → serve → sign up and sign in with a passkey from the page; the printed token recipe works in a fresh shell', async () => {
      const keywayPort = await freePort();
      const pagePort = await freePort();
      const pageOrigin = `http://localhost:${pagePort}`;
      const env = { ...testDatabase.env, PORT: String(keywayPort) };
      const quickstart = await runCli(['quickstart', '--origin', pageOrigin, '--page', path.join(scratch, 'my-app', 'index.html')], env);
      assert.equal(quickstart.code, 0, quickstart.stderr);

      server = await startServerProcess(env);
      pageServer = await servePage(path.join(scratch, 'my-app'), pagePort);

      const device = await WebAuthnPage.open(browser, `${pageOrigin}/`);
      try {
        assert.equal(await device.page.evaluate(() => location.origin), pageOrigin, "the page is on its own origin, not Keyway's");
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await device.page.getByLabel('Username').fill('ada');
        assert.equal(await clickAndReadStatus(device.page, 'Sign up with a passkey'), 'Signed in as ada');
        const [credential] = await device.getCredentials(authenticator);
        assert.equal(credential?.rpId, 'localhost');

        // A new browser session (no cookies), the same authenticator: a usernameless passkey sign-in.
        await device.context.clearCookies();
        await device.page.reload();
        assert.equal(await clickAndReadStatus(device.page, 'Sign in with a passkey'), 'Signed in as ada');
        assert.equal((await device.getCredentials(authenticator))[0]?.signCount, 2, 'the passkey was used to sign in');
      } finally {
        await device.close();
      }

      // Step 3 of the quickstart's output, pasted into a shell that has nothing set.
      const recipe = quickstart.stdout
        .split('\n')
        .filter((line) => /^ {5}(KEYWAY=|TOKEN=)/.test(line))
        .map((line) => line.trim());
      assert.equal(recipe.length, 2, quickstart.stdout);
      const script = [...recipe, 'curl -s -H "Authorization: Bearer $TOKEN" $KEYWAY/api/identity-store/stores/customers/users'].join('\n');
      const { stdout } = await run('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      const users = JSON.parse(stdout) as { items: { userKey: string; status: string }[] };
      assert.deepEqual(
        users.items.map((user) => [user.userKey, user.status]),
        [['ada', 'active']],
      );
    });
  });
}
