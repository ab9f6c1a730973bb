// End-to-end checks of what a session changed (docs/api.md "Checkpoint", "Diff", worktrees), run
// by run.mjs against its real daemon: in a temp git repository, a shell session edits a tracked
// file and adds one; its Changes tab shows the diff (both files, their counts) and the list its
// +/−; its "before" checkpoint is restored from the timeline (the files are read back from disk);
// "Checkpoint now"; a worktree session made in the dialog commits a file and is merged from the UI
// (the project has the file); a conflicting one shows the daemon's merge_conflict, then is discarded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const IDENT = ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com'];

export async function changesChecks({ page, api, check, assert, until, sleep, shot, ORIGIN, TMP, consoleErrors, waitForNewSession }) {
  const REPO = join(TMP, 'proj-git');
  mkdirSync(REPO, { recursive: true });
  const git = (...args) => {
    const r = spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  git('init', '-q', '-b', 'main');
  writeFileSync(join(REPO, 'a.txt'), 'one\ntwo\n');
  git('add', 'a.txt');
  git(...IDENT, 'commit', '-qm', 'first');
  const read = (f) => (existsSync(join(REPO, f)) ? readFileSync(join(REPO, f), 'utf8') : null);
  const ended = (id) => until(`session ${id} ended`, async () => ['completed', 'failed'].includes((await api('GET', `/api/sessions/${id}`)).status), 15000);
  /** The browser logs a refused request itself; `fn`'s expected ones (409) are not console errors. */
  const expectingRefusal = async (status, fn) => {
    const before = consoleErrors.length;
    await fn();
    await sleep(100);
    consoleErrors.splice(before, consoleErrors.length - before, ...consoleErrors.slice(before).filter((e) => !new RegExp(`status of ${status}`).test(e)));
  };
  const openChanges = async (id) => {
    await page.goto(`${ORIGIN}/#/sessions/${id}`);
    await page.locator('.detail-head').waitFor();
    await page.getByRole('tab', { name: /Changes/ }).click();
    await page.getByTestId('changes').waitFor();
  };

  let editId = null;
  await check('Changes tab: a session\'s diff in the viewer, both files with their counts; a click jumps to a file', async () => {
    const s = await api('POST', '/api/sessions', {
      project_path: REPO,
      prompt: 'edit a.txt, add b.txt',
      command: ['sh', '-c', 'echo changed >> a.txt; echo new > b.txt'],
      start: true,
    });
    editId = s.id;
    await ended(editId);
    await openChanges(editId);
    await page.getByTestId('diff-view').waitFor({ timeout: 10000 });
    const files = page.getByTestId('diff-files');
    const a = files.locator('button[data-path="a.txt"]');
    const b = files.locator('button[data-path="b.txt"]');
    await a.waitFor();
    const at = (await a.innerText()).replace(/\s+/g, ' ');
    const bt = (await b.innerText()).replace(/\s+/g, ' ');
    assert(/^M a\.txt \+1 −0$/.test(at), `a.txt row: "${at}"`);
    assert(/^A b\.txt \+1 −0$/.test(bt), `b.txt row: "${bt}"`);
    assert((await page.getByTestId('diff-files-count').innerText()) === '2 files changed', 'not 2 files');
    assert((await page.getByTestId('diff-additions').innerText()) === '+2', `additions ${await page.getByTestId('diff-additions').innerText()}`);
    // The viewer's own table: the added lines, line numbers and all.
    const aDiff = page.locator('[data-testid=diff-file][data-path="a.txt"]');
    const inserted = await aDiff.locator('td.diff-code-insert').allInnerTexts();
    assert(inserted.map((t) => t.trim()).join('|') === 'changed', `a.txt inserted lines: ${inserted}`);
    assert((await aDiff.locator('td.diff-code-normal').count()) >= 2, 'no context lines for a.txt');
    const bDiff = page.locator('[data-testid=diff-file][data-path="b.txt"]');
    assert((await bDiff.locator('td.diff-code-insert').innerText()).trim() === 'new', 'b.txt not "new"');
    // A short window: b.txt's diff starts below it, and the click brings it into view.
    await page.setViewportSize({ width: 1280, height: 420 });
    await page.evaluate(() => window.scrollTo(0, 0));
    const inView = async () => {
      const box = await bDiff.boundingBox();
      return !!box && box.y >= 0 && box.y + Math.min(box.height, 60) <= 420;
    };
    assert(!(await inView()), 'b.txt already in view');
    await b.click();
    await until('b.txt scrolled into view', inView, 3000);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByTestId('changes').scrollIntoViewIfNeeded();
    await shot('changes-diff.png');
  });

  await check('the list shows a session\'s +/− line counts', async () => {
    await page.goto(`${ORIGIN}/#/`);
    const counts = page.locator(`tr[data-session-id="${editId}"] [data-testid=change-counts]`);
    await counts.waitFor();
    const t = (await counts.innerText()).replace(/\s+/g, ' ');
    assert(t === '+2 −0', `list counts "${t}"`);
  });

  await check('restore the "before" checkpoint from the timeline: the dialog says what changes, the files are back', async () => {
    await openChanges(editId);
    const before = page.locator('[data-testid=checkpoint][data-kind=before]');
    await before.waitFor();
    assert((await page.locator('[data-testid=checkpoint][data-kind=after]').count()) === 1, 'no after checkpoint');
    await before.getByTestId('restore').click();
    const dlg = page.locator('dialog.dialog');
    await dlg.waitFor();
    const q = await dlg.getByTestId('restore-question').innerText();
    assert(/^Put the project's files back as they were at checkpoint 1 \(before, \d\d:\d\d\)\? The present is checkpointed first, so you can undo this\.$/.test(q), `question: ${q}`);
    await shot('restore-dialog.png');
    await dlg.getByTestId('restore-submit').click();
    await dlg.waitFor({ state: 'detached' });
    assert(read('a.txt') === 'one\ntwo\n', `a.txt is ${JSON.stringify(read('a.txt'))}`);
    assert(read('b.txt') === null, 'b.txt still there');
    await page.locator('[data-testid=checkpoint][data-kind=undo]').waitFor();
    assert(git('status', '--porcelain') === '', `the tree differs from HEAD: ${git('status', '--porcelain')}`);
  });

  await check('"Checkpoint now" with a message adds a manual checkpoint to the timeline', async () => {
    await page.locator('input[name=checkpoint-message]').fill('e2e mark');
    await page.getByTestId('checkpoint-now').click();
    const manual = page.locator('[data-testid=checkpoint][data-kind=manual]');
    await manual.waitFor();
    assert((await manual.innerText()).includes('e2e mark'), 'no message');
    const cps = (await api('GET', `/api/sessions/${editId}/checkpoints`)).checkpoints;
    assert(cps.map((c) => c.kind).join(',') === 'before,after,undo,manual', `kinds ${cps.map((c) => c.kind)}`);
    await shot('changes-timeline.png');
  });

  await check('a worktree session from the dialog: branch and base shown, merged from the UI into the project', async () => {
    await page.getByRole('button', { name: /New session/ }).first().click();
    const dlg = page.locator('dialog.dialog');
    await dlg.locator('.tool-option', { hasText: 'shell' }).click();
    await dlg.locator('input[name=project]').fill(REPO);
    await dlg.locator('input[name=command]').fill(`sh -c 'echo from-worktree > c.txt && git add c.txt && git ${IDENT.join(' ')} commit -qm worktree-commit'`);
    await dlg.locator('input[name=worktree]').check();
    await dlg.locator('input[name=base]').fill('main');
    const navigated = waitForNewSession();
    await dlg.getByTestId('create-submit').click();
    const id = await navigated;
    const s = await api('GET', `/api/sessions/${id}`);
    assert(s.worktree && /^agentmux\//.test(s.worktree.branch) && s.worktree.state === 'active', `worktree ${JSON.stringify(s.worktree)}`);
    assert(s.worktree.base_commit === git('rev-parse', 'main'), `base ${s.worktree.base_commit}`);
    await ended(id);
    await page.getByRole('tab', { name: /Changes/ }).click();
    const card = page.getByTestId('worktree');
    await card.waitFor();
    assert((await page.getByTestId('worktree-branch').innerText()) === s.worktree.branch, 'branch not shown');
    await page.locator('[data-testid=diff-file][data-path="c.txt"]').waitFor();
    assert(read('c.txt') === null, 'c.txt in the project before the merge');
    await page.getByTestId('merge').click();
    await until('merged', async () => (await card.getAttribute('data-state')) === 'merged', 10000);
    assert(read('c.txt') === 'from-worktree\n', `c.txt is ${JSON.stringify(read('c.txt'))}`);
    assert(git('log', '-1', '--format=%s', 'main') === 'worktree-commit' || git('log', '--format=%s', 'main').includes('worktree-commit'), 'commit not on main');
    await shot('worktree-merged.png');
  });

  await check('a conflicting worktree merge shows the daemon\'s merge_conflict; Discard (confirmed) removes the branch', async () => {
    const s = await api('POST', '/api/sessions', {
      project_path: REPO,
      worktree: true,
      command: ['sh', '-c', `echo theirs > a.txt && git ${IDENT.join(' ')} commit -qam theirs`],
      start: true,
    });
    await ended(s.id);
    writeFileSync(join(REPO, 'a.txt'), 'ours\n');
    git(...IDENT, 'commit', '-qam', 'ours');
    await openChanges(s.id);
    await page.getByTestId('worktree').waitFor();
    const err = page.getByTestId('worktree-error');
    await expectingRefusal(409, async () => {
      await page.getByTestId('merge').click();
      await err.waitFor();
    });
    assert((await err.getAttribute('data-code')) === 'merge_conflict', `code ${await err.getAttribute('data-code')}`);
    assert((await err.innerText()).includes('a.txt'), `message: ${await err.innerText()}`);
    assert(read('a.txt') === 'ours\n' && git('status', '--porcelain') === '', 'the project changed after a refused merge');
    await shot('worktree-conflict.png');
    await page.getByTestId('discard').click();
    await page.getByTestId('discard-confirm').click();
    await until('discarded', async () => (await page.getByTestId('worktree').getAttribute('data-state')) === 'discarded', 10000);
    await page.locator('[data-testid=diff-empty][data-state=gone]').waitFor();
    assert(!git('branch', '--list', 'agentmux/*').includes(s.worktree.branch), `branch ${s.worktree.branch} still there`);
  });
}
