// The journey designer in a real browser (Debian Chromium, Chrome's virtual authenticator, a real Keyway): an
// operator rebuilds the TrustX passkey registration template from an empty journey — steps from the palette, one
// arrow drawn by dragging and the rest wired with the side panel's selects, parameters typed (expressions checked by
// the server as they are typed), every outcome including "User cancelled" — and the result equals the template's
// steps; it validates, publishes, and runs in the hosted runner through cancel → retry → success. Then undo/redo
// and copy/paste, export → import → identical JSON, versions (visual and JSON diff, roll back by publishing an old
// one), axe in light and dark, and screenshots of every installed template in test-artifacts/designer/.
// One database (SQLite): the browser work is the subject here, and the journeys API underneath runs on both
// databases in its own tests.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium, WebAuthnPage } from './support/browser.ts';
import { assertAccessible, enrolOperator, ensureConsoleBuilt, invitationLink, navigate } from './support/console.ts';
import { ARTIFACTS, REGISTRATION_POLICY, RP_ID, watchPage } from './support/hosted-pages.ts';
import { Device, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

const TENANT = 'acme';
const JOURNEY = 'designed-registration';
const SHOTS = resolve(ARTIFACTS, 'designer');
const TEMPLATE_FILE = resolve(import.meta.dirname, '../packages/server/src/journeys/templates/trustx-passkey-registration.json');

interface TemplateStep {
  id: string;
  type: string;
  title: string;
  parameters?: Record<string, unknown>;
  outcomes?: Record<string, string>;
}
const template = JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8')) as {
  definition: { name: string; start: string; variables: Record<string, unknown>; steps: TemplateStep[] };
};

let browser: Browser;
before(async () => {
  await ensureConsoleBuilt();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

function node(page: Page, stepId: string): Locator {
  return page.locator(`.designer-main .react-flow__node[data-id="${stepId}"]`);
}

/** The designer's canvas once its nodes are laid out and fitted (it is aria-busy while they still move). */
async function canvasSettled(page: Page): Promise<void> {
  await page.locator('.designer-main .react-flow[aria-busy="false"]').waitFor();
}

/**
 * Selects a step by clicking its node, as a user would: once the canvas has laid the graph out (a click aimed while
 * the automatic layout still moves the nodes lands on whatever is there by then), with the canvas in view, and — when
 * the node lies outside the canvas (a large graph is shown from its start at a readable zoom) — after fitting the
 * graph into view with the canvas's own control (Playwright's scroll of the canvas to reach a clipped node is undone
 * by React Flow); where the mouse still cannot reach it, with the keyboard. A failure says what each attempt saw.
 */
async function selectStep(page: Page, stepId: string): Promise<void> {
  const panel = page.getByRole('region', { name: `Step ${stepId}` });
  const seen: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    if (await panel.isVisible()) return;
    await canvasSettled(page);
    await page.locator('.designer-main .designer-canvas').scrollIntoViewIfNeeded();
    if ((await clickable(page, stepId)) !== true) {
      await page.getByRole('button', { name: 'Fit the journey into view' }).click();
      await canvasSettled(page);
    }
    const where = await clickable(page, stepId);
    seen.push(`attempt ${attempt}: ${where === true ? 'clicked' : `not clickable (${where}), Enter on the focused node`}`);
    if (where === true) {
      await node(page, stepId).click({ timeout: 5_000 });
    } else {
      // Still out of reach of the mouse: the keyboard's way (a focused node is panned into view and Enter selects it).
      await node(page, stepId).focus();
      await page.keyboard.press('Enter');
    }
    try {
      await panel.waitFor({ timeout: 5_000 });
      return;
    } catch {
      const open = await page.locator('section.designer-panel #designer-step-title').allTextContents();
      seen.push(`  no panel; the step panel open: ${open.join(', ') || 'none'}`);
    }
  }
  assert.fail(`the panel of step ${stepId} did not open:\n${seen.join('\n')}`);
}

/** Whether a click in the middle of a step's node lands on it (not clipped by the canvas, not covered), else what is there. */
async function clickable(page: Page, stepId: string): Promise<true | string> {
  return node(page, stepId).evaluate((element) => {
    const box = element.getBoundingClientRect();
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    const there = document.elementFromPoint(x, y);
    if (there?.closest('.react-flow__node') === element) return true;
    const describe = (e: Element | null | undefined) => (e ? `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}` : 'nothing');
    const canvas = element.closest('.react-flow')?.getBoundingClientRect();
    return `its middle (${Math.round(x)}, ${Math.round(y)}) shows ${describe(there)}; window ${innerWidth}×${innerHeight}, canvas ${canvas ? `${Math.round(canvas.x)},${Math.round(canvas.y)} ${Math.round(canvas.width)}×${Math.round(canvas.height)}` : 'none'}`;
  });
}

/** The designer's definition as its JSON view shows it. */
async function jsonView(page: Page): Promise<Record<string, unknown>> {
  await page.getByRole('tab', { name: 'JSON' }).click();
  const text = await page.getByRole('textbox', { name: 'Definition (JSON)' }).inputValue();
  await page.getByRole('tab', { name: 'Canvas' }).click();
  return JSON.parse(text) as Record<string, unknown>;
}

async function choose(page: Page, scope: Locator, label: string, option: string): Promise<void> {
  // A select's button is named by its value, then its label.
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await scope.getByRole('button', { name: new RegExp(`${escaped}( \\*)?$`) }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  // From the top, so the sticky header is drawn where it belongs in the full-page image.
  await page.evaluate(() => window.scrollTo(0, 0));
  // caret 'initial': hiding the caret would inject a <style>, which the console's CSP (rightly) refuses.
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true, caret: 'initial' });
}

