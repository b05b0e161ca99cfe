// The seed flows, visually (real Chromium, a real Keyway): each installed template — TrustX passkey registration,
// TrustX passkey authentication, Mosaic passkey registration after sign-in and Mosaic passkey sign-in — opens in the designer and is tried in "Try it": to success, and down a failure branch
// chosen per step (a passkey that fails user verification, an unknown credential, a cancel), the Mosaic flows run as an
// existing user. Each graph is checked for overlapping nodes and for an outcome label on every arrow, and a screenshot
// per seed flow goes to test-artifacts/designer/ (English light, English dark on the failure branch, German).
// Then node placement: a node dragged (and one moved with the arrow keys) stays where it was put, through save,
// reload and export → import; "Auto layout" goes back to the automatic layout. One database (SQLite): the dry-run and
// the definitions underneath run on both databases in their own tests.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, type WebAuthnPage } from './support/browser.ts';
import { assertAccessible, enrolOperator, ensureConsoleBuilt, invitationLink } from './support/console.ts';
import { ARTIFACTS, watchPage } from './support/hosted-pages.ts';
import { setUpJourneyTenant, STORE, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const SHOTS = resolve(ARTIFACTS, 'designer');
const USER = 'seed-user';

interface Seed {
  seed: string;
  journeyId: string;
  /** "Run as user" (the Mosaic flows: the Login Form names nobody; Register Passkeys needs a signed-in user). */
  startUser?: string;
  /** Test input per form step. */
  inputs?: Record<string, unknown>;
  /** The failure branch: the step whose answer is changed, to what, the step the branch goes through, how the run ends. */
  failure: { stepId: string; field: string; choice: string; through: string; ends: string };
}

const SEEDS: Seed[] = [
  {
    seed: '000',
    journeyId: 'trustx-passkey-registration',
    inputs: { registrationDetails: { userName: 'designer-new', displayName: 'New User' } },
    failure: { stepId: 'registrationForm', field: 'Passkey behaviour', choice: 'Fails user verification', through: 'failed', ends: 'Ends in rejection' },
  },
  {
    seed: '001',
    journeyId: 'trustx-passkey-authentication',
    inputs: { signIn: { userName: USER } },
    failure: { stepId: 'authenticationForm', field: 'Passkey behaviour', choice: 'Unknown credential', through: 'failed', ends: 'Ends in rejection' },
  },
  {
    seed: '002',
    journeyId: 'mosaic-passkey-registration',
    startUser: USER,
    failure: { stepId: 'registerPasskeys', field: 'Passkey behaviour', choice: 'User cancels', through: 'countCancel', ends: 'Ends in success' },
  },
  {
    seed: '004',
    journeyId: 'mosaic-passkey-sign-in',
    startUser: USER,
    failure: { stepId: 'loginForm', field: 'Passkey behaviour', choice: 'Fails user verification', through: 'countFailure', ends: 'Ends in success' },
  },
];

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  const path = resolve(SHOTS, `${name}.png`);
  // caret 'initial': hiding the caret would inject a <style>, which the console's CSP refuses.
  await page.screenshot({ path, fullPage: true, caret: 'initial' });
  return path;
}

