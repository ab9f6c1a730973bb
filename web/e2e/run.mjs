#!/usr/bin/env node
// End-to-end test of the web UI against a REAL daemon, in Debian's Chromium driven by
// playwright-core. Usage: npm run e2e   (env: AGENTMUX_BIN, default ../build/agentmux;
// E2E_KEEP=1 keeps the temp dirs; E2E_HEADFUL=1 shows the browser when a display exists;
// E2E_ONLY=<regexp> runs only the checks whose names match).
//
// It starts `agentmux daemon --home <tmp> --listen 127.0.0.1:0` serving web/dist, opens the
// tokened URL and works the UI as a person would: create a shell session from the dialog, watch
// its output, pause/resume/stop, reload mid-run, type into a guided session, replay a finished
// one, see live status in the list, the spec view, plans (e2e/plans.mjs), what a session changed
// (e2e/changes.mjs), agent transcripts (e2e/agents.mjs: Claude Code against
// tests/fixtures/fake_anthropic.py, Codex, OpenCode, Gemini and Copilot against fake_openai.py and
// fake_gemini.py, when tools/agents has them), the daily-driver checks (e2e/daily.mjs: full-screen
// programs fitted, the phone key bar, big logs opened at their end, list keys, attention), delete.
// Screenshots go to web/test-results/. It asserts the page talked to no host but the daemon. It
// ends everything it started by pid.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentChecks, setupAgents } from './agents.mjs';
import { appChecks } from './app.mjs';
import { changesChecks } from './changes.mjs';
import { dailyChecks } from './daily.mjs';
import { assert, daemonEnv, KEEP, launchBrowser, makeChecks, OUT, preflight, sleep, startDaemon, until } from './harness.mjs';
import { planChecks } from './plans.mjs';

const T0 = Date.now();
const { state, check, fail, skip } = makeChecks();

// ------------------------------------------------------------------ set-up
preflight();
const TMP = mkdtempSync('/tmp/amx-e2e-'); // short: unix socket paths are limited to 107 bytes
const HOME = join(TMP, 'h');
const USERHOME = join(TMP, 'u');
const PROJECT = join(TMP, 'proj');
const PROFILE = join(TMP, 'chromium');
for (const d of [HOME, USERHOME, join(TMP, 'tmp'), join(PROJECT, 'specs', '001-hello-file'), PROFILE]) mkdirSync(d, { recursive: true });
writeFileSync(join(PROJECT, 'specs', '001-hello-file', 'README.md'), '---\nstatus: planned\n---\n# Hello file\n\nCreate `hello.txt` with a greeting.\n');
writeFileSync(join(PROJECT, 'specs', '028-cli-ui.md'), '---\nstatus: in-progress\n---\n# CLI UI modernization\n\nMake the CLI output readable.\n');
spawnSync('git', ['init', '-q', PROJECT]);

const children = []; // { name, proc }
let daemon = null;
let context = null;

async function cleanup() {
  try {
    await context?.close();
  } catch {
    /* already gone */
  }
  await daemon?.stop();
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGTERM');
  daemon?.saveLog();
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
  else console.log(`kept ${TMP}`);
}
const guard = setTimeout(async () => {
  console.log('FAIL e2e took longer than 360 s: giving up');
  await cleanup();
  process.exit(1);
}, 360000);
process.on('SIGINT', async () => {
  await cleanup();
  process.exit(130);
});

const { haveClaude, fakePort, agents, env: agentsEnv } = await setupAgents({ TMP, USERHOME, children });
daemon = await startDaemon(HOME, daemonEnv(HOME, USERHOME, agentsEnv));
const { api, info, token: TOKEN, origin: ORIGIN } = daemon;
console.log(
  `daemon pid ${daemon.proc.pid} on ${ORIGIN}, home ${HOME}${haveClaude ? `, fake Anthropic on ${fakePort}` : ', no Claude Code CLI (transcript check skipped)'}` +
    (agents.length ? `, agents ${agents.join(' ')}` : ', no other agent CLIs (their transcript checks skipped)'),
);

// ------------------------------------------------------------------ browser
context = await launchBrowser(PROFILE);
const page = context.pages()[0] ?? (await context.newPage());
const requests = [];
page.on('request', (r) => requests.push(r.url()));
page.on('websocket', (ws) => requests.push(ws.url()));
const consoleErrors = [];
page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
page.on('pageerror', (e) => consoleErrors.push(`${e.stack || e} (at ${page.url()})`));

