// The Changes tab's calls: the paths and bodies the client sends, what it makes of the answers
// and of the daemon's 409s (docs/api.md: diff, checkpoints, restore, merge, discard).
import { describe, expect, it } from 'vitest';
import { wireSession } from '../test/fakes';
import { Api, ApiError } from './http';
import type { WireCheckpoint } from './wireChanges';

const cp = (n: number, kind: string): WireCheckpoint => ({
  id: `cp${n}`,
  session_id: 's1',
  n,
  kind,
  message: null,
  created_at: '2026-11-22T12:03:00.000Z',
  git_commit: 'abc',
  git_ref: `refs/agentmux/checkpoints/s1/${n}`,
  tree_path: '/p',
  agent_session_id: null,
  log_seq: 0,
  files_changed: n === 1 ? null : 2,
  state: null,
});

function fake(answers: Record<string, [number, unknown]>) {
  const calls: { method: string; url: string; body: unknown }[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    calls.push({ method: init.method!, url, body: init.body ? JSON.parse(init.body as string) : undefined });
    const [status, body] = answers[`${init.method} ${url}`] ?? [404, { error: { code: 'not_found', message: 'no route' } }];
    return new Response(JSON.stringify(body), { status });
  }) as typeof fetch;
  return { api: new Api('tok', '', fetchFn), calls };
}

describe('Api: what a session changed', () => {
  it('diff, checkpoints, checkpoint now', async () => {
    const { api, calls } = fake({
      'GET /api/sessions/s1/diff': [200, { session_id: 's1', base: 'a', head: 'b', files: [{ path: 'x', old_path: null, status: 'added', additions: 1, deletions: 0, binary: false }], additions: 1, deletions: 0, patch: 'diff --git a/x b/x\n' }],
      'GET /api/sessions/s1/checkpoints': [200, { session_id: 's1', checkpoints: [cp(1, 'before'), cp(2, 'after')] }],
      'POST /api/sessions/s1/checkpoints': [201, cp(3, 'manual')],
    });
    const d = await api.diff('s1');
    expect(d.files[0]).toEqual({ path: 'x', oldPath: null, status: 'added', additions: 1, deletions: 0, binary: false });
    expect(d.patch).toContain('diff --git');
    expect((await api.checkpoints('s1')).map((c) => [c.n, c.kind, c.filesChanged])).toEqual([
      [1, 'before', null],
      [2, 'after', 2],
    ]);
    expect((await api.checkpoint('s1', 'mark')).kind).toBe('manual');
    await api.checkpoint('s1');
    expect(calls.slice(2).map((c) => c.body)).toEqual([{ message: 'mark' }, {}]);
  });

  it('restore: the body, the undo checkpoint, the continued session', async () => {
    const { api, calls } = fake({
      'POST /api/checkpoints/cp1/restore': [200, { restored: cp(1, 'before'), undo: cp(4, 'undo'), session: wireSession({ id: 'new' }) }],
      'POST /api/checkpoints/cp2/restore': [409, { error: { code: 'session_running', message: 'a session runs in /p' } }],
    });
    const r = await api.restore('cp1', { continue: true, prompt: 'again' });
    expect([r.restored.n, r.undo.n, r.undo.kind, r.session?.id]).toEqual([1, 4, 'undo', 'new']);
    expect(calls[0]!.body).toEqual({ continue: true, prompt: 'again' });
    const e = await api.restore('cp2').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([(e as ApiError).status, (e as ApiError).code, (e as ApiError).message]).toEqual([409, 'session_running', 'a session runs in /p']);
  });

  it('merge and discard', async () => {
    const { api, calls } = fake({
      'POST /api/sessions/s1/merge': [200, { merged: true, fast_forward: true, commit: 'c0ffee', branch: 'agentmux/x' }],
      'POST /api/sessions/s2/merge': [409, { error: { code: 'merge_conflict', message: 'conflicts in: a.txt' } }],
      'POST /api/sessions/s1/discard': [200, { discarded: true }],
    });
    expect(await api.merge('s1')).toEqual({ fastForward: true, commit: 'c0ffee', branch: 'agentmux/x' });
    await expect(api.merge('s2')).rejects.toMatchObject({ code: 'merge_conflict', message: 'conflicts in: a.txt' });
    await api.discard('s1');
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/sessions/s1/merge', 'POST /api/sessions/s2/merge', 'POST /api/sessions/s1/discard']);
  });
});
