// A live step timeout on two Keyway nodes sharing one database, with an injected clock,
// in Chromium on both databases: the browser runs the journey on node A; node B holds the scheduler's
// database lease and fires the timeout when the shared (frozen, injected) clock passes the deadline (node A's tick at the same moment
// fires nothing); the runner on node A shows the timeout branch with no answer from the user. The persisted instance
// is checked before and after, and the journey's end is audited once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DATABASE_KINDS } from '../packages/server/test/support/databases.ts';
import { launchChromium } from './support/browser.ts';
import { watchPage } from './support/hosted-pages.ts';
import { publishJourney, recordRuntime, setUpJourneyTenant, STORE, waitForStep, type JourneyTenant } from './support/journey-runner.ts';
import { startSelfServiceServer, type SelfServiceServer } from './support/selfservice-server.ts';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

/** A published form with a title and one sentence. */
async function publishNotice(tenant: JourneyTenant, name: string, title: string): Promise<void> {
  const created = await tenant.api.post('/api/custom-forms', {
    name,
    form: {
      title: { values: { en: title }, type: 'title' },
      components: [{ type: 'paragraph', id: 'note', label: { values: { en: '' } }, values: { en: `${title}.` }, index: 0 }],
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal((await tenant.api.post(`/api/custom-forms/${name}/versions/1/publish`)).status, 200);
}

const TIMED_JOURNEY = {
  schemaVersion: 1,
  store: STORE,
  access: { public: true },
  start: 'ask',
  steps: [
    {
      id: 'ask',
      type: 'trustx.customDataForm',
      parameters: { dataFormName: 'hurry', timeoutSeconds: 60 },
      outcomes: { success: 'answered', cancel: 'answered', timeout: 'late' },
    },
    {
      id: 'late',
      type: 'trustx.customDataForm',
      parameters: { dataFormName: 'too-late' },
      outcomes: { success: 'tooLate', cancel: 'tooLate', timeout: 'tooLate' },
    },
    { id: 'answered', type: 'general.end', parameters: { result: 'rejection', code: 'ANSWERED_IN_TIME' } },
    { id: 'tooLate', type: 'general.end', parameters: { result: 'rejection', code: 'ANSWERED_TOO_LATE' } },
  ],
};

for (const kind of DATABASE_KINDS) {
  describe(`a live step timeout on two nodes sharing one ${kind} database`, () => {
    let nodeA: SelfServiceServer;
    let nodeB: SelfServiceServer;
    let tenant: JourneyTenant;
    let context: BrowserContext;
    let page: Page;
    let problems: () => string[];

    before(async () => {
      nodeA = await startSelfServiceServer(kind);
      nodeB = await nodeA.joinNode();
      tenant = await setUpJourneyTenant(nodeA);
      await publishNotice(tenant, 'hurry', 'Quick question');
      await publishNotice(tenant, 'too-late', 'Time is up');
      await publishJourney(tenant.api, 'timed-question', TIMED_JOURNEY);
      context = await browser.newContext();
      page = await context.newPage();
      ({ problems } = watchPage(page));
    });
    after(async () => {
      await context?.close();
      await nodeB?.close();
      await nodeA?.close();
    });

    /** The persisted instance of the journey (there is one). */
    async function instanceRow() {
      const listed = await tenant.api.get('/api/journeys/timed-question/instances');
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.equal(listed.body.items.length, 1, 'one instance');
      const row = await nodeB.database.db
        .selectFrom('journey_instances')
        .selectAll()
        .where('id', '=', listed.body.items[0].instanceId)
        .executeTakeFirstOrThrow();
      return { summary: listed.body.items[0], row };
    }

    const tickBoth = () => Promise.all([nodeA.tickJourneyTimers(), nodeB.tickJourneyTimers()]);
    const auditedEnds = async () =>
      nodeA.database.db
        .selectFrom('audit_events')
        .select(['action', 'details'])
        .where('target_id', '=', 'timed-question')
        .where('action', 'in', ['journey.success', 'journey.rejection'])
        .execute();

    test('started in the browser on node A, fired by node B at the deadline (node A’s tick fires nothing), shown on node A without an answer', async () => {
      assert.notEqual(nodeA.http.baseUrl, nodeB.http.baseUrl, 'two nodes on two ports');
      assert.equal(nodeB.origin, nodeA.origin, 'one deployment behind one public URL');
      // The nodes' shared clock moves only when the test moves it, so "at the deadline" is exact.
      nodeA.clock.freeze();
      const answers = recordRuntime(page);
      await page.goto(tenant.runnerUrl('timed-question'));
      assert.ok(page.url().startsWith(nodeA.origin), 'the browser talks to node A');
      await waitForStep(page, 'form', 'Quick question');

      const { row: waiting } = await instanceRow();
      assert.equal(waiting.status, 'waiting');
      assert.equal(waiting.current_step, 'ask');
      assert.equal(waiting.step_deadline, waiting.updated_at + 60_000, 'the deadline: presented + 60 s');
      const startedRevision = waiting.revision;

      // Node B's scheduler runs first and so holds the lease; node A's scheduler is refused it while B renews it.
      assert.equal(await nodeB.tickJourneyTimers(), 0, 'nothing is due yet');
      nodeA.clock.advance(60_000);
      assert.equal(await nodeB.tickJourneyTimers(), 0, 'at the deadline: not yet');
      assert.deepEqual(await tickBoth(), [0, 0]);
      assert.equal((await instanceRow()).row.current_step, 'ask', 'still waiting for the answer');

      nodeA.clock.advance(1_000);
      assert.deepEqual(await tickBoth(), [0, 1], 'past the deadline both nodes tick at once: node B fires it, node A does not');
      assert.deepEqual(await tickBoth(), [0, 0], 'and it fires only once');

      const { summary, row: timedOut } = await instanceRow();
      assert.equal(summary.status, 'waiting');
      assert.equal(summary.currentStep, 'late');
      assert.equal(timedOut.status, 'waiting');
      assert.equal(timedOut.current_step, 'late', 'the timeout branch');
      assert.equal(timedOut.step_deadline, null, 'the new step has no deadline');
      assert.equal(timedOut.revision, startedRevision + 2, 'claimed once and stored once by the timer');
      assert.equal(JSON.parse(timedOut.presentation!).data.form.title, 'Time is up');

      // The page on node A reads its session while the step has a deadline and shows where the journey went.
      const late = await waitForStep(page, 'form', 'Time is up');
      await late.getByText('Time is up.').waitFor();
      assert.deepEqual(
        answers.filter((a) => a.url.endsWith('/submit')),
        [],
        'the user answered nothing',
      );
      assert.ok(
        answers.every((a) => a.url.startsWith(nodeA.origin)),
        'every runtime answer came from node A',
      );
      assert.deepEqual(await auditedEnds(), [], 'the journey has not ended');

      // The user answers the step the timer entered: the journey ends by the late branch, audited once.
      await late.getByRole('button', { name: 'Continue' }).click();
      const rejected = await waitForStep(page, 'rejection');
      await rejected.locator('[data-code="ANSWERED_TOO_LATE"]').waitFor();
      const ended = await instanceRow();
      assert.equal(ended.row.status, 'rejected');
      assert.equal(ended.row.result_code, 'ANSWERED_TOO_LATE');
      const ends = await auditedEnds();
      assert.equal(ends.length, 1, 'one end');
      const details = JSON.parse(ends[0]!.details ?? '{}') as { code?: string; stepId?: string };
      assert.deepEqual(
        { action: ends[0]!.action, code: details.code, stepId: details.stepId },
        { action: 'journey.rejection', code: 'ANSWERED_TOO_LATE', stepId: 'tooLate' },
      );
      assert.deepEqual(problems(), []);
    });
  });
}
