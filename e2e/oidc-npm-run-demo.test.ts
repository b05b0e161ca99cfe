// `npm run demo` as the README gives it, on both databases: the script starts Keyway and the demo application set up
// for each other (tenant, store, client); Chromium with a virtual authenticator signs up with a passkey from the demo
// and sees its claims, signs out; run again on the same database (the client is kept, its secret renewed), the same
// passkey signs the same user in.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../packages/server/test/support/databases.ts';
import { arrive, launchChromium, PLATFORM_AUTHENTICATOR, WebAuthnPage } from './support/browser.ts';
import { freePort } from './support/selfservice-server.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Demo {
  child: ChildProcess;
  exited: Promise<unknown>;
  /** The line the script prints once both are up */
  banner: string;
}

/** The command of `npm run demo` (package.json), run with this Node; resolved once it prints where to go. */
function startDemo(env: Record<string, string>): Promise<Demo> {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [command, ...args] = scripts.demo!.split(' ');
  assert.equal(command, 'node', scripts.demo);
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith('Keyway demo: open ')) resolve({ child, exited, banner: line });
    });
    void exited.then((code) => reject(new Error(`npm run demo exited (${String(code)}) before it was ready:\n${output}`)));
  });
}

/** Stops it as Ctrl-C would (Keyway closes gracefully and exits). */
async function stopDemo(demo: Demo | undefined): Promise<void> {
  if (!demo || demo.child.exitCode !== null) return;
  demo.child.kill('SIGINT');
  await demo.exited;
}

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

for (const kind of DATABASE_KINDS) {
  describe(`npm run demo (${kind})`, () => {
    let testDatabase: TestDatabase;
    let demo: Demo | undefined;

    before(async () => {
      testDatabase = await createTestDatabase(kind);
    });
    after(async () => {
      await stopDemo(demo);
      await testDatabase?.drop();
    });

    test('signs up with a passkey in the demo, shows the claims, signs out; run again, the same passkey signs in', async () => {
      const keywayPort = await freePort();
      const demoUrl = `http://localhost:${await freePort()}`;
      const env = { ...testDatabase.env, PORT: String(keywayPort), DEMO_URL: demoUrl };
      const issuer = `http://localhost:${keywayPort}/demo`;

      demo = await startDemo(env);
      assert.match(demo.banner, new RegExp(`open ${demoUrl} .*issuer ${issuer}, client kwo_`));
      const firstClient = /client (kwo_[A-Za-z0-9_-]+)/.exec(demo.banner)![1];
      const device = await WebAuthnPage.open(browser, `${demoUrl}/`);
      try {
        const { page } = device;
        const authenticator = await device.addVirtualAuthenticator(PLATFORM_AUTHENTICATOR);
        await page.getByRole('link', { name: 'Sign in with Keyway' }).click();
        await page.waitForURL(/\/demo\/identity\/customers\/signin\?/);
        await page.getByRole('link', { name: 'Create an account' }).click();
        await page.getByLabel('Username').fill('newcomer@example.com');
        await page.getByRole('button', { name: 'Create account with a passkey' }).click();
        await arrive(page, `${demoUrl}/`);
        assert.match((await page.locator('#signed-in').textContent()) ?? '', /Signed in as newcomer@example\.com/);
        const sub = await page.locator('td[data-claim="sub"]').textContent();
        assert.ok(sub);
        assert.equal(await page.locator('td[data-claim="aud"]').textContent(), firstClient);
        assert.match((await page.locator('#id-token-payload').textContent()) ?? '', new RegExp(`"iss": "${issuer}"`));
        assert.match((await page.locator('#id-token-header').textContent()) ?? '', /"alg": "ES256"/);

        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.waitForURL(/\/demo\/oidc\/session\/end/);
        await page.getByRole('button', { name: 'Sign out' }).click();
        await arrive(page, `${demoUrl}/`);
        assert.equal(await page.getByRole('link', { name: 'Sign in with Keyway' }).count(), 1);

        // Again on the same database: the same client, a new secret (the old one is stored only as a hash).
        await stopDemo(demo);
        demo = await startDemo(env);
        assert.equal(/client (kwo_[A-Za-z0-9_-]+)/.exec(demo.banner)![1], firstClient);
        await page.goto(`${demoUrl}/`);
        const visited: string[] = [];
        page.on('framenavigated', (frame) => {
          if (frame === page.mainFrame()) visited.push(frame.url());
        });
        await page.getByRole('link', { name: 'Sign in with Keyway' }).click();
        // The sign-in page: the passkey signs in by autofill (Chrome's virtual authenticator answers the page's
        // conditional request at once, as a user picking it from the username field would).
        await page.locator('#signed-in').waitFor({ timeout: 15_000 });
        assert.ok(
          visited.some((url) => url.includes('/demo/identity/customers/signin?')),
          visited.join(' '),
        );
        assert.equal(await page.locator('td[data-claim="sub"]').textContent(), sub);
        const credentials = await device.getCredentials(authenticator);
        assert.equal(credentials.length, 1);
        assert.equal(credentials[0]!.signCount, 2, 'the passkey signed in');
      } finally {
        await device.close();
      }
    });
  });
}