/** A text parameter's field in the step panel (its label is the name, with " *" when required). */
function parameterField(panel: Locator, name: string): Locator {
  // A combobox: the field offers the variables in scope as suggestions (a datalist).
  return panel.getByRole('combobox', { name: new RegExp(`^${name}( \\*)?$`) });
}

describe('journey designer (sqlite)', () => {
  let server: SelfServiceServer;
  let tenant: JourneyTenant;
  let operator: WebAuthnPage;
  let page: Page;
  let problems: () => string[];
  let titles: Map<string, string>;

  before(async () => {
    server = await startSelfServiceServer('sqlite');
    tenant = await setUpJourneyTenant(server, TENANT);
    const types = await tenant.api.get('/api/journeys/step-types');
    titles = new Map((types.body.items as { type: string; title: string }[]).map((s) => [s.type, s.title]));
    operator = await enrolOperator(browser, await invitationLink(server, TENANT, 'owner'), 'Dee Designer');
    page = operator.page;
    ({ problems } = watchPage(page));
  });
  after(async () => {
    await operator?.close();
    await server?.close();
  });

  test('builds the TrustX passkey registration from an empty journey, validates, publishes, and runs it to success', async () => {
    await navigate(page, 'Journeys');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByRole('dialog').getByLabel('Journey ID').fill(JOURNEY);
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { level: 1, name: JOURNEY }).waitFor();
    await page.getByRole('link', { name: 'Open designer' }).click();
    await page.getByRole('heading', { level: 1, name: /^Designer: / }).waitFor();
    assert.match(new URL(page.url()).pathname, new RegExp(`^/${TENANT}/console/journeys/${JOURNEY}/designer$`), 'a deep link');
    await page.getByText('This journey has no steps yet.').waitFor();
    await assertAccessible(page, 'empty designer');

    // ── the journey's settings: name, public access, the two variables the template's parameters read ──
    const settings = page.getByRole('region', { name: 'Journey settings' });
    await settings.getByRole('textbox', { name: 'Name', exact: true }).fill(template.definition.name);
    await settings.getByText('Browsers may start it without a token').click();
    for (const variable of Object.keys(template.definition.variables)) {
      await settings.getByLabel('New variable').fill(variable);
      await settings.getByRole('button', { name: 'Add variable' }).click();
      await settings.getByRole('button', { name: `Remove variable ${variable}` }).waitFor();
    }
    // Their values, as the template installer fills them in: this store's relying party and registration policy.
    await settings.getByRole('textbox', { name: 'Default of relyingPartyId' }).fill(RP_ID);
    await settings.getByRole('textbox', { name: 'Default of registrationPolicy' }).fill(REGISTRATION_POLICY);

    // ── every step from the palette, with its id, title and parameters ──
    for (const step of template.definition.steps) {
      await page.getByRole('button', { name: `Add step: ${titles.get(step.type)}` }).click();
      const panel = page.getByRole('region', { name: /^Step / });
      await panel.getByRole('textbox', { name: 'Step ID' }).fill(step.id);
      await page.getByRole('heading', { level: 2, name: `Step ${step.id}` }).waitFor();
      await panel.getByRole('textbox', { name: 'Title' }).fill(step.title);
      for (const [name, value] of Object.entries(step.parameters ?? {})) {
        if (name === 'result' || name === 'decisionOnAnyFailure') {
          await choose(page, panel, name, String(value));
          continue;
        }
        await parameterField(panel, name).fill(String(value));
      }
      await node(page, step.id).waitFor();
    }
    await shot(page, 'build-steps-added');

    // An expression is checked by the server as it is typed: a syntax error lands on the field, and goes.
    await selectStep(page, 'usernameTaken');
    const conditionPanel = page.getByRole('region', { name: 'Step usernameTaken' });
    const condition = parameterField(conditionPanel, 'condition');
    const written = await condition.inputValue();
    await condition.fill('${_identityStore.addUserError.code == }');
    await conditionPanel.locator('input[aria-invalid="true"]').waitFor();
    await conditionPanel.getByText(/^EXPRESSION_SYNTAX: /).waitFor();
    await shot(page, 'build-expression-error');
    await condition.fill(written);
    await page.waitForFunction(() => !document.querySelector('.designer-panel input[aria-invalid="true"]'));

    // ── the arrows: one dragged from an outcome's handle to a step, the others with the keyboard's selects ──
    const first = template.definition.steps[0]!;
    const [dragOutcome, dragTarget] = Object.entries(first.outcomes!)[0]!;
    const source = node(page, first.id).locator(`.react-flow__handle[data-handleid="${dragOutcome}"]`);
    const target = node(page, dragTarget).locator('.react-flow__handle.target');
    const from = (await source.boundingBox())!;
    const to = (await target.boundingBox())!;
    await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.locator(`.react-flow__edge[data-id="${first.id}\u0000${dragOutcome}"], .react-flow__edge`).first().waitFor();
    assert.deepEqual(((await jsonView(page)).steps as TemplateStep[])[0]!.outcomes, { [dragOutcome]: dragTarget }, 'the dragged arrow wired the outcome');

    // Keyboard: a focused node is selected with Enter.
    const firstPanel = page.getByRole('region', { name: `Step ${first.id}` });
    for (let attempt = 1; !(await firstPanel.isVisible()); attempt++) {
      assert.ok(attempt <= 5, 'Enter on the focused node opens its panel');
      await node(page, first.id).focus();
      await page.keyboard.press('Enter');
      await firstPanel.waitFor({ timeout: 3_000 }).catch(() => undefined);
    }
    for (const step of template.definition.steps) {
      await selectStep(page, step.id);
      const panel = page.getByRole('region', { name: `Step ${step.id}` });
      await panel.waitFor();
      for (const [outcome, targetId] of Object.entries(step.outcomes ?? {})) {
        if (step.id === first.id && outcome === dragOutcome) continue;
        const targetStep = template.definition.steps.find((s) => s.id === targetId)!;
        await choose(page, panel, `Outcome “${outcome}” leads to`, `${targetStep.title} (${targetId})`);
      }
    }

    // The graph is the template's journey.
    const built = await jsonView(page);
    assert.equal(built.start, template.definition.start);
    assert.deepEqual(built.variables, {
      relyingPartyId: { type: 'string', default: RP_ID },
      registrationPolicy: { type: 'string', default: REGISTRATION_POLICY },
    });
    assert.deepEqual(built.access, { public: true });
    assert.deepEqual(built.steps, template.definition.steps);

    // ── validate, publish ──
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The journey is valid.').waitFor();
    await page.getByText(/^Saved · No errors/).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Publish draft' }).click();
    await page.getByText('Published version 1.').waitFor();
    await page.getByText(/^Saved · No errors/).waitFor();
    await shot(page, 'trustx-registration-built');
    await assertAccessible(page, 'designer with a journey');
    await selectStep(page, 'completeRegistration');
    // From the top: the click scrolled the node into view, and a control under the sticky header counts as obscured.
    await page.evaluate(() => window.scrollTo(0, 0));
    await assertAccessible(page, 'designer with a step selected');
    await shot(page, 'step-panel');
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, 'designer (dark)');
    await shot(page, 'trustx-registration-built-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    const viewport = page.viewportSize()!;
    await page.setViewportSize({ width: 360, height: viewport.height });
    await shot(page, 'trustx-registration-built-360');
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
    assert.equal(sideways, false, 'nothing scrolls sideways at 360 px (the canvas pans and zooms inside itself)');
    await page.setViewportSize(viewport);

    // ── the hosted runner, with the journey drawn above: details → passkey prompt; cancel → retry → success ──
    const runner = await WebAuthnPage.open(browser, `${server.origin}/healthz`);
    try {
      const device = new Device(runner);
      await device.attach();
      const runPage = runner.page;
      await runPage.goto(tenant.runnerUrl(JOURNEY));
      const form = await waitForStep(runPage, 'form', 'Create your account');
      await form.getByLabel('Username').fill('dana');
      await form.getByLabel('Display name').fill('Dana');
      await form.getByRole('button', { name: 'Continue' }).click();
      const prompt = await waitForStep(runPage, 'passkeyRegistrationForm', 'Create your passkey');
      await device.detach();
      await prompt.getByRole('button', { name: 'Create a passkey' }).click();
      const retry = await waitForStep(runPage, 'form', 'Passkey request cancelled');
      await device.attach();
      await retry.getByRole('button', { name: 'Try again' }).click();
      const again = await waitForStep(runPage, 'passkeyRegistrationForm', 'Create your passkey');
      await again.getByRole('button', { name: 'Create a passkey' }).click();
      await waitForStep(runPage, 'success');
      assert.equal((await device.credentials()).length, 1, 'one passkey was made');
    } finally {
      await runner.close();
    }
    const users = await tenant.api.get(`/api/identity-store/stores/${STORE}/users?userKey=dana`);
    assert.equal(users.body.items.length, 1, 'the journey created the user');
    assert.deepEqual(problems(), []);
  });

  test('undo/redo and copy/paste of a step', async () => {
    const before = await jsonView(page);
    await selectStep(page, 'retry');
    await page.keyboard.press('Control+C');
    await page.getByText('Step retry copied.').waitFor();
    // The canvas toolbar offers the paste too (the palette, where it was, is folded for a journey with steps).
    await page.getByRole('button', { name: 'Paste step retry' }).waitFor();
    await page.keyboard.press('Control+V');
    await node(page, 'retryCopy').waitFor();
    const pasted = ((await jsonView(page)).steps as TemplateStep[]).find((s) => s.id === 'retryCopy')!;
    const original = template.definition.steps.find((s) => s.id === 'retry')!;
    assert.deepEqual(pasted, { ...original, id: 'retryCopy' }, 'the copy keeps parameters and arrows');
    await page.locator('.designer-main .react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+Z');
    await node(page, 'retryCopy').waitFor({ state: 'detached' });
    assert.deepEqual(await jsonView(page), before);
    await page.keyboard.press('Control+Shift+Z');
    await node(page, 'retryCopy').waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await node(page, 'retryCopy').waitFor({ state: 'detached' });
    assert.deepEqual(await jsonView(page), before);
    // The JSON view edits the same document: a title changed there shows on the node.
    await page.getByRole('tab', { name: 'JSON' }).click();
    const editor = page.getByRole('textbox', { name: 'Definition (JSON)' });
    await editor.fill((await editor.inputValue()).replace('"title": "Retry after cancel"', '"title": "Retry please"'));
    await page.getByRole('tab', { name: 'Canvas' }).click();
    await node(page, 'retry').getByText('Retry please').waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await node(page, 'retry').getByText('Retry after cancel').waitFor();
  });

  test('export → import → identical JSON', async () => {
    const exportOnce = async (): Promise<string> => {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export JSON' }).click();
      const file = await download;
      assert.equal(file.suggestedFilename(), `${JOURNEY}.json`);
      return readFileSync((await file.path())!, 'utf8');
    };
    const exported = await exportOnce();
    assert.deepEqual(JSON.parse(exported), await jsonView(page));
    mkdirSync(SHOTS, { recursive: true });
    const saved = resolve(SHOTS, `${JOURNEY}.json`);
    writeFileSync(saved, exported);
    // Change the document, then import the file: it is back, byte for byte.
    await selectStep(page, 'taken');
    await page.getByRole('button', { name: 'Delete step' }).click();
    await node(page, 'taken').waitFor({ state: 'detached' });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import JSON' }).click();
    await (await chooser).setFiles(saved);
    await page.getByText(`Imported ${JOURNEY}.json.`).waitFor();
    await node(page, 'taken').waitFor();
    assert.equal(await exportOnce(), exported);
    // A file that is not a definition is refused, with nothing changed.
    const bad = resolve(SHOTS, 'not-a-journey.json');
    writeFileSync(bad, '{"hello": 1}');
    const chooser2 = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Import JSON' }).click();
    await (await chooser2).setFiles(bad);
    await page.getByText(/^Not imported: /).waitFor();
    assert.equal(await exportOnce(), exported);
  });

  test('versions: visual and JSON diff, roll back by publishing an old version again', async () => {
    await selectStep(page, 'end');
    await page.getByRole('region', { name: 'Step end' }).getByRole('textbox', { name: 'Title' }).fill('All done');
    await page.getByRole('button', { name: 'Publish draft' }).click();
    await page.getByText('Published version 2.').waitFor();
    await page.getByRole('tab', { name: 'Versions' }).click();
    const compare = page.getByRole('region', { name: 'Compare' });
    await choose(page, compare, 'From', 'Version 1');
    await choose(page, compare, 'To', 'Version 2');
    await compare.getByText('0 added, 0 removed, 1 changed').waitFor();
    await compare.getByRole('list', { name: 'Changed steps' }).getByText('end').waitFor();
    await compare.locator('.react-flow__node[data-id="end"] .designer-node.is-changed').waitFor();
    await compare.locator('.diff-added', { hasText: '"title": "All done"' }).waitFor();
    await compare.locator('.diff-removed', { hasText: '"title": "End"' }).waitFor();
    await assertAccessible(page, 'designer versions');
    await shot(page, 'versions-diff');
    await page.getByRole('button', { name: 'Publish version 1 again' }).click();
    await page.getByText('Version 1 published again as version 3.').waitFor();
    const v1 = await tenant.api.get(`/api/journeys/${JOURNEY}/versions/1`);
    const v3 = await tenant.api.get(`/api/journeys/${JOURNEY}/versions/3`);
    assert.equal(v3.status, 200);
    assert.deepEqual(v3.body.definition, v1.body.definition);
    assert.deepEqual(problems(), []);
  });

  test('every installed template opens in the designer (screenshots)', async () => {
    const journeys = await tenant.api.get('/api/journeys');
    const installed = (journeys.body.items as { journeyId: string }[]).map((j) => j.journeyId).filter((id) => id !== JOURNEY);
    assert.equal(installed.length, 4);
    for (const journeyId of installed) {
      const definition = (await tenant.api.get(`/api/journeys/${journeyId}`)).body.draft as { steps: { id: string }[] };
      await page.goto(`${server.origin}/${TENANT}/console/journeys/${journeyId}/designer`);
      await page.getByRole('heading', { level: 1, name: /^Designer: / }).waitFor();
      await page
        .locator('.designer-main .react-flow__node')
        .nth(definition.steps.length - 1)
        .waitFor();
      assert.equal(await page.locator('.designer-main .react-flow__node').count(), definition.steps.length);
      await page.getByText(/^Saved · No errors/).waitFor();
      // The whole graph (the designer opens at a readable zoom, panned to the start), once laid out.
      await canvasSettled(page);
      await page.getByRole('button', { name: 'Fit the journey into view' }).click();
      await shot(page, journeyId);
    }
    // In German, dark: the designer's own texts, and axe.
    await page.getByRole('button', { name: /Language/ }).click();
    await page.getByRole('option', { name: 'Deutsch' }).click();
    // A journey with steps opens with the step palette folded (the canvas in view); its heading unfolds it.
    const palette = page.getByRole('heading', { level: 2, name: 'Schritttypen' });
    await palette.waitFor();
    assert.equal(await page.getByRole('button', { name: /^Schritt hinzufügen: / }).count(), 0, 'the palette is folded');
    await palette.click();
    await page
      .getByRole('button', { name: 'Schritt hinzufügen: Bedingung' })
      .or(page.getByRole('button', { name: /^Schritt hinzufügen: / }).first())
      .first()
      .waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    // From the top: a control scrolled under the sticky header counts as an obscured (too small) target.
    await page.evaluate(() => window.scrollTo(0, 0));
    await assertAccessible(page, 'designer (de, dark)');
    await shot(page, 'designer-de-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: /Sprache/ }).click();
    await page.getByRole('option', { name: 'English' }).click();
    await page.getByRole('heading', { level: 2, name: 'Step types' }).waitFor();
    assert.deepEqual(problems(), []);
  });

  test('"Try it": a dry-run where the user cancels the passkey highlights the retry branch on the canvas', async () => {
    await page.goto(`${server.origin}/${TENANT}/console/journeys/trustx-passkey-registration/designer`);
    await page.getByRole('heading', { level: 1, name: /^Designer: / }).waitFor();
    await page.getByRole('tab', { name: 'Try it' }).click();
    assert.equal(new URL(page.url()).searchParams.get('tab'), 'try', 'the tab is in the address (a deep link)');
    const panel = page.getByRole('region', { name: 'Try it' });
    await panel.waitFor();
    const canvas = page.getByRole('tabpanel', { name: 'Try it' });
    // Nothing is highlighted before a run.
    await canvas.locator('.react-flow__node').first().waitFor();
    assert.equal(await canvas.locator('.designer-node.is-traced, .react-flow__edge.is-traced').count(), 0);

    await panel
      .locator('li', { hasText: 'registrationDetails' })
      .getByRole('textbox', { name: 'Test input' })
      .fill(JSON.stringify({ userName: 'try-it-user', displayName: 'Try It' }));
    // The software authenticator's behaviour belongs to the step that asks the browser for the passkey (its result
    // is what Complete Passkey Registration turns into "User cancelled").
    await choose(page, panel.locator('li', { hasText: 'registrationForm' }), 'Passkey behaviour', 'User cancels');
    await panel.getByRole('button', { name: 'Run dry-run' }).click();
    await panel.getByText('Ends in success').waitFor();

    // The retry branch: the retry step is on the path, and so is the arrow that leads to it.
    const traced = (stepId: string) => canvas.locator(`.react-flow__node[data-id="${stepId}"] .designer-node`);
    const arrow = (from: string, outcome: string, to: string) => canvas.getByRole('img', { name: `${from}: ${outcome} leads to ${to}`, exact: true });
    await canvas.locator('.react-flow__node[data-id="retry"] .designer-node.is-traced').waitFor();
    const cancelled = arrow('completeRegistration', 'User cancelled', 'retry');
    assert.match((await cancelled.getAttribute('class')) ?? '', /\bis-traced\b/, 'the "User cancelled" arrow is on the path');
    assert.match((await cancelled.getAttribute('class')) ?? '', /\banimated\b/, 'and animated');
    assert.match((await arrow('retry', 'success', 'registrationForm').getAttribute('class')) ?? '', /\bis-traced\b/, 'back from the retry');
    // The passkey steps were visited twice (before and after the retry), in order; a step not taken is not marked.
    assert.equal(await traced('registrationForm').locator('.designer-badge-trace').textContent(), '#4, #7');
    assert.equal(await traced('completeRegistration').locator('.designer-badge-trace').textContent(), '#5, #8');
    for (const notTaken of ['usernameTaken', 'taken', 'failed', 'rejected']) {
      assert.doesNotMatch((await traced(notTaken).getAttribute('class')) ?? '', /\bis-traced\b/, `${notTaken} was not taken`);
      assert.equal(await traced(notTaken).locator('.designer-badge-trace').count(), 0);
    }
    assert.doesNotMatch((await arrow('completeRegistration', 'Failed ID Store Service Call', 'decide').getAttribute('class')) ?? '', /\bis-traced\b/);
    assert.doesNotMatch((await arrow('retry', 'cancel', 'rejected').getAttribute('class')) ?? '', /\bis-traced\b/);

    // No colour transitions or moving dashes while axe reads the colours.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.getByRole('button', { name: 'Fit the journey into view' }).click();
    await assertAccessible(page, 'designer, Try it');
    await shot(page, 'try-it-user-cancels');
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, 'designer, Try it (dark)');
    await shot(page, 'try-it-user-cancels-dark');
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
    assert.deepEqual(problems(), []);
  });
});
