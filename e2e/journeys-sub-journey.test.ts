// A sub-journey's outputs used by its parent, in Chromium on both databases: the parent runs a published
// child journey with `general.subJourney`; the child asks for a user name and a plan in a form in the runner and
// adds the user; the output mapping brings the plan and the name back; the parent branches on the plan and, for gold,
// shows both on a custom page. Checked in the browser, the persisted instance (status, user, variables) and the
// audit trail (one end, the parent's; the child leaves no instance of its own).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium } from './support/browser.ts';
import { watchPage } from './support/hosted-pages.ts';
import { journeyScreenshot, publishJourney, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/**
 * The step ids of the runtime answers the page receives, in order. Each body is read when its response event fires
 * (before the page can draw the step), so awaiting `ids()` once the page shows a step includes that step's answer.
 */
function recordStepIds(page: Page): { ids(): Promise<(string | undefined)[]> } {
  const bodies: Promise<{ journeyStepId?: string }>[] = [];
  page.on('response', (response) => {
    if (/\/journeys\/(?:[^/]+\/start|sessions\/[^/]+(?:\/submit)?)$/.test(new URL(response.url()).pathname))
      bodies.push(response.json().catch(() => ({})) as Promise<{ journeyStepId?: string }>);
  });
  return { ids: async () => (await Promise.all(bodies)).map((body) => body.journeyStepId) };
}

const en = (text: string) => ({ values: { en: text } });

const PROFILE_FORM = {
  title: { ...en('Your profile'), type: 'title' },
  components: [
    { type: 'text', id: 'userName', label: en('Username'), validate: { required: true }, index: 0 },
    {
      type: 'radio',
      id: 'plan',
      label: en('Plan'),
      options: [
        { value: 'basic', label: en('Basic') },
        { value: 'gold', label: en('Gold') },
      ],
      validate: { required: true },
      index: 1,
    },
  ],
};

/** The child: asks for the profile in a form, adds the user (the parent's user from then on), ends in success. */
const CHILD_JOURNEY = {
  schemaVersion: 1,
  name: 'Pick a plan',
  store: STORE,
  access: { public: false },
  start: 'profile',
  steps: [
    {
      id: 'profile',
      type: 'trustx.customDataForm',
      parameters: { dataFormName: 'profile' },
      outcomes: { success: 'addUser', cancel: 'cancelled', timeout: 'cancelled' },
    },
    {
      id: 'addUser',
      type: 'trustx.addUser',
      parameters: { storeName: '${_journey.store}', userKey: '${profile.userName}' },
      outcomes: { success: 'done', 'Failed to add the user': 'cancelled', 'ExtId Not Unique': 'cancelled' },
    },
    { id: 'done', type: 'general.end', parameters: { result: 'success' } },
    { id: 'cancelled', type: 'general.end', parameters: { result: 'rejection', code: 'PROFILE_NOT_GIVEN' } },
  ],
};

// The parent's page for gold members: it shows the values the page received from the parent's variables.
const GOLD_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gold</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem;color:#1a1d24} button{font:inherit;padding:.6rem 1rem}</style></head>
<body><h2 id="greeting"></h2><button id="go" type="button">Continue</button>
<script>
document.getElementById('greeting').textContent = 'Welcome, ' + keyway.sessionData.userName + ': your plan is ' + keyway.sessionData.plan + '.';
document.getElementById('go').addEventListener('click', () => keyway.submit({}));
</script></body></html>`;

/** The parent: runs the child, takes its plan and user name back, and greets gold members on a page of their own. */
const PARENT_JOURNEY = {
  schemaVersion: 1,
  name: 'Join',
  store: STORE,
  access: { public: true },
  start: 'pickPlan',
  variables: { plan: { type: 'string' }, userName: { type: 'string' } },
  steps: [
    {
      id: 'pickPlan',
      type: 'general.subJourney',
      parameters: { journeyId: 'pick-plan', output: { plan: 'profile.plan', userName: 'profile.userName' } },
      outcomes: { success: 'isGold', rejection: 'refused' },
    },
    { id: 'isGold', type: 'general.condition', parameters: { condition: '${plan == "gold"}' }, outcomes: { true: 'goldWelcome', false: 'done' } },
    {
      id: 'goldWelcome',
      type: 'trustx.customPageV2',
      parameters: { pageName: 'gold-welcome', sessionData: { userName: '${userName}', plan: '${plan}' } },
      outcomes: { success: 'done', cancel: 'done', timeout: 'done' },
    },
    { id: 'done', type: 'general.end', parameters: { result: 'success' } },
    { id: 'refused', type: 'general.end', parameters: { result: 'rejection', code: 'JOIN_REFUSED' } },
  ],
};

for (const kind of DATABASE_KINDS) {
  describe(`a sub-journey's outputs used by its parent (${kind})`, () => {
    let server: SelfServiceServer;
    let tenant: JourneyTenant;
    let context: BrowserContext;
    let page: Page;
    let problems: () => string[];
    const shots = kind === 'sqlite';

    before(async () => {
      server = await startSelfServiceServer(kind);
      tenant = await setUpJourneyTenant(server);
      assert.equal((await tenant.api.post('/api/custom-forms', { name: 'profile', form: PROFILE_FORM })).status, 201);
      assert.equal((await tenant.api.post('/api/custom-forms/profile/versions/1/publish')).status, 200);
      assert.equal((await tenant.api.post('/api/custom-pages', { name: 'gold-welcome', html: GOLD_PAGE })).status, 201);
      assert.equal((await tenant.api.post('/api/custom-pages/gold-welcome/versions/1/publish')).status, 200);
      await publishJourney(tenant.api, 'pick-plan', CHILD_JOURNEY);
      await publishJourney(tenant.api, 'join', PARENT_JOURNEY);
      context = await browser.newContext();
      page = await context.newPage();
      ({ problems } = watchPage(page));
    });
    after(async () => {
      await context?.close();
      await server?.close();
    });

    /** The child's form in the runner: a name and a plan, sent with Continue. */
    async function answerProfile(userName: string, plan: 'Basic' | 'Gold', screenshot?: string): Promise<void> {
      const form = await waitForStep(page, 'form', 'Your profile');
      await form.getByLabel('Username').fill(userName);
      await form.getByLabel(plan).check();
      if (screenshot) await journeyScreenshot(page, screenshot);
      await form.getByRole('button', { name: 'Continue' }).click();
    }

    /** The persisted instance of the parent for `userKey`'s user, and that user's id. */
    async function parentInstance(userKey: string) {
      const users = await tenant.api.get(`/api/identity-store/stores/${STORE}/users?userKey=${userKey}`);
      assert.equal(users.body.items.length, 1, `the child added ${userKey}`);
      const userId: string = users.body.items[0].id;
      const listed = await tenant.api.get('/api/journeys/join/instances');
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const mine = listed.body.items.filter((item: { userId: string | null }) => item.userId === userId);
      assert.equal(mine.length, 1, `one instance of the parent for ${userKey}`);
      const row = await server.database.db.selectFrom('journey_instances').selectAll().where('id', '=', mine[0].instanceId).executeTakeFirstOrThrow();
      return { userId, summary: mine[0], row, vars: JSON.parse(row.vars) as Record<string, unknown> };
    }

    const successes = async () =>
      (await server.database.db.selectFrom('audit_events').select(['target_id', 'details']).where('action', '=', 'journey.success').execute()).map((event) => ({
        journeyId: event.target_id,
        userId: JSON.parse(event.details!).userId as string,
      }));

    test('basic: the child’s form in the runner, its plan back in the parent, whose condition goes straight to the end', async () => {
      const answers = recordStepIds(page);
      await page.goto(tenant.runnerUrl('join'));
      await answerProfile('erin', 'Basic', shots ? 'sub-journey-form-en' : undefined);
      const done = await waitForStep(page, 'success', 'All done');
      await done.getByText('The process is complete.').waitFor();
      assert.deepEqual(await answers.ids(), ['profile', 'success'], 'the child’s form, then the parent’s end: no gold page');

      const { userId, summary, row, vars } = await parentInstance('erin');
      assert.equal(summary.status, 'succeeded');
      assert.equal(row.status, 'succeeded');
      assert.equal(row.current_step, null, 'ended');
      assert.equal(row.user_id, userId, 'the user the child added is the parent’s');
      assert.equal(vars.plan, 'basic', 'the output mapping brought the plan back');
      assert.equal(vars.userName, 'erin');
      assert.equal((vars._journey as { id: string }).id, 'join', 'back in the parent');
      assert.equal((vars._journey as { frames?: unknown }).frames, undefined, 'no sub-journey left open');
      assert.deepEqual(await successes(), [{ journeyId: 'join', userId }], 'one end, the parent’s');
      assert.deepEqual(problems(), []);
    });

    test('gold: the parent branches on the child’s plan and shows the mapped name and plan on its own page', async () => {
      const answers = recordStepIds(page);
      await page.goto(tenant.runnerUrl('join'));
      await answerProfile('dora', 'Gold');
      await waitForStep(page, 'customPage');
      const frame = page.frameLocator('iframe.custom-page');
      await frame.getByRole('heading', { name: 'Welcome, dora: your plan is gold.' }).waitFor();
      if (shots) await journeyScreenshot(page, 'sub-journey-gold-page-en');

      const waiting = await parentInstance('dora');
      assert.equal(waiting.row.status, 'waiting');
      assert.equal(waiting.row.current_step, 'goldWelcome', 'the parent’s gold branch');
      assert.equal(waiting.vars.plan, 'gold');
      assert.equal(waiting.vars.userName, 'dora');
      assert.deepEqual(JSON.parse(waiting.row.presentation!).data.sessionData, { userName: 'dora', plan: 'gold' });

      await frame.getByRole('button', { name: 'Continue' }).click();
      const done = await waitForStep(page, 'success', 'All done');
      await done.getByText('The process is complete.').waitFor();
      assert.deepEqual(await answers.ids(), ['profile', 'goldWelcome', 'success']);
      const ended = await parentInstance('dora');
      assert.equal(ended.row.status, 'succeeded');
      assert.equal(ended.row.user_id, ended.userId);
      assert.deepEqual(
        (await successes()).map((end) => end.journeyId),
        ['join', 'join'],
        'each run ended once, as the parent',
      );
      const childInstances = await tenant.api.get('/api/journeys/pick-plan/instances');
      assert.deepEqual(childInstances.body.items, [], 'the child ran inside the parent’s instance');
      assert.deepEqual(problems(), []);
    });
  });
}
