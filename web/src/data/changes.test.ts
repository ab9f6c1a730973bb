import { parseDiff } from 'react-diff-view';
import { describe, expect, it } from 'vitest';
import { checkpointFromWire, diffFromWire, sessionFromWire } from '../api/model';
import type { WireCheckpoint, WireDiff } from '../api/wireChanges';
import { wireSession } from '../test/fakes';
import {
  changeCounts,
  checkpointLabel,
  clockTime,
  diffCaption,
  diffSections,
  diffState,
  discardedState,
  hunkLines,
  restoreBody,
  restoreQuestion,
  shortCommit,
  worktreeActions,
} from './changes';

// What `git diff` prints for an edit, a new file, a binary, a deletion and a pure rename.
const PATCH = `diff --git a/a.txt b/a.txt
index 4cb29ea..6284eba 100644
--- a/a.txt
+++ b/a.txt
@@ -1,3 +1,4 @@
 one
 two
 three
+changed
diff --git a/b.txt b/b.txt
new file mode 100644
index 0000000..3e75765
--- /dev/null
+++ b/b.txt
@@ -0,0 +1 @@
+new
diff --git a/bin.dat b/bin.dat
index bdc955b..8835708 100644
Binary files a/bin.dat and b/bin.dat differ
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 587be6b..0000000
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-x
diff --git a/old.txt b/new.txt
similarity index 100%
rename from old.txt
rename to new.txt
`;

const wireDiff = (over: Partial<WireDiff> = {}): WireDiff => ({
  session_id: 's1',
  base: 'aaaa',
  head: 'bbbb',
  files: [
    { path: 'a.txt', old_path: null, status: 'modified', additions: 1, deletions: 0, binary: false },
    { path: 'b.txt', old_path: null, status: 'added', additions: 1, deletions: 0, binary: false },
    { path: 'bin.dat', old_path: null, status: 'modified', additions: 0, deletions: 0, binary: true },
    { path: 'gone.txt', old_path: null, status: 'deleted', additions: 0, deletions: 1, binary: false },
    { path: 'new.txt', old_path: 'old.txt', status: 'renamed', additions: 0, deletions: 0, binary: false },
  ],
  additions: 2,
  deletions: 1,
  patch: PATCH,
  ...over,
});

const wireCp = (over: Partial<WireCheckpoint> = {}): WireCheckpoint => ({
  id: 'cp1',
  session_id: 's1',
  n: 1,
  kind: 'before',
  message: null,
  created_at: '2026-11-22T12:03:00.000Z',
  git_commit: '0123456789abcdef',
  git_ref: 'refs/agentmux/checkpoints/s1/1',
  tree_path: '/tmp/proj',
  agent_session_id: null,
  log_seq: 0,
  files_changed: null,
  state: null,
  ...over,
});

