// End-to-end checks of issue 16 ("a daily driver"), run by run.mjs against its real daemon:
// a full-screen program opened in the UI is fitted to the window and redrawn at its size (1280×800
// and a 390×844 phone); the phone's key bar types Esc, arrows, Tab and a sticky Ctrl; a long log
// opens at its end, loads earlier output on request and downloads whole; the list's keys; sessions
// that need the user (badge, title count, notification: skipped against a daemon without
// `attention`). The follow-up box of an ended agent session is checked in agents.mjs.
import { readFileSync } from 'node:fs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

export async function dailyChecks(ctx) {
  const { page, api, check, assert, until, sleep, shot, ORIGIN, PROJECT, termText, badge } = ctx;
  const stop = (id) => api('POST', `/api/sessions/${id}/stop`, { grace_ms: 500 }).catch(() => {});
  /** The page does not scroll, and the terminal (and the key bar, if any) ends inside the window. */
  const fitsWindow = async (height) => {
    const over = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight);
    assert(over <= 0, `the page scrolls by ${over}px`);
    const box = await page.getByTestId('terminal').boundingBox();
    assert(box.y + box.height <= height, `the terminal ends at ${Math.round(box.y + box.height)}px, below the ${height}px window`);
    assert(box.height >= height * 0.45, `the terminal is only ${Math.round(box.height)}px of a ${height}px window`);
    return box;
  };

  await check('top opened in the UI: fitted to the window, its PTY resized to it, the header row at the top without a click (1280×800, 390×844)', async () => {
    const s = await api('POST', '/api/sessions', { project_path: PROJECT, mode: 'guided', command: ['top', '-d', '1'], start: true });
    try {
      for (const [vp, name] of [
        [DESKTOP, 'detail-top.png'],
        [PHONE, 'detail-top-phone.png'],
      ]) {
        await page.setViewportSize(vp);
        await page.goto(`${ORIGIN}/#/sessions/${s.id}`);
        await page.reload(); // a fresh page: no toasts of earlier checks over the terminal
        const rows = page.locator('[data-testid=terminal] .xterm-rows > div');
        await until(`top's header in the first row at ${vp.width}×${vp.height}`, async () => {
          const t = await termText();
          return /^top - /.test(t.split('\n')[0]) && /^(Tasks|Threads):/m.test(t);
        }, 10000);
        // The program drew for this terminal: the PTY has its size.
        await until('the PTY took the terminal size', async () => {
          const m = (await api('GET', `/api/sessions/${s.id}`)).metadata;
          return Number(m.pty_rows) === (await rows.count());
        }, 5000);
        const box = await fitsWindow(vp.height);
        if (vp === PHONE) {
          const bar = await page.getByTestId('keybar').boundingBox();
          assert(bar && bar.y >= box.y + box.height && bar.y + bar.height <= vp.height, `key bar at ${JSON.stringify(bar)}`);
        } else {
          assert((await page.getByTestId('keybar').count()) === 0, 'a key bar on the desktop');
        }
        await shot(name);
      }
    } finally {
      await stop(s.id);
      await page.setViewportSize(DESKTOP);
    }
  });

  await check('phone: the key bar types Esc, ←, ↑ and Tab into the PTY, and a sticky Ctrl makes the next key a control key', async () => {
    await page.setViewportSize(PHONE);
    const s = await api('POST', '/api/sessions', { project_path: PROJECT, mode: 'guided', command: ['cat', '-v'], start: true });
    try {
      await page.goto(`${ORIGIN}/#/sessions/${s.id}`);
      const bar = page.getByTestId('keybar');
      await bar.waitFor();
      await until('running', async () => (await badge()) === 'running');
      await page.getByTestId('terminal').click();
      for (const k of ['esc', 'left', 'up', 'tab']) await bar.locator(`[data-key=${k}]`).click();
      await page.keyboard.type('x');
      await page.keyboard.press('Enter');
      // The tty echoes ESC as ^[; cat -v prints the line back the same way: both show.
      await until('the bytes echoed, then printed by cat -v', async () => ((await termText()).match(/\^\[\^\[\[D\^\[\[A\s+x/g) ?? []).length >= 2, 5000);
      const { chunks } = await api('GET', `/api/sessions/${s.id}/logs?format=json`);
      const log = Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64'))).toString('latin1');
      assert(log.includes('^[^[[D^[[A\tx'), `cat -v output lacks ESC, ←, ↑, Tab: ${JSON.stringify(log.slice(-120))}`);
      await shot('keybar-phone.png');
      // Ctrl, then "d" from the keyboard: ^D at the start of a line ends cat.
      const ctrl = bar.locator('[data-key=ctrl]');
      await ctrl.click();
      assert((await ctrl.getAttribute('aria-pressed')) === 'true', 'Ctrl not shown as on');
      await page.keyboard.type('d');
      await until('cat ended by ^D', async () => (await badge()) === 'completed', 10000);
      assert((await ctrl.count()) === 0 || (await ctrl.getAttribute('aria-pressed')) === 'false', 'Ctrl still on after one key');
    } finally {
      await stop(s.id);
      await page.setViewportSize(DESKTOP);
    }
  });

  await check('a long log opens at its end, loads earlier output on request, and downloads whole', async () => {
    const N = 300000;
    const s = await api('POST', '/api/sessions', { project_path: PROJECT, command: ['seq', String(N)], start: true });
    await until('seq finished', async () => (await api('GET', `/api/sessions/${s.id}`)).status === 'completed', 30000, 200);
    const rec = await api('GET', `/api/sessions/${s.id}`);
    const t0 = Date.now();
    await page.goto(`${ORIGIN}/#/sessions/${s.id}`);
    await until('the last line', async () => new RegExp(`^${N}$`, 'm').test(await termText()), 10000);
    const ms = Date.now() - t0;
    const win = page.getByTestId('log-window');
    assert((await win.getAttribute('data-whole')) === 'false', 'the whole log was loaded');
    const text = await win.innerText();
    assert(/^Last .* of \d+(\.\d)? MiB/.test(text), `window reads "${text}"`);
    const first = Number(await win.getAttribute('data-first-seq'));
    const lines = Number(await win.getAttribute('data-lines'));
    assert(first > 1 && lines < N / 10, `opened with ${lines} lines from seq ${first}`);
    await shot('biglog-end.png');
    await page.getByTestId('load-earlier').click();
    await until('earlier output', async () => Number(await win.getAttribute('data-lines')) > lines, 10000);
    const more = Number(await win.getAttribute('data-lines'));
    assert(more >= lines * 1.9 && more <= lines * 2.1, `after "Load earlier" ${more} lines (had ${lines})`);
    // Home (a finished session's terminal is read-only) goes to the top: the first line loaded.
    await page.getByTestId('terminal').click();
    await page.keyboard.press('Home');
    await until(`line ${N - more + 1} at the top`, async () => (await termText()).startsWith(`${N - more + 1}\n`), 3000);
    await shot('biglog-earlier.png');
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.getByTestId('download-log').click()]);
    const file = readFileSync(await dl.path());
    assert(file.length === rec.log_bytes, `downloaded ${file.length} bytes of ${rec.log_bytes}`);
    assert(file.toString('latin1').startsWith('1\r\n2\r\n3\r\n') && file.toString('latin1').endsWith(`${N}\r\n`), 'not the whole log in order');
    console.log(`       (${(rec.log_bytes / 1048576).toFixed(1)} MiB, ${rec.log_seq} chunks: last line shown ${ms} ms after navigation)`);
  });

  await check('list keys: j/k select, Enter opens, / searches by name, ? shows the keys and Esc closes them', async () => {
    await api('POST', '/api/sessions', { project_path: PROJECT, command: ['echo', 'another'], start: true });
    const target = await api('POST', '/api/sessions', { project_path: PROJECT, command: ['echo', 'find me'], start: true });
    await until('it ended', async () => (await api('GET', `/api/sessions/${target.id}`)).status === 'completed', 10000);
    const name = (await api('GET', `/api/sessions/${target.id}`)).name;
    await page.goto(`${ORIGIN}/#/`);
    await page.locator('tbody tr').nth(1).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    const rows = page.locator('tbody tr');
    const selectedId = () => page.locator('tbody tr.row-selected').getAttribute('data-session-id');
    await page.keyboard.press('j');
    assert((await selectedId()) === (await rows.nth(0).getAttribute('data-session-id')), 'j did not select the first row');
    await page.keyboard.press('j');
    assert((await selectedId()) === (await rows.nth(1).getAttribute('data-session-id')), 'j did not move down');
    await page.keyboard.press('k');
    assert((await selectedId()) === (await rows.nth(0).getAttribute('data-session-id')), 'k did not move up');
    await page.keyboard.press('?');
    const help = page.getByTestId('keys-help');
    await help.waitFor();
    const helpText = await help.innerText();
    for (const k of ['j', 'k', 'Enter', '/', '?', 'Esc']) assert(helpText.includes(k), `help lacks ${k}: ${helpText}`);
    await shot('list-keys-help.png');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    await page.keyboard.press('/');
    assert(await page.getByTestId('search').evaluate((el) => el === document.activeElement), '/ did not focus the search box');
    const search = name ?? target.id.split('-').pop().slice(0, 8);
    await page.keyboard.type(search); // letters typed here search: j and k do not move anything
    await until('one row', async () => (await rows.count()) === 1, 5000);
    assert((await rows.first().getAttribute('data-session-id')) === target.id, 'the search found another session');
    await shot('list-search.png');
    await page.keyboard.press('Escape'); // leaves the box
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.hash.includes(target.id), { timeout: 5000 });
  });

  // Sessions that need the user (issue 16): the daemon sets `attention` when one ends.
  const probe = await api('POST', '/api/sessions', { project_path: PROJECT, command: ['true'], start: true });
  await until('probe ended', async () => (await api('GET', `/api/sessions/${probe.id}`)).status === 'completed', 10000);
  const NAME = 'attention: a session that ends shows "done", sorts first, counts in the tab title and notifies ("Notify me"); opening it acknowledges';
  if (!('attention' in (await api('GET', `/api/sessions/${probe.id}`)))) {
    ctx.skip(NAME, "this daemon's Session has no `attention` field yet (issue 16)");
    return;
  }
  await check(NAME, async () => {
    await ctx.context.grantPermissions(['notifications'], { origin: ORIGIN });
    await page.addInitScript(() => {
      const Real = window.Notification;
      window.__notes = [];
      class Recorded extends Real {
        constructor(title, opts) {
          window.__notes.push({ title, body: opts?.body ?? '' });
          super(title, opts);
        }
      }
      window.Notification = Recorded;
    });
    await page.goto(`${ORIGIN}/#/`);
    await page.reload();
    await page.locator('tbody tr').first().waitFor();
    const toggle = page.getByTestId('notify-toggle');
    if ((await toggle.getAttribute('aria-pressed')) !== 'true') await toggle.click();
    await until('Notify me on', async () => (await toggle.getAttribute('aria-pressed')) === 'true', 5000);
    const count = async () => (await api('GET', '/api/sessions?attention=true&limit=1000')).sessions.length;
    await until('the title counts what needs the user', async () => (await page.title()) === `(${await count()}) agentmux`, 5000);
    const before = await count();
    const s = await api('POST', '/api/sessions', { project_path: PROJECT, command: ['sh', '-c', 'sleep 1; echo bye'], start: true });
    const row = page.locator(`tr[data-session-id="${s.id}"]`);
    await row.waitFor({ timeout: 5000 }); // made elsewhere: the list hears of it (watch), no reload
    const attn = row.getByTestId('attention');
    await until('"done" on its row', async () => (await attn.count()) === 1 && (await attn.getAttribute('data-reason')) === 'ended' && /\bdone$/.test(await attn.innerText()), 15000);
    assert((await page.locator('tbody tr').first().getAttribute('data-session-id')) === s.id, 'not sorted first');
    await until(`title (${before + 1}) agentmux`, async () => (await page.title()) === `(${before + 1}) agentmux`, 5000);
    const rec = await api('GET', `/api/sessions/${s.id}`);
    const notes = await until('a notification', async () => {
      const n = await page.evaluate(() => window.__notes);
      return n.some((x) => x.title === (rec.name ?? x.title)) ? n : null;
    }, 5000);
    const note = notes.find((x) => x.title === rec.name);
    assert(note && /Ended/.test(note.body), `notification ${JSON.stringify(notes)}`);
    assert(notes.filter((x) => x.title === rec.name).length === 1, `notified more than once: ${JSON.stringify(notes)}`);
    await shot('list-attention.png');
    // "Needs you" lists only those (GET /api/sessions?attention=true).
    await page.getByTestId('needs-you').click();
    await until('only the sessions that need the user', async () => {
      const n = await page.locator('tbody tr').count();
      return n === before + 1 && (await page.locator('tbody tr [data-testid=attention]').count()) === n;
    }, 5000);
    await page.getByTestId('needs-you').click();
    await until('all again', async () => (await page.locator('tbody tr').count()) > before + 1, 5000);
    await page.setViewportSize(PHONE);
    await shot('list-attention-phone.png');
    await page.setViewportSize(DESKTOP);
    // Opening it is looking at it: acknowledged, the count goes down.
    await row.locator('.row-title').click();
    await page.locator('.detail-head').waitFor();
    await until('acknowledged', async () => (await api('GET', `/api/sessions/${s.id}`)).attention === null, 5000);
    await until('the count went down', async () => (await page.title()).startsWith(before ? `(${before}) ` : 'completed'), 5000);
    assert((await page.locator('.detail-head [data-testid=attention]').count()) === 0, 'still badged after opening');
    await page.getByRole('tab', { name: 'Events' }).click();
    const ev = page.locator('.timeline .ev-attention');
    await until('attention events', async () => (await ev.count()) >= 2, 5000);
    const evText = await ev.allInnerTexts();
    assert(/needs you\s*·\s*Ended: have a look/i.test(evText[0]) && /seen/i.test(evText.at(-1)), `events read ${JSON.stringify(evText)}`);
    await shot('events-attention.png');
  });
}
