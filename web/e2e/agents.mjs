// Agent CLIs in the end-to-end test (when tools/agents has them): the scripted model servers
// (tests/fixtures/fake_anthropic.py, fake_openai.py, fake_gemini.py) and each CLI's settings,
// pointed at them the way tests/integration/test_agents.py does it; then the checks: a Claude Code
// session's transcript, its follow-up in the same conversation, the create dialog's tool list,
// and one session of Codex, OpenCode, Gemini and Copilot each.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './harness.mjs';

const CLAUDE_BIN_DIR = join(REPO, 'tools', 'agents', 'node_modules', '.bin');
const FAKE_ANTHROPIC = join(REPO, 'tests', 'fixtures', 'fake_anthropic.py');
const FAKE_OPENAI = join(REPO, 'tests', 'fixtures', 'fake_openai.py');
const FAKE_GEMINI = join(REPO, 'tests', 'fixtures', 'fake_gemini.py');
// The tool each one uses to write hello.txt:
const AGENT_WRITE_TOOL = { codex: 'patch', opencode: 'write', gemini: 'write_file', copilot: 'create' };

/** Starts what is installed; `children` collects the fake servers (run.mjs ends them). Returns the daemon's extra env. */
export async function setupAgents({ TMP, USERHOME, children }) {
  /** Starts a scripted model server (tests/fixtures/fake_*.py); resolves to its port, or null. */
  async function startFake(name, script) {
    const fake = spawn('python3', [script, '--port', '0', '--key', 'test'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push({ name, proc: fake });
    return new Promise((res) => {
      let buf = '';
      const t = setTimeout(() => res(null), 10000);
      fake.stdout.on('data', (d) => {
        buf += d;
        const m = /^PORT (\d+)$/m.exec(buf);
        if (m) {
          clearTimeout(t);
          res(Number(m[1]));
        }
      });
    });
  }

  let fakePort = null;
  const haveClaude = existsSync(join(CLAUDE_BIN_DIR, 'claude')) && existsSync(FAKE_ANTHROPIC);
  if (haveClaude) fakePort = await startFake('fake_anthropic', FAKE_ANTHROPIC);

  let agents = Object.keys(AGENT_WRITE_TOOL).filter((n) => existsSync(join(CLAUDE_BIN_DIR, n)));
  const agentEnv = {};
  if (agents.length && existsSync(FAKE_OPENAI) && existsSync(FAKE_GEMINI)) {
    const oai = await startFake('fake_openai', FAKE_OPENAI);
    const gem = await startFake('fake_gemini', FAKE_GEMINI);
    if (!oai || !gem) agents = [];
    const oaiUrl = `http://127.0.0.1:${oai}`;
    const codexHome = join(TMP, 'codex-home');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(
      join(codexHome, 'config.toml'),
      ['model = "gpt-5.5"', 'model_provider = "fake"', 'check_for_update_on_startup = false', '[analytics]', 'enabled = false', '[features]', 'plugins = false',
        '[model_providers.fake]', 'name = "Fake local"', `base_url = "${oaiUrl}/v1"`, 'env_key = "FAKE_OPENAI_KEY"', 'wire_api = "responses"',
        'request_max_retries = 0', 'stream_max_retries = 0', ''].join('\n'),
    );
    mkdirSync(join(USERHOME, '.gemini'), { recursive: true });
    writeFileSync(
      join(USERHOME, '.gemini', 'settings.json'),
      JSON.stringify({
        security: { auth: { selectedType: 'gemini-api-key' } },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      }),
    );
    Object.assign(agentEnv, {
      FAKE_OPENAI_KEY: 'test',
      CODEX_HOME: codexHome,
      OPENCODE_CONFIG_CONTENT: JSON.stringify({
        $schema: 'https://opencode.ai/config.json',
        autoupdate: false,
        share: 'disabled',
        model: 'fake/fake-model',
        provider: {
          fake: {
            npm: '@ai-sdk/openai-compatible',
            name: 'Fake local',
            options: { baseURL: `${oaiUrl}/v1`, apiKey: '{env:FAKE_OPENAI_KEY}' },
            models: { 'fake-model': { name: 'Fake Model', tool_call: true } },
          },
        },
      }),
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      GOOGLE_GEMINI_BASE_URL: `http://127.0.0.1:${gem}`,
      GEMINI_API_KEY: 'test',
      COPILOT_OFFLINE: 'true',
      COPILOT_MODEL: 'fake-model',
      COPILOT_PROVIDER_BASE_URL: `${oaiUrl}/v1`,
      COPILOT_PROVIDER_API_KEY: 'test',
      COPILOT_AUTO_UPDATE: 'false',
    });
  } else agents = [];
  const env = {
    PATH: `${haveClaude || agents.length ? CLAUDE_BIN_DIR + ':' : ''}${process.env.PATH || '/usr/bin:/bin'}`,
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_TMPDIR: join(TMP, 'tmp'),
    ...(fakePort ? { ANTHROPIC_BASE_URL: `http://127.0.0.1:${fakePort}`, ANTHROPIC_API_KEY: 'test' } : {}),
    ...agentEnv,
  };
  return { haveClaude, fakePort, agents, env };
}

export async function agentChecks({ page, context, api, check, assert, until, shot, ORIGIN, TOKEN, TMP, PROJECT, USERHOME, OUT, requests, waitForNewSession, badge, sessionIdFromUrl, haveClaude, agents }) {
  // The transcript tab shows the daemon's items (GET …/transcript), one row each, in order: the
  // browser reads no agent output format itself.
  const sameItemsAsTheDaemon = async (id) => {
    const { items } = await api('GET', `/api/sessions/${id}/transcript`);
    // This session's items (the user's prompt before them, and earlier sessions above, are not items).
    const rows = page.locator('.transcript .tx-current > li:not(.tx-prompt)');
    await until('every item shown', async () => (await rows.count()) === items.length, 10000);
    const kinds = await rows.evaluateAll((els) => els.map((e) => /tx-(\w+)/.exec(e.className)[1]));
    assert(JSON.stringify(kinds) === JSON.stringify(items.map((i) => i.kind)), `rows ${kinds} vs items ${items.map((i) => i.kind)}`);
    const use = items.find((i) => i.kind === 'tool_use');
    if (use) assert((await page.locator('.transcript .tx-summary').first().innerText()) === use.summary, 'not the daemon\'s summary');
  };

  if (haveClaude) {
    await check('a Claude Code session shows a readable transcript with usage and cost; its follow-up box continues it, read as one transcript with labelled costs', async () => {
      await page.goto(`${ORIGIN}/#/`);
      await page.getByRole('button', { name: /New session/ }).first().click();
      const dlg = page.locator('dialog.dialog');
      const claude = dlg.locator('.tool-option', { hasText: 'claude' });
      await claude.waitFor();
      assert(/v\d/.test(await claude.innerText()), `no version: ${await claude.innerText()}`);
      await claude.click();
      await dlg.getByLabel(/Autonomous/).check();
      await dlg.locator('input[name=project]').fill(PROJECT);
      await dlg.locator('.spec-option', { hasText: '001-hello-file' }).locator('input').check();
      await dlg.locator('textarea[name=prompt]').fill('Please create hello.txt');
      const navigated = waitForNewSession();
      await dlg.getByTestId('create-submit').click();
      await navigated;
      await until('claude finished', async () => ['completed', 'failed'].includes(await badge()), 90000, 250);
      assert((await badge()) === 'completed', `claude session ${await badge()}: ${await page.locator('.alert').allInnerTexts()}`);
      const tx = page.locator('.transcript');
      await until('transcript', async () => (await tx.innerText()).includes("I'll create hello.txt."), 10000);
      await shot('detail-claude.png');
      const t = await tx.innerText();
      assert(/Tool call\s+Write/i.test(t), 'no Write tool call');
      assert(/Tool result/i.test(t), 'no tool result');
      assert(/Finished/i.test(t) && /Cost\s+\$0\.\d+/i.test(t), 'no result with cost');
      await sameItemsAsTheDaemon(sessionIdFromUrl());
      const conv = await page.locator('.stats').innerText();
      assert(/[0-9a-f]{8}-[0-9a-f]{4}/.test(conv), 'no conversation id');
      // The user's prompt reads as their message before the agent's items.
      assert((await page.locator('.transcript .tx-current > li.tx-prompt').innerText()).includes('Please create hello.txt'), 'no prompt as a user message');
      // Follow up from the box under the ended session's transcript: a new session resumes the
      // conversation (the fake model counts the messages).
      const firstId = sessionIdFromUrl();
      const box = page.getByTestId('follow-up');
      await box.locator('textarea').fill('And what now?');
      const navigated2 = waitForNewSession();
      await box.getByRole('button', { name: 'Continue' }).click();
      const contId = await navigated2;
      await until('continued session finished', async () => ['completed', 'failed'].includes(await badge()), 90000, 250);
      assert((await badge()) === 'completed', `continued session ${await badge()}`);
      const c = await api('GET', `/api/sessions/${contId}`);
      assert(c.parent_id === firstId, `parent ${c.parent_id}`);
      await until('continued transcript', async () => /I see \d+ messages/.test(await page.locator('.transcript').innerText()), 10000);
      // One transcript: the first session's prompt and items, then this one's prompt and items.
      await until('the earlier session stitched in', async () => (await page.locator('.tx-earlier').count()) === 1, 10000);
      const earlier = await page.locator('.tx-earlier').innerText();
      assert(earlier.includes('Please create hello.txt') && earlier.includes("I'll create hello.txt."), `earlier part: ${earlier.slice(0, 300)}`);
      assert((await page.locator('.tx-current > li.tx-prompt').innerText()).includes('And what now?'), 'the follow-up is not shown as the user\'s message');
      await sameItemsAsTheDaemon(contId);
      // Both costs, each labelled.
      const cost = await page.getByTestId('stat-cost').innerText();
      const convCost = await page.getByTestId('stat-conversation-cost').innerText();
      assert(/^Session cost\s+\$0\.\d+/i.test(cost) && /^Conversation cost\s+\$0\.\d+/i.test(convCost), `costs read "${cost}" / "${convCost}"`);
      await shot('detail-claude-continued.png');
      await page.goto(`${ORIGIN}/#/`);
      const row = page.locator(`tr[data-session-id="${contId}"] .col-cost`);
      await row.waitFor();
      assert(/session \$0\.\d+\s*conversation \$0\.\d+/.test(await row.innerText()), `list cost reads "${await row.innerText()}"`);
    });

    await check('a genuine Claude Code TUI (guided) idle at its prompt: "needs input" in the list within 2 s of the daemon seeing it, and a browser notification', async () => {
      // Claude's TUI starts without onboarding, trust and key dialogs in a HOME seeded like this.
      const project = realpathSync(PROJECT);
      writeFileSync(join(USERHOME, '.claude.json'), JSON.stringify({
        hasCompletedOnboarding: true, customApiKeyResponses: { approved: ['test'], rejected: [] },
        projects: { [project]: { hasTrustDialogAccepted: true } },
      }));
      await context.grantPermissions(['notifications'], { origin: ORIGIN });
      await page.goto(`${ORIGIN}/#/`);
      await page.locator('h1', { hasText: 'Sessions' }).waitFor();
      await page.evaluate(() => {
        const Real = window.Notification;
        window.__claudeNotes = [];
        window.Notification = class extends Real {
          constructor(title, opts) {
            window.__claudeNotes.push({ title, body: opts?.body ?? '' });
            super(title, opts);
          }
        };
      });
      const toggle = page.getByTestId('notify-toggle');
      if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
      await until('Notify me on', async () => (await toggle.getAttribute('aria-pressed')) === 'true', 5000);
      const s = await api('POST', '/api/sessions', { tool: 'claude', mode: 'guided', prompt: 'say hello', project_path: project, start: true });
      try {
        await until('the daemon sees Claude idle at its prompt', async () => (await api('GET', `/api/sessions/${s.id}`)).attention?.reason === 'input', 90000, 50);
        const seen = Date.now();
        const attn = page.locator(`tr[data-session-id="${s.id}"] [data-testid=attention]`);
        await until('"needs input" on its row', async () => (await attn.count()) === 1 && (await attn.getAttribute('data-reason')) === 'input', 5000, 50);
        const took = Date.now() - seen;
        console.log(`       (the list showed "needs input" ${took} ms after the daemon set it)`);
        assert(took < 2000, `the list took ${took} ms`);
        assert(/needs input/i.test(await attn.innerText()), `badge reads ${await attn.innerText()}`);
        const notes = await until('a notification', async () => {
          const n = await page.evaluate(() => window.__claudeNotes);
          return n.some((x) => x.title === s.name) ? n : null;
        }, 5000);
        assert(notes.filter((x) => x.title === s.name).length === 1, `notifications ${JSON.stringify(notes)}`);
        await shot('list-attention-claude.png');
      } finally {
        await api('POST', `/api/sessions/${s.id}/stop`, { grace_ms: 1000 }).catch(() => {});
      }
    });
  }

  await check('the create dialog lists every tool from GET /api/tools with its version, and how to install a missing one', async () => {
    const { tools } = await api('GET', '/api/tools');
    await page.goto(`${ORIGIN}/#/`);
    await page.getByRole('button', { name: /New session/ }).first().click();
    const dlg = page.locator('dialog.dialog');
    await dlg.locator('.tool-option').first().waitFor();
    const names = await dlg.locator('.tool-option .tool-name').allInnerTexts();
    assert(JSON.stringify(names) === JSON.stringify(tools.map((t) => t.name)), `dialog ${names} vs api ${tools.map((t) => t.name)}`);
    for (const t of ['shell', 'claude', 'codex', 'opencode', 'gemini', 'copilot']) assert(names.includes(t), `no ${t} in the dialog`);
    for (const t of tools) {
      const avail = await dlg.locator('.tool-option', { has: page.locator('.tool-name', { hasText: new RegExp(`^${t.name}$`) }) }).locator('.tool-avail').innerText();
      const want = t.available ? (t.version ? `v${t.version}` : 'ready') : 'not installed';
      assert(avail === want, `${t.name}: "${avail}", want "${want}"`);
    }
    await shot('create-dialog-tools.png');
    await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
    // A missing tool: the daemon's real answer, with one agent made missing (everything is
    // installed here), in a fresh tab so the tool list is fetched again.
    const missing = tools.find((t) => t.available === false) ?? tools.find((t) => t.name === 'gemini');
    const other = await context.newPage();
    other.on('request', (r) => requests.push(r.url()));
    await other.route('**/api/tools', async (route) => {
      const r = await route.fetch();
      const j = await r.json();
      for (const t of j.tools) if (t.name === missing.name) Object.assign(t, { available: false, version: null, binary_path: null });
      await route.fulfill({ response: r, json: j });
    });
    await other.goto(`${ORIGIN}/?token=${TOKEN}`);
    await other.getByRole('button', { name: /New session/ }).first().click();
    const d2 = other.locator('dialog.dialog');
    const opt = d2.locator('.tool-option', { has: other.locator('.tool-name', { hasText: new RegExp(`^${missing.name}$`) }) });
    await opt.waitFor();
    assert((await opt.locator('.tool-avail').innerText()) === 'not installed', 'not shown as missing');
    await opt.click();
    const hint = await d2.locator('.install-hint').innerText();
    assert(missing.install_hint && hint.toLowerCase().includes(missing.install_hint.toLowerCase()), `hint "${hint}" lacks "${missing.install_hint}"`);
    await other.screenshot({ path: join(OUT, 'create-dialog-missing-tool.png') });
    await other.close();
    await page.bringToFront(); // a background tab gets no animation frames, and the transcript paints on one
  });

  if (agents.length) {
    await check(`${agents.join(', ')} sessions show readable transcripts and agent events`, async () => {
      const made = {};
      for (const tool of agents) {
        // A project each: they all write hello.txt at once.
        const dir = join(TMP, `proj-${tool}`);
        mkdirSync(dir, { recursive: true });
        spawnSync('git', ['init', '-q', dir]);
        made[tool] = await api('POST', '/api/sessions', { tool, mode: 'autonomous', project_path: dir, prompt: 'create hello.txt', timeout: '90s', start: true });
      }
      const wrong = agents.includes('codex')
        ? await api('POST', '/api/sessions', { tool: 'codex', mode: 'autonomous', project_path: join(TMP, 'proj-codex'), prompt: 'create nope.txt', env: { FAKE_OPENAI_KEY: 'wrong' }, timeout: '60s', start: true })
        : null;
      const all = [...Object.values(made), ...(wrong ? [wrong] : [])];
      await until('agent sessions ended', async () => {
        const st = await Promise.all(all.map((s) => api('GET', `/api/sessions/${s.id}`)));
        return st.every((s) => ['completed', 'failed', 'cancelled'].includes(s.status));
      }, 120000, 500);
      for (const tool of agents) {
        const s = made[tool];
        await page.goto(`${ORIGIN}/#/sessions/${s.id}`);
        assert((await badge()) === 'completed', `${tool} session ${await badge()}: ${(await api('GET', `/api/sessions/${s.id}`)).error}`);
        const tx = page.locator('.transcript');
        // innerText applies text-transform: the labels read in capitals.
        await until(`${tool} transcript`, async () => /Finished/i.test(await tx.innerText()), 10000);
        await shot(`detail-${tool}.png`);
        const t = await tx.innerText();
        assert(t.includes('Done. The tool said'), `${tool}: no assistant text in\n${t}`);
        assert(new RegExp(`Tool call\\s+${AGENT_WRITE_TOOL[tool]}\\b[^\\n]*hello\\.txt`, 'i').test(t), `${tool}: no ${AGENT_WRITE_TOOL[tool]} of hello.txt in\n${t}`);
        assert(/Tool result/i.test(t), `${tool}: no tool result in\n${t}`);
        if (tool !== 'copilot') assert(/Input\s+[\d.]+k?\s+Output\s+\d+/i.test(t), `${tool}: no usage in\n${t}`);
        await sameItemsAsTheDaemon(s.id);
        await page.getByRole('tab', { name: 'Events' }).click();
        const ev = page.locator('.timeline .ev-tool_use');
        await until(`${tool} tool_use event`, async () => (await ev.count()) > 0, 10000);
        const line = await ev.first().innerText();
        assert(/tool use\s*·\s*\S+\s.*hello\.txt/i.test(line), `${tool}: event reads "${line}"`);
        assert((await page.locator('.timeline .ev-turn_finished').count()) > 0, `${tool}: no turn finished event`);
        if (tool === agents[0]) await shot(`events-${tool}.png`);
      }
      if (wrong) {
        await page.goto(`${ORIGIN}/#/sessions/${wrong.id}`);
        assert((await badge()) === 'failed', `wrong-key codex ${await badge()}`);
        const tx = page.locator('.transcript');
        await until('codex error in the transcript', async () => /Error\s+unexpected status 401/i.test(await tx.innerText()), 10000);
        assert(/Finished with an error/i.test(await tx.innerText()), 'no failed result');
        await shot('detail-codex-wrong-key.png');
        await page.getByRole('tab', { name: 'Events' }).click();
        const ev = page.locator('.timeline .ev-error');
        await until('error event', async () => (await ev.count()) > 0, 10000);
        assert(/401/.test(await ev.first().innerText()), `error event reads "${await ev.first().innerText()}"`);
        await shot('events-codex-wrong-key.png');
      }
    });
  }

}