async function choose(page: Page, scope: Locator, label: string, option: string): Promise<void> {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await scope.getByRole('button', { name: new RegExp(`${escaped}( \\*)?$`) }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** The step's entry in the Try it panel (its name line holds the step id). */
function stepAnswer(panel: Locator, stepId: string): Locator {
  return panel.locator('li.dry-run-step').filter({ has: panel.page().locator('.dry-run-step-name .mono', { hasText: new RegExp(`^${stepId}$`) }) });
}

/**
 * What a reader of the graph needs: no node drawn over another, and every arrow labelled with its outcome. The graph
 * is compared with the definition the server holds, so a missing arrow or label counts too.
 */
async function assertGraphReadable(scope: Locator, definition: { steps: { id: string; outcomes?: Record<string, string> }[] }): Promise<void> {
  const boxes = await scope.locator('.react-flow__node').evaluateAll((nodes) =>
    nodes.map((node) => {
      const r = node.getBoundingClientRect();
      return { id: node.getAttribute('data-id') ?? '', x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
  assert.equal(boxes.length, definition.steps.length, 'a node per step');
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1)) {
      const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      assert.ok(!overlap, `nodes ${a.id} and ${b.id} overlap`);
    }
  // Fitted whole, the graph is still drawn at a zoom whose text can be read (the designer's own bound, MIN_FIT_ZOOM).
  const zoom = await scope.locator('.react-flow__viewport').evaluate((viewport) => new DOMMatrix(getComputedStyle(viewport).transform).a);
  assert.ok(zoom >= 0.55, `the whole graph fits at a readable zoom (${zoom.toFixed(2)})`);
  const labels = await scope.locator('.react-flow__edge-text').allTextContents();
  const outcomes = definition.steps.flatMap((s) => Object.keys(s.outcomes ?? {}));
  assert.deepEqual([...labels].sort(), [...outcomes].sort(), 'each arrow carries its outcome');
}

describe('seed flows in the designer (sqlite)', () => {
  let server: SelfServiceServer;
  let tenant: JourneyTenant;
  let operator: WebAuthnPage;
  let page: Page;
  let problems: () => string[];
  const written: string[] = [];

  before(async () => {
    server = await startSelfServiceServer('sqlite');
    tenant = await setUpJourneyTenant(server, TENANT);
    const user = await tenant.api.post(`/api/identity-store/stores/${STORE}/users`, { userKey: USER, externalId: 'ext-seed-user', email: 'seed@example.com' });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    operator = await enrolOperator(browser, await invitationLink(server, TENANT, 'owner'), 'Sam Seeds');
    page = operator.page;
    // A large screen: each whole seed flow fits the canvas at a zoom whose labels can be read.
    await page.setViewportSize({ width: 1920, height: 1400 });
    ({ problems } = watchPage(page));
  });
  after(async () => {
    await operator?.close();
    await server?.close();
    // The screenshots this run wrote, for the closing note: test-artifacts/designer/written.txt.
    if (written.length > 0) writeFileSync(resolve(SHOTS, 'written.txt'), `${written.join('\n')}\n`);
  });

  for (const seed of SEEDS) {
    test(`seed ${seed.seed}, ${seed.journeyId}: tried to success and down a failure branch; nothing stored`, async () => {
      const definition = (await tenant.api.get(`/api/journeys/${seed.journeyId}`)).body.draft as { steps: { id: string; outcomes?: Record<string, string> }[] };
      const usersBefore = (await tenant.api.get(`/api/identity-store/stores/${STORE}/users`)).body.items.length;
      await page.goto(`${server.origin}/${TENANT}/console/journeys/${seed.journeyId}/designer?tab=try`);
      await page.getByRole('heading', { level: 1, name: /^Designer: / }).waitFor();
      const canvas = page.getByRole('tabpanel', { name: 'Try it' });
      const panel = page.getByRole('region', { name: 'Try it' });
      await canvas
        .locator('.react-flow__node')
        .nth(definition.steps.length - 1)
        .waitFor();
      if (seed.startUser) await panel.getByRole('textbox', { name: 'Run as user (user key)' }).fill(seed.startUser);
      for (const [stepId, input] of Object.entries(seed.inputs ?? {}))
        await stepAnswer(panel, stepId).getByRole('textbox', { name: 'Test input' }).fill(JSON.stringify(input));

      // ── to success ──
      await panel.getByRole('button', { name: 'Run dry-run' }).click();
      await panel.getByText('Ends in success').waitFor();
      await canvas.locator('.react-flow__node[data-id="end"] .designer-node.is-traced').waitFor();
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.getByRole('button', { name: 'Fit the journey into view' }).click();
      await assertGraphReadable(canvas, definition);
      await assertAccessible(page, `${seed.journeyId}, Try it`);
      written.push(await shot(page, `seed-${seed.seed}-${seed.journeyId}-success`));

      // ── down the failure branch ──
      await choose(page, stepAnswer(panel, seed.failure.stepId), seed.failure.field, seed.failure.choice);
      await panel.getByRole('button', { name: 'Run dry-run' }).click();
      await panel.getByText(seed.failure.ends).waitFor();
      await canvas.locator(`.react-flow__node[data-id="${seed.failure.through}"] .designer-node.is-traced`).waitFor();
      await page.getByRole('button', { name: 'Fit the journey into view' }).click();
      await assertGraphReadable(canvas, definition);
      await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
      await assertAccessible(page, `${seed.journeyId}, Try it, failure branch (dark)`);
      written.push(await shot(page, `seed-${seed.seed}-${seed.journeyId}-failure-dark`));
      await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });

      assert.equal((await tenant.api.get(`/api/identity-store/stores/${STORE}/users`)).body.items.length, usersBefore, 'the dry-runs stored no user');
      assert.deepEqual(problems(), []);
    });
  }

  test('the seed flows in German: tried in "Ausprobieren", the graph and its labels, a screenshot each', async () => {
    await page.goto(`${server.origin}/${TENANT}/console/journeys/${SEEDS[0]!.journeyId}/designer`);
    await page.getByRole('button', { name: /Language/ }).click();
    await page.getByRole('option', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 2, name: 'Schritttypen' }).waitFor();
    for (const seed of SEEDS) {
      const definition = (await tenant.api.get(`/api/journeys/${seed.journeyId}`)).body.draft as { steps: { id: string; outcomes?: Record<string, string> }[] };
      await page.goto(`${server.origin}/${TENANT}/console/journeys/${seed.journeyId}/designer?tab=try`);
      const canvas = page.getByRole('tabpanel', { name: 'Ausprobieren' });
      const panel = page.getByRole('region', { name: 'Ausprobieren' });
      await canvas
        .locator('.react-flow__node')
        .nth(definition.steps.length - 1)
        .waitFor();
      if (seed.startUser) await panel.getByRole('textbox', { name: 'Lauf als Benutzer' }).fill(seed.startUser);
      for (const [stepId, input] of Object.entries(seed.inputs ?? {}))
        await stepAnswer(panel, stepId).getByRole('textbox', { name: 'Testeingabe' }).fill(JSON.stringify(input));
      await panel.getByRole('button', { name: 'Probelauf starten' }).click();
      await panel.getByText('Endet erfolgreich').waitFor();
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.getByRole('button', { name: 'Ablauf einpassen' }).click();
      await assertGraphReadable(canvas, definition);
      written.push(await shot(page, `seed-${seed.seed}-${seed.journeyId}-de`));
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, 'Ausprobieren (de, dark)');
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
    await page.getByRole('button', { name: /Sprache/ }).click();
    await page.getByRole('option', { name: 'English' }).click();
    await page.getByRole('region', { name: 'Try it' }).waitFor();
    assert.deepEqual(problems(), []);
  });

  test('nodes stay where they are dragged or moved by keyboard: saved, reloaded, exported and imported; Auto layout resets', async () => {
    const journeyId = 'mosaic-passkey-sign-in';
    await page.goto(`${server.origin}/${TENANT}/console/journeys/${journeyId}/designer`);
    await page.getByRole('heading', { level: 1, name: /^Designer: / }).waitFor();
    const node = (id: string) => page.locator(`.designer-main .react-flow__node[data-id="${id}"]`);
    // Until the layout is drawn and fitted the nodes still move (the canvas is aria-busy): a drag aimed at a node
    // then lands on whatever is there by the time the pointer goes down.
    const settled = () => page.locator('.designer-main .react-flow[aria-busy="false"]').waitFor();
    await node('failed').waitFor();
    await settled();
    await page.getByText('Laid out automatically; drag a node').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Auto layout' }).isDisabled(), true, 'nothing to reset yet');
    const positionsIn = async (): Promise<Record<string, { x: number; y: number }> | undefined> => {
      await page.getByRole('tab', { name: 'JSON' }).click();
      const json = JSON.parse(await page.getByRole('textbox', { name: 'Definition (JSON)' }).inputValue()) as {
        ui?: { positions?: Record<string, { x: number; y: number }> };
      };
      await page.getByRole('tab', { name: 'Canvas' }).click();
      await node('failed').waitFor();
      await settled();
      return json.ui?.positions;
    };
    const boxOf = async (id: string) => (await node(id).boundingBox())!;
    /** A node's position on the graph (React Flow draws it with translate(x, y)). */
    const graphPosition = async (id: string) => {
      const [, x, y] = /translate\(([-\d.]+)px, ([-\d.]+)px\)/.exec((await node(id).getAttribute('style')) ?? '')!;
      return { x: Number(x), y: Number(y) };
    };

    // Drag "cancelled" by its header, 120 px up or down (where the canvas has room), the canvas in view.
    await page.locator('.designer-main .designer-canvas').scrollIntoViewIfNeeded();
    const start = await boxOf('cancelled');
    const laidOut = await graphPosition('cancelled');
    const zoom = await page.locator('.designer-main .react-flow__viewport').evaluate((viewport) => new DOMMatrix(getComputedStyle(viewport).transform).a);
    const area = (await page.locator('.designer-main .designer-canvas').boundingBox())!;
    const dy = start.y + start.height + 130 < area.y + area.height ? 120 : -120;
    await page.mouse.move(start.x + start.width / 2, start.y + 12);
    await page.mouse.down();
    await page.mouse.move(start.x + start.width / 2, start.y + 12 + dy, { steps: 10 });
    await page.mouse.up();
    await page.getByText('Nodes stay where you drag them').waitFor();
    const dragged = (await positionsIn())!;
    assert.deepEqual(Object.keys(dragged).sort(), ['cancelled', 'countFailure', 'end', 'failed', 'loginForm', 'passkeyAuthentication', 'retryAllowed']);
    assert.equal(dragged.cancelled!.x, Math.round(laidOut.x), 'moved straight down or up');
    // Down or up with the pointer (React Flow starts the drag a few pixels into the movement).
    const travelled = (dragged.cancelled!.y - laidOut.y) / (dy / zoom);
    assert.ok(travelled > 0.6 && travelled <= 1.01, `the node moved with the pointer (${dragged.cancelled!.y - laidOut.y} of ${dy / zoom})`);

    // With the keyboard: a selected node moves with the arrow keys.
    await node('failed').click();
    await page.getByRole('region', { name: 'Step failed' }).waitFor();
    await node('failed').focus();
    const before = dragged.failed!;
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction((x) => {
      const text = document.querySelector('.designer-main .react-flow__node[data-id="failed"]')?.getAttribute('style') ?? '';
      const match = /translate\(([-\d.]+)px/.exec(text);
      return match !== null && Number(match[1]) > x;
    }, before.x);
    const placed = (await positionsIn())!;
    assert.ok(placed.failed!.x > before.x, 'the arrow keys moved the node');
    assert.deepEqual(placed.failed!.y, before.y);
    await shot(page, 'placed-by-hand');

    // Saved with the draft; after a reload the nodes are where they were left.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Saved · /).waitFor();
    assert.deepEqual(((await tenant.api.get(`/api/journeys/${journeyId}`)).body.draft as { ui: unknown }).ui, { positions: placed });
    await page.reload();
    await node('failed').waitFor();
    assert.deepEqual(await positionsIn(), placed);

    // Export → Auto layout → import: the positions come back, byte for byte.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON' }).click();
    const exported = readFileSync((await (await download).path())!, 'utf8');
    assert.deepEqual((JSON.parse(exported) as { ui: unknown }).ui, { positions: placed });
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await page.getByText('Laid out automatically; drag a node').waitFor();
    assert.equal(await positionsIn(), undefined, 'Auto layout drops the positions');
    mkdirSync(SHOTS, { recursive: true });
    const file = resolve(SHOTS, `${journeyId}-placed.json`);
    writeFileSync(file, exported);
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import JSON' }).click();
    await (await chooser).setFiles(file);
    await page.getByText(`Imported ${journeyId}-placed.json.`).waitFor();
    assert.deepEqual(await positionsIn(), placed);

    // Auto layout is one undoable edit.
    await page.getByRole('button', { name: 'Auto layout' }).click();
    assert.equal(await positionsIn(), undefined);
    await page.getByRole('button', { name: 'Undo' }).click();
    assert.deepEqual(await positionsIn(), placed);
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Saved · /).waitFor();
    assert.equal(((await tenant.api.get(`/api/journeys/${journeyId}`)).body.draft as { ui?: unknown }).ui, undefined);
    assert.deepEqual(problems(), []);
  });
});
