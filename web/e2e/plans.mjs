// End-to-end checks of plans (docs/api.md "Plan"), run by run.mjs against its real daemon: a plan
// from the "New plan" dialog (shell tasks, a verify that fails once, the daemon's 422 inline), its
// page with the running task live, verify results, the list's folding, and a long plan paused,
// resumed and stopped.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export async function planChecks({ page, api, check, assert, until, sleep, shot, ORIGIN, TMP, consoleErrors, waitForNewSession, termText }) {
  // A plan from the "New plan" dialog: the shell tool, three command tasks; task 2 prints for
  // ~4 s and its verify fails the first time (it leaves .v behind) and passes the second.
  const PLAN_PROJECT = join(TMP, 'proj-plan');
  mkdirSync(PLAN_PROJECT, { recursive: true });
  spawnSync('git', ['init', '-q', PLAN_PROJECT]);
  const planTask = (n) => page.locator(`[data-testid=plan-task][data-task="${n}"]`);
  const planBadge = () => page.locator('.plan-page .detail-head .badge').getAttribute('data-status');
  let planId = null;
  await check('"New plan" dialog: shell tasks with a verify and attempts; the daemon\'s 422 shows inline; the plan starts', async () => {
    await page.goto(`${ORIGIN}/#/`);
    await page.getByRole('button', { name: /New plan/ }).click();
    const dlg = page.locator('dialog.dialog-plan');
    await dlg.waitFor();
    await dlg.locator('.tool-option', { hasText: 'shell' }).click();
    await dlg.locator('input[name=plan-name]').fill('e2e-plan');
    await dlg.locator('input[name=project]').fill(PLAN_PROJECT);
    await dlg.locator('input[name=task-0-command]').fill('echo one');
    await dlg.getByTestId('add-task').click();
    await dlg.locator('input[name=task-1-command]').fill('for i in 1 2 3 4 5 6 7 8; do echo two-$i; sleep 0.5; done');
    await dlg.locator('input[name=task-1-verify]').fill('test -f .v || { touch .v; echo not yet; exit 1; }');
    await dlg.locator('input[name=task-1-attempts]').fill('3');
    await dlg.getByTestId('add-task').click();
    await dlg.locator('input[name=task-2-command]').fill('echo three');
    assert((await dlg.getByTestId('task-row').count()) === 3, 'not three task rows');
    // A budget time the daemon cannot read: its answer, inline, and nothing created.
    await dlg.locator('input[name=budget-time]').fill('soon');
    const errorsBefore = consoleErrors.length;
    await dlg.getByTestId('plan-submit').click();
    const err = dlg.getByTestId('plan-error');
    await err.waitFor();
    // The browser logs the refused request itself; that one is expected.
    await sleep(100);
    consoleErrors.splice(errorsBefore, consoleErrors.length - errorsBefore, ...consoleErrors.slice(errorsBefore).filter((e) => !/status of 422/.test(e)));
    const errText = await err.innerText();
    assert(/soon|time|budget/i.test(errText), `error reads "${errText}"`);
    const code = await err.getAttribute('data-code');
    assert(code === 'invalid_plan', `error code ${code} (want invalid_plan, 422): ${errText}`);
    assert((await api('GET', '/api/sessions?kind=plan')).sessions.length === 0, 'a plan was created from an invalid request');
    await shot('plan-dialog-error.png');
    await dlg.locator('input[name=budget-time]').fill('2h');
    await dlg.locator('input[name=budget-tokens]').fill('1000000');
    await shot('plan-dialog.png');
    const navigated = waitForNewSession();
    await dlg.getByTestId('plan-submit').click();
    planId = await navigated;
    const s = await api('GET', `/api/sessions/${planId}`);
    assert(s.kind === 'plan', `kind ${s.kind}`);
    assert(s.plan && s.plan.name === 'e2e-plan' && s.plan.tasks.length === 3, `plan ${JSON.stringify(s.plan)}`);
    const t2 = s.plan.tasks[1];
    assert(t2.command?.includes('two-$i') && t2.verify?.startsWith('test -f .v') && t2.max_attempts === 3, `task 2 ${JSON.stringify(t2)}`);
    assert(s.plan.budget?.time_ms === 7200000 && s.plan.budget?.tokens === 1000000, `budget ${JSON.stringify(s.plan.budget)}`);
  });

  await check('the plan page shows task 2 running, its output live in the terminal', async () => {
    await page.locator('.plan-page').waitFor();
    await until('task 2 running', async () => (await planTask(2).getAttribute('data-status')) === 'running', 15000);
    assert((await planTask(1).getAttribute('data-status')) === 'completed', `task 1 ${await planTask(1).getAttribute('data-status')}`);
    assert((await planTask(3).getAttribute('data-status')) === 'pending', `task 3 ${await planTask(3).getAttribute('data-status')}`);
    const term = '[data-testid=plan-task][data-task="2"] [data-testid=terminal]';
    await until('two-2 in the terminal', async () => /two-2/.test(await termText(term)), 10000);
    const seen = await termText(term);
    await until('more lines, live', async () => (await termText(term)).length > seen.length && /two-[4-8]/.test(await termText(term)), 10000);
    assert((await planBadge()) === 'running', `plan ${await planBadge()}`);
    await shot('plan-running.png');
  });

  await check('verify results in the task list: attempt 1 failed (exit 1, output on expand), attempt 2 passed; the plan completes', async () => {
    await until('plan completed', async () => (await planBadge()) === 'completed', 40000, 200);
    for (const n of [1, 2, 3]) await until(`task ${n} completed`, async () => (await planTask(n).getAttribute('data-status')) === 'completed', 5000);
    const results = planTask(2).getByTestId('verify-result');
    await until('two verify results', async () => (await results.count()) === 2, 10000);
    assert((await results.nth(0).getAttribute('data-passed')) === 'false', 'attempt 1 verify not failed');
    assert(/exit 1/.test(await results.nth(0).innerText()), `attempt 1 reads "${await results.nth(0).innerText()}"`);
    assert((await results.nth(1).getAttribute('data-passed')) === 'true', 'attempt 2 verify not passed');
    assert((await planTask(2).locator('.attempt').count()) === 2, 'not two attempts');
    await results.nth(0).click();
    const out = await planTask(2).getByTestId('verify-output').innerText();
    assert(out.includes('not yet'), `verify output "${out}"`);
    const end = page.getByTestId('plan-end');
    assert(/Completed/.test(await end.innerText()) && (await end.getAttribute('data-end-reason')) === 'completed', `end notice "${await end.innerText()}"`);
    const kids = (await api('GET', `/api/sessions?parent_id=${planId}&limit=1000`)).sessions;
    const roles = kids.map((k) => `${k.position}:${k.metadata.plan_role}:${k.metadata.attempt ?? ''}`).sort();
    assert(kids.length === 6, `children ${roles}`);
    await shot('plan-completed.png');
  });

  await check('the list folds a plan\'s tasks under it (task N/M, attempt, verify)', async () => {
    await page.goto(`${ORIGIN}/#/`);
    const row = page.locator(`tr[data-session-id="${planId}"]`);
    await row.waitFor();
    const kids = page.locator(`tr[data-parent-id="${planId}"]`);
    assert((await kids.count()) === 0, 'an ended plan starts folded');
    await row.getByTestId('plan-toggle').click();
    await until('six children shown', async () => (await kids.count()) === 6);
    const labels = await kids.getByTestId('child-label').allInnerTexts();
    assert(labels[0] === 'Task 1/3 · attempt 1', `first label ${labels[0]}`);
    assert(labels.includes('Task 2/3 · attempt 2'), `labels ${labels}`);
    assert(labels.filter((l) => /^Task 2\/3 · verify/.test(l)).length === 2, `labels ${labels}`);
    const ids = (await api('GET', `/api/sessions?parent_id=${planId}&limit=1000`)).sessions.map((k) => k.id);
    for (const id of ids) assert((await page.locator(`tr[data-session-id="${id}"]:not([data-parent-id])`).count()) === 0, `${id} repeated at the top level`);
    await shot('list-plan.png');
    await row.getByTestId('plan-toggle').click();
    await until('folded again', async () => (await kids.count()) === 0);
  });

  await check('a long-running plan: live in the list, paused and resumed, stopped from its page → cancelled', async () => {
    const p2 = await api('POST', '/api/plans', {
      name: 'e2e-long',
      tool: 'shell',
      project_path: PLAN_PROJECT,
      tasks: [{ command: 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo long-$i; sleep 0.2; done' }, { command: 'echo never' }],
    });
    assert(p2.kind === 'plan', `kind ${p2.kind}`);
    await page.goto(`${ORIGIN}/#/`);
    await page.reload(); // the list learns of sessions made elsewhere when it loads
    const kids = page.locator(`tr[data-parent-id="${p2.id}"]`);
    await until('its running task under it', async () => (await kids.count()) >= 1, 10000);
    assert((await kids.first().locator('.badge').getAttribute('data-status')) === 'running', 'task row not running');
    await shot('list-plan-running.png');
    await page.goto(`${ORIGIN}/#/sessions/${p2.id}`);
    const term = '[data-testid=plan-live] [data-testid=terminal]';
    await until('long-3 live', async () => /long-3/.test(await termText(term)), 10000);
    await page.locator('.plan-page button[data-action=pause]').click();
    await until('paused', async () => (await planBadge()) === 'paused', 10000);
    await until('task paused', async () => (await planTask(1).getAttribute('data-status')) === 'paused', 10000);
    await sleep(300);
    const a = await termText(term);
    await sleep(1000);
    assert((await termText(term)) === a, 'output went on while paused');
    await page.locator('.plan-page button[data-action=resume]').click();
    await until('running again', async () => (await planBadge()) === 'running', 10000);
    await until('output again', async () => (await termText(term)) !== a, 10000);
    await page.locator('.plan-page button[data-action=stop]').click();
    await until('cancelled', async () => (await planBadge()) === 'cancelled', 20000);
    await until('task 1 cancelled', async () => (await planTask(1).getAttribute('data-status')) === 'cancelled', 10000);
    // Task 2 never ran: pending, or cancelled with the plan (the daemon makes its session up front).
    assert(['pending', 'cancelled'].includes(await planTask(2).getAttribute('data-status')), `task 2 ${await planTask(2).getAttribute('data-status')}`);
    const s = await api('GET', `/api/sessions/${p2.id}`);
    assert(s.status === 'cancelled' && s.plan.end_reason === 'stopped', `api: ${s.status}, end_reason ${s.plan.end_reason}`);
    const end = page.getByTestId('plan-end');
    assert(/Cancelled/.test(await end.innerText()), `end notice "${await end.innerText()}"`);
    await shot('plan-cancelled.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ORIGIN}/#/sessions/${planId}`);
    await planTask(3).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `plan page is ${overflow}px wider than the screen`);
    await shot('plan-phone.png');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

}