const shot = async (name) => {
  await sleep(150);
  await page.screenshot({ path: join(OUT, name), fullPage: false });
};
const termText = (sel = '[data-testid=terminal]') => page.locator(`${sel} .xterm-rows`).innerText();
// Where the terminal's log stands (the end offset of the last chunk it holds).
const termBytes = async () => Number(await page.getByTestId('log-window').first().getAttribute('data-end'));
const badge = () => page.locator('.detail-head .badge').getAttribute('data-status');
const sessionIdFromUrl = () => decodeURIComponent(new URL(page.url()).hash.replace(/^#\/sessions\//, '').split('?')[0]);
const waitForNewSession = async () => {
  const before = page.url();
  await page.waitForURL((u) => /#\/sessions\//.test(u.href) && u.href !== before);
  return sessionIdFromUrl();
};
const wheelToTop = async (want) => {
  const box = await page.getByTestId('terminal').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let i = 0; i < 400; i++) {
    if (want.test(await termText())) return true;
    await page.mouse.wheel(0, -2000);
    await sleep(20);
  }
  return false;
};
const ctx = { page, context, api, check, skip, assert, until, sleep, shot, ORIGIN, TOKEN, TMP, PROJECT, USERHOME, OUT, consoleErrors, requests, waitForNewSession, termText, termBytes, badge, sessionIdFromUrl, haveClaude, agents };

let counterId = null;
try {
  await check('opens the tokened URL, keeps the token for the tab and removes it from the address bar', async () => {
    await page.goto(`${ORIGIN}/?token=${TOKEN}`);
    await page.locator('h1', { hasText: 'Sessions' }).waitFor();
    assert(!page.url().includes('token'), `token still in the URL: ${page.url()}`);
    const stored = await page.evaluate(() => sessionStorage.getItem('agentmux.token'));
    assert(stored === TOKEN, 'token not in sessionStorage');
  });

  await check('an empty list tells a new user how to start a session', async () => {
    await page.getByRole('heading', { name: 'No sessions yet' }).waitFor();
    const t = await page.locator('.empty-first').innerText();
    assert(t.includes('agentmux run'), 'no CLI hint');
    await shot('list-empty.png');
  });

  await check('the create dialog lists tools with availability and creates and starts a shell session', async () => {
    await page.getByRole('button', { name: /New session/ }).first().click();
    const dlg = page.locator('dialog.dialog');
    await dlg.waitFor();
    await dlg.locator('.tool-option', { hasText: 'shell' }).waitFor();
    if (!haveClaude) {
      await dlg.locator('.tool-option', { hasText: 'claude' }).click();
      await dlg.locator('.install-hint').waitFor();
      assert((await dlg.locator('.install-hint').innerText()).includes('install'), 'no install hint for claude');
    }
    await dlg.locator('.tool-option', { hasText: 'shell' }).click();
    await dlg.locator('input[name=project]').fill(PROJECT);
    await dlg.locator('.spec-option', { hasText: '001-hello-file' }).waitFor();
    await dlg.locator('.spec-option', { hasText: '028-cli-ui' }).locator('input').check();
    await dlg.locator('.spec-option', { hasText: '001-hello-file' }).locator('input').check();
    const order = await dlg.locator('.spec-order .chip').allInnerTexts();
    assert(order.join(',') === '028-cli-ui,001-hello-file', `spec order ${order}`);
    await dlg.locator('input[name=command]').fill(`sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'`);
    await dlg.locator('textarea[name=prompt]').fill('count forever');
    await dlg.locator('input[name=name]').fill('e2e-counter');
    await shot('create-dialog.png');
    const navigated = waitForNewSession();
    await dlg.getByTestId('create-submit').click();
    counterId = await navigated;
    const s = await api('GET', `/api/sessions/${counterId}`);
    assert(s.status === 'running', `status ${s.status}`);
    assert(JSON.stringify(s.spec_ids) === '["028-cli-ui","001-hello-file"]', `spec_ids ${JSON.stringify(s.spec_ids)}`);
    assert(s.command[0] === 'sh' && s.command.length === 3, `command ${JSON.stringify(s.command)}`);
    assert(s.name === 'e2e-counter', `name ${s.name}`);
    assert((await page.locator('.detail-head h1').innerText()) === 'e2e-counter', 'the header does not show the name');
  });

  await check('its output appears in the terminal, live', async () => {
    await until('tick 3 in the terminal', async () => (await termText()).includes('tick 3'));
    const n1 = await termBytes();
    await until('more output', async () => (await termBytes()) > n1 + 20);
    assert((await badge()) === 'running', 'badge not running');
  });

  await check('pause stops the output; resume continues it', async () => {
    await page.getByRole('button', { name: /Pause/ }).click();
    await until('paused badge', async () => (await badge()) === 'paused');
    await sleep(300); // anything already in flight
    const a = await termBytes();
    const seqA = (await api('GET', `/api/sessions/${counterId}`)).log_seq;
    await sleep(1200);
    const b = await termBytes();
    const seqB = (await api('GET', `/api/sessions/${counterId}`)).log_seq;
    assert(a === b, `terminal grew while paused: ${a} → ${b}`);
    assert(seqA === seqB, `log grew while paused: ${seqA} → ${seqB}`);
    await page.getByRole('button', { name: /Resume/ }).click();
    await until('running badge', async () => (await badge()) === 'running');
    await until('output again', async () => (await termBytes()) > b);
  });

  await check('scrolling up locks the view; "jump to latest" follows again', async () => {
    await until('enough output to scroll', async () => (await termText()).includes('tick 60'), 20000);
    const box = await page.getByTestId('terminal').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -5000);
    await page.getByTestId('jump-live').waitFor({ timeout: 5000 });
    const first = (await termText()).split('\n')[0];
    await sleep(700);
    const firstLater = (await termText()).split('\n')[0];
    assert(first === firstLater, `view moved while locked: "${first}" → "${firstLater}"`);
    await page.getByTestId('jump-live').click();
    await page.getByTestId('jump-live').waitFor({ state: 'detached', timeout: 5000 });
  });

  await shot('detail-running.png');

  await check('a reload mid-run shows the whole output again, then live', async () => {
    const before = await termBytes();
    await page.reload();
    await page.locator('.detail-head').waitFor();
    assert(!page.url().includes('token'), 'token back in the URL');
    await until('terminal caught up', async () => (await termBytes()) >= before, 15000);
    const s = await api('GET', `/api/sessions/${counterId}`);
    await until('terminal reached the logged bytes', async () => (await termBytes()) >= s.log_bytes, 15000);
    assert(await wheelToTop(/^tick 1$/m), 'could not scroll to the top of the log');
    const lines = await termText();
    assert(/^tick 1$/m.test(lines) && /^tick 2$/m.test(lines), `top of the log: ${lines.slice(0, 80)}`);
    assert(lines.split('\n').filter((l) => l === 'tick 1').length === 1, 'tick 1 twice');
    await page.getByTestId('jump-live').click();
    const n = await termBytes();
    await until('live after reload', async () => (await termBytes()) > n);
  });

  await check('stop ends the session (cancelled, SIGTERM)', async () => {
    await page.getByRole('button', { name: /Stop/ }).click();
    await until('cancelled badge', async () => (await badge()) === 'cancelled', 15000);
    const exit = await page.getByTestId('stat-exit').innerText();
    assert(/SIGTERM|SIGKILL/.test(exit), `exit shows ${exit}`);
    const s = await api('GET', `/api/sessions/${counterId}`);
    assert(s.status === 'cancelled', `api says ${s.status}`);
  });

  let guidedId = null;
  await check('typing goes to the agent in a guided PTY session', async () => {
    await page.getByRole('button', { name: /New session/ }).first().click();
    const dlg = page.locator('dialog.dialog');
    await dlg.locator('.tool-option', { hasText: 'shell' }).click();
    await dlg.locator('input[name=project]').fill(PROJECT);
    await dlg.getByLabel(/Guided/).check();
    await dlg.locator('input[name=command]').fill('sh');
    const navigated = waitForNewSession();
    await dlg.getByTestId('create-submit').click();
    guidedId = await navigated;
    await until('running', async () => (await badge()) === 'running');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo typed-$((6*7))');
    await page.keyboard.press('Enter');
    await until('typed output', async () => (await termText()).includes('typed-42'));
    await page.keyboard.type('exit');
    await page.keyboard.press('Enter');
    await until('completed', async () => (await badge()) === 'completed', 10000);
  });

  let stepsId = null;
  await check('a finished session replays with its timing: play, pause, seek, 8×', async () => {
    const s = await api('POST', '/api/sessions', {
      project_path: PROJECT,
      spec_ids: ['001'],
      command: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do printf "\\033[32mstep %s\\033[0m of 10\\n" $i; sleep 0.2; done'],
      start: true,
    });
    stepsId = s.id;
    await until('steps completed', async () => (await api('GET', `/api/sessions/${stepsId}`)).status === 'completed', 15000);
    await page.goto(`${ORIGIN}/#/sessions/${stepsId}`);
    await page.getByRole('tab', { name: 'Replay' }).click();
    const play = page.getByTestId('replay-play');
    await until('replay loaded', async () => !(await play.isDisabled()));
    const clock = page.getByTestId('replay-clock');
    const total = (await clock.innerText()).split('/')[1].trim();
    assert(/^0:0[12]\.\d$/.test(total), `duration ${total}`);
    await play.click();
    await until('step 1 replayed', async () => (await termText('[data-testid=replay-terminal]')).includes('step 1 of 10'), 3000);
    assert(!(await termText('[data-testid=replay-terminal]')).includes('step 10 of 10'), 'all at once: no timing');
    await sleep(500);
    await play.click(); // pause
    const at = await clock.innerText();
    await sleep(600);
    assert((await clock.innerText()) === at, 'clock moved while paused');
    const shown = await termText('[data-testid=replay-terminal]');
    assert(shown.includes('step 2 of 10') && !shown.includes('step 9 of 10'), `paused at ${at} shows: ${shown.slice(0, 200)}`);
    // Seek to the end, back to the start, then play at 8×.
    const seek = page.getByTestId('replay-seek');
    await seek.fill(String(await seek.getAttribute('max')));
    await until('end after seek', async () => (await termText('[data-testid=replay-terminal]')).includes('step 10 of 10'), 3000);
    await seek.fill('0');
    await until('start after seek back', async () => !(await termText('[data-testid=replay-terminal]')).includes('step 5 of 10'), 3000);
    await page.getByRole('radio', { name: '8×' }).click();
    const t0 = Date.now();
    await play.click();
    await until('end at 8×', async () => (await termText('[data-testid=replay-terminal]')).includes('step 10 of 10'), 3000);
    assert(Date.now() - t0 < 1500, `8× took ${Date.now() - t0} ms for ~1.8 s of session`);
    await shot('detail-replay.png');
  });

  await check('events timeline shows the lifecycle', async () => {
    await page.getByRole('tab', { name: 'Events' }).click();
    await until('events', async () => (await page.locator('.timeline .ev').count()) >= 3);
    const types = (await page.locator('.timeline .ev-type').allInnerTexts()).map((t) => t.toLowerCase()); // shown capitalized
    assert(types.includes('created') && types.includes('started') && types.includes('completed'), `events ${types}`);
  });

  await check('retry starts a new session with the same fields', async () => {
    const navigated = waitForNewSession();
    await page.locator('button[data-action=retry]').click();
    const retryId = await navigated;
    assert(retryId !== stepsId, 'same session');
    const r = await api('GET', `/api/sessions/${retryId}`);
    assert(r.parent_id === stepsId, `parent_id ${r.parent_id}`);
    assert(JSON.stringify(r.command) === JSON.stringify((await api('GET', `/api/sessions/${stepsId}`)).command), 'different command');
    await until('retry completed', async () => (await badge()) === 'completed', 10000);
    await until('its output', async () => (await termText()).includes('step 10 of 10'));
    const parent = page.getByTestId('parent-link');
    await parent.waitFor();
    assert((await parent.getAttribute('href')).endsWith(stepsId) && (await parent.innerText()) === stepsId.split('-').pop().slice(0, 8), `parent link ${await parent.innerText()}`);
  });

  await check('the list updates statuses live, without reloading', async () => {
    const s = await api('POST', '/api/sessions', { project_path: PROJECT, command: ['sh', '-c', 'sleep 1.5; echo done'], start: true });
    await page.goto(`${ORIGIN}/#/`);
    const row = page.locator(`tr[data-session-id="${s.id}"]`);
    await row.waitFor();
    assert((await row.locator('.badge').getAttribute('data-status')) === 'running', 'not running at first');
    const sessionsRequests = () => requests.filter((u) => /\/api\/sessions(\?|$)/.test(u)).length;
    const before = sessionsRequests();
    await until('row turned completed', async () => (await row.locator('.badge').getAttribute('data-status')) === 'completed', 10000);
    assert(sessionsRequests() === before, 'the list was refetched to learn the status');
  });

  await check('list filters by status, tool and spec', async () => {
    await page.locator('.filters select').first().selectOption('cancelled');
    await until('filtered', async () => (await page.locator('tbody tr').count()) === 1);
    assert((await page.locator('tbody tr').getAttribute('data-session-id')) === counterId, 'wrong row');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByPlaceholder('e.g. 028').fill('001');
    await page.getByPlaceholder('e.g. 028').press('Enter');
    await until('spec filter', async () => (await page.locator('tbody tr').count()) >= 1);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await until('all rows', async () => (await page.locator('tbody tr').count()) >= 4);
  });

  await shot('list-shell.png');

  await check('spec view lists specs with their sessions and prefills "New session"', async () => {
    await page.goto(`${ORIGIN}/#/specs?project=${encodeURIComponent(PROJECT)}`);
    const card = page.locator('.spec-card[data-spec-id="001-hello-file"]');
    await card.waitFor();
    await until('sessions on the card', async () => (await card.locator('.spec-sessions li').count()) >= 2);
    const text = await card.innerText();
    assert(/Session #1/.test(text) && /Session #2/.test(text), `card: ${text}`);
    await shot('specs.png');
    await card.getByRole('button', { name: /New session/ }).click();
    const dlg = page.locator('dialog.dialog');
    await dlg.waitFor();
    await until('prefilled spec', async () => (await dlg.locator('.spec-order .chip').allInnerTexts()).join(',') === '001-hello-file');
    assert((await dlg.locator('input[name=project]').inputValue()) === PROJECT, 'project not prefilled');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
  });

  await planChecks(ctx);

  await agentChecks(ctx);

  // What a session changed: diff, checkpoints and restore, worktrees with merge and discard (e2e/changes.mjs).
  await changesChecks(ctx);

  // Issue 16: full-screen programs fitted, the phone key bar, long logs, list keys, attention.
  await dailyChecks(ctx);

  await check('the list shows every session with status, tool, specs, tokens and cost', async () => {
    const s = await api('POST', '/api/sessions', { project_path: PROJECT, spec_ids: ['028'], prompt: 'watch the logs', command: ['sleep', '30'], start: true });
    await page.goto(`${ORIGIN}/#/`);
    const row = page.locator(`tr[data-session-id="${s.id}"]`);
    await row.waitFor();
    assert((await row.locator('.badge').getAttribute('data-status')) === 'running', 'not running');
    if (haveClaude) {
      const claudeRow = page.locator('tbody tr', { hasText: 'Please create hello.txt' });
      const t = await claudeRow.innerText();
      assert(/\$0\.\d\d/.test(t) && /\d+(\.\d)?k/.test(t), `claude row lacks cost/tokens: ${t}`);
    }
    await shot('list.png');
    await api('POST', `/api/sessions/${s.id}/stop`, { grace_ms: 1000 });
    await until('stopped row', async () => (await row.locator('.badge').getAttribute('data-status')) === 'cancelled', 10000);
  });

  await check('delete removes a finished session', async () => {
    await page.goto(`${ORIGIN}/#/sessions/${guidedId}`);
    await page.locator('button[data-action=delete]').click();
    await page.getByRole('group', { name: 'Confirm delete' }).getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL((u) => !u.hash.includes(guidedId));
    const r = await fetch(`${ORIGIN}/api/sessions/${guidedId}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert(r.status === 404, `still there: ${r.status}`);
  });

  await appChecks({ ...ctx, counterId, stepsId });

  await check('the page made no request to any host but the daemon', async () => {
    const foreign = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
      return url.host !== `127.0.0.1:${info.port}`;
    });
    assert(requests.length > 10, 'no requests recorded');
    assert(foreign.length === 0, `foreign requests: ${foreign.join(', ')}`);
    assert(!requests.some((u) => u.includes(TOKEN) && !u.includes('?token=')), 'token in a request URL after the first load');
  });

  await check('no errors in the browser console', async () => {
    const real = consoleErrors.filter((e) => !/favicon/.test(e));
    assert(real.length === 0, real.join('\n'));
  });
} catch (e) {
  fail('e2e run', e);
} finally {
  clearTimeout(guard);
  await cleanup();
}

console.log(`\nscreenshots in ${OUT} · ${((Date.now() - T0) / 1000).toFixed(1)} s`);
if (state.failures.length) console.log(`failed: ${state.failures.join('; ')}`);
console.log(`${state.passed} passed, ${state.failed} failed${state.skipped ? `, ${state.skipped} skipped` : ''}`);
process.exit(state.failed ? 1 : 0);