describe('changes', () => {
  it('counts for the list: +N −M, nothing when unknown', () => {
    expect(changeCounts(null)).toBeNull();
    expect(changeCounts({ files: 2, additions: 1234, deletions: 3 })).toEqual({
      add: '+1,234',
      del: '\u22123',
      title: '2 files changed, 1234 lines added, 3 removed',
    });
    expect(changeCounts({ files: 1, additions: 1, deletions: 0 })!.title).toBe('1 file changed, 1 line added, 0 removed');
  });

  it('matches the daemon\'s files with the parsed patch, in the daemon\'s order', () => {
    const d = diffFromWire(wireDiff());
    const secs = diffSections(d.files, parseDiff(d.patch));
    expect(secs.map((s) => [s.file.path, s.type, hunkLines(s.hunks)])).toEqual([
      ['a.txt', 'modify', 4],
      ['b.txt', 'add', 1],
      ['bin.dat', 'modify', 0],
      ['gone.txt', 'delete', 1],
      ['new.txt', 'rename', 0],
    ]);
    expect(new Set(secs.map((s) => s.anchor)).size).toBe(5);
    expect(secs[0]!.anchor).toMatch(/^diff-0-a\.txt$/);
  });

  it('a parsed file the list lacks is shown with its hunks\' counts; a list file the patch lacks has no hunks', () => {
    const d = diffFromWire(wireDiff({ files: [{ path: 'zzz', old_path: null, status: 'modified', additions: 0, deletions: 0, binary: true }] }));
    const secs = diffSections(d.files, parseDiff(d.patch));
    expect(secs[0]!.file.path).toBe('zzz');
    expect(secs[0]!.hunks).toEqual([]);
    const a = secs.find((s) => s.file.path === 'a.txt')!;
    expect([a.file.additions, a.file.deletions, a.file.status]).toEqual([1, 0, 'modified']);
    expect(secs.find((s) => s.file.path === 'gone.txt')!.file.status).toBe('deleted');
    expect(secs.find((s) => s.file.path === 'new.txt')!.file.oldPath).toBe('old.txt');
  });

  it('a file named otherwise by the parser takes the next unmatched one', () => {
    const files = [{ path: 'a b.txt', oldPath: null, status: 'modified', additions: 1, deletions: 0, binary: false }];
    const parsed = [{ oldPath: '"a b.txt"', newPath: '"a b.txt"', type: 'modify', hunks: [{ changes: [{ type: 'insert' }] }] }];
    const secs = diffSections(files, parsed);
    expect(secs).toHaveLength(1);
    expect(hunkLines(secs[0]!.hunks)).toBe(1);
  });

  it('an empty diff has no sections', () => {
    const d = diffFromWire(wireDiff({ files: [], patch: '', additions: 0, deletions: 0 }));
    expect(diffSections(d.files, parseDiff(d.patch))).toEqual([]);
    expect(diffFromWire({ ...wireDiff(), patch: undefined }).patch).toBe('');
  });

  it('the daemon\'s errors are the tab\'s states', () => {
    expect(diffState('not_a_git_repository', 'not a git repository: /x').kind).toBe('not_git');
    expect(diffState('no_checkpoints', 'no checkpoints').kind).toBe('no_checkpoints');
    expect(diffState('worktree_gone', 'discarded').kind).toBe('gone');
    expect(diffState('network', 'down')).toEqual({ kind: 'error', message: 'down' });
    const wt = { path: '/w', branch: 'agentmux/x', base_commit: 'abc', state: 'discarded' };
    expect(discardedState(sessionFromWire(wireSession({ worktree: wt })))!.message).toContain('agentmux/x were discarded');
    expect(discardedState(sessionFromWire(wireSession({ worktree: { ...wt, state: 'merged' } })))).toBeNull();
  });

  it('what the diff compares, and short commits (not branch names)', () => {
    const wt = { path: '/w', branch: 'agentmux/x', base_commit: 'abc', state: 'active' };
    expect(diffCaption(sessionFromWire(wireSession({ worktree: wt })))).toBe('Its branch agentmux/x against its base');
    expect(diffCaption(sessionFromWire(wireSession({ status: 'running' })))).toMatch(/^The project now/);
    expect(diffCaption(sessionFromWire(wireSession({ status: 'completed' })))).toMatch(/^Its after checkpoint against its before/);
    expect(shortCommit('0123456789abcdef0123')).toBe('0123456789');
    expect(shortCommit('agentmux/9dc0ede653e0')).toBe('agentmux/9dc0ede653e0');
  });

  it('checkpoint labels and the restore question', () => {
    const cp = checkpointFromWire(wireCp({ n: 3 }));
    const at = Date.parse(cp.createdAt);
    const local = new Date(at);
    const hm = `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}`;
    expect(clockTime(cp.createdAt, at)).toBe(hm);
    expect(clockTime(cp.createdAt, at + 3 * 86400_000)).toMatch(new RegExp(`^[A-Z][a-z]{2} \\d+ ${hm}$`));
    expect(checkpointLabel(cp, at)).toBe(`checkpoint 3 (before, ${hm})`);
    const s = sessionFromWire(wireSession({ project_path: '/tmp/proj' }));
    expect(restoreQuestion(cp, s, at)).toBe(
      `Put the project's files back as they were at checkpoint 3 (before, ${hm})? The present is checkpointed first, so you can undo this.`,
    );
    const wt = sessionFromWire(wireSession({ worktree: { path: '/tmp/wt', branch: 'agentmux/01a2', base_commit: 'abc', state: 'active' } }));
    const wcp = checkpointFromWire(wireCp({ tree_path: '/tmp/wt' }));
    expect(restoreQuestion(wcp, wt, at)).toMatch(/^Put the session's worktree back/);
    expect(checkpointFromWire(wireCp({ message: '' })).message).toBeNull();
  });

  it('the restore body: continue only when asked, the prompt only when given', () => {
    expect(restoreBody(false, 'x')).toEqual({});
    expect(restoreBody(true, '  ')).toEqual({ continue: true });
    expect(restoreBody(true, ' go on ')).toEqual({ continue: true, prompt: 'go on' });
  });

  it('merge and discard while the worktree is active and the session has ended', () => {
    const wt = { path: '/w', branch: 'agentmux/x', base_commit: 'abc', state: 'active' };
    expect(worktreeActions(sessionFromWire(wireSession({ worktree: null })))).toEqual({ merge: false, discard: false, why: null });
    expect(worktreeActions(sessionFromWire(wireSession({ worktree: wt, status: 'running' }))).merge).toBe(false);
    expect(worktreeActions(sessionFromWire(wireSession({ worktree: wt, status: 'completed' })))).toEqual({ merge: true, discard: true, why: null });
    expect(worktreeActions(sessionFromWire(wireSession({ worktree: { ...wt, state: 'merged' }, status: 'completed' }))).why).toBe('This worktree was merged.');
  });

  it('sessions map worktree and changes', () => {
    const s = sessionFromWire(wireSession({ worktree: { path: '/w', branch: 'b', base_commit: 'c', state: 'merged' }, changes: { files: 1, additions: 2, deletions: 3 } }));
    expect(s.worktree).toEqual({ path: '/w', branch: 'b', baseCommit: 'c', state: 'merged' });
    expect(s.changes).toEqual({ files: 1, additions: 2, deletions: 3 });
    const old = sessionFromWire({ ...wireSession(), worktree: undefined, changes: undefined } as never);
    expect([old.worktree, old.changes]).toEqual([null, null]);
  });
});
