import { describe, expect, it } from 'vitest';
import { sessionFromWire } from '../api/model';
import type { WireSession } from '../api/wire';
import { wirePlan, wireSession } from '../test/fakes';
import { childInfo, childLabel, groupPlans, planProgress, planTitle } from './planTree';

const at = (n: number) => `2026-11-22T03:41:${String(n).padStart(2, '0')}.000Z`;
const s = (over: Partial<WireSession>) => sessionFromWire(wireSession({ created_at: at(0), updated_at: at(0), ...over }));
const child = (id: string, plan: string, position: number, attempt: number, role: 'task' | 'verify', t: number, over: Partial<WireSession> = {}) =>
  s({ id, parent_id: plan, position, metadata: { plan_role: role, attempt: String(attempt) }, created_at: at(t), ...over });

describe('groupPlans', () => {
  it('folds a plan’s children under it, oldest first, and keeps the top level’s order', () => {
    const plan = s({ id: 'p', kind: 'plan', plan: wirePlan(), created_at: at(1) });
    const c1 = child('c1', 'p', 0, 1, 'task', 2);
    const c2 = child('c2', 'p', 1, 1, 'task', 3);
    const v2 = child('v2', 'p', 1, 1, 'verify', 4);
    const other = s({ id: 'x', created_at: at(5) });
    const retry = s({ id: 'r', parent_id: 'x', created_at: at(6) });
    // newest first, as the daemon lists them
    const rows = groupPlans([retry, other, v2, c2, c1, plan]);
    expect(rows.map((r) => r.session.id)).toEqual(['r', 'x', 'p']);
    expect(rows[2]!.children.map((c) => c.id)).toEqual(['c1', 'c2', 'v2']);
    expect(rows[0]!.children).toEqual([]); // a retry's parent is not a plan: not folded
  });

  it('orders children by task first: a plan makes its tasks’ sessions up front, in the same millisecond', () => {
    const plan = s({ id: 'p', kind: 'plan', plan: wirePlan(), created_at: at(1) });
    const rows = groupPlans([child('b-task1', 'p', 0, 1, 'task', 2), child('a-task2', 'p', 1, 1, 'task', 2), plan]);
    expect(rows[0]!.children.map((c) => c.id)).toEqual(['b-task1', 'a-task2']);
  });

  it('keeps a task at the top level when its plan is not in the list', () => {
    const rows = groupPlans([child('c1', 'gone', 0, 1, 'task', 2), s({ id: 'y' })]);
    expect(rows.map((r) => r.session.id)).toEqual(['c1', 'y']);
  });
});

describe('child labels', () => {
  it('says the task of how many, the attempt and the verify role', () => {
    const plan = s({ id: 'p', kind: 'plan', plan: wirePlan() });
    expect(childLabel(childInfo(child('a', 'p', 1, 2, 'task', 1), plan))).toBe('Task 2/3 · attempt 2');
    expect(childLabel(childInfo(child('b', 'p', 1, 1, 'verify', 1), plan))).toBe('Task 2/3 · verify, attempt 1');
    expect(childLabel(childInfo(s({ position: 0, metadata: {} }), null))).toBe('Task 1');
  });
});

describe('plan rows', () => {
  it('shows progress and a title', () => {
    expect(planProgress(s({ kind: 'plan', status: 'running', plan: wirePlan() }))).toBe('task 2/3');
    expect(planProgress(s({ kind: 'plan', status: 'completed', plan: wirePlan({ current: null }) }))).toBe('3/3 done');
    expect(planProgress(s({ kind: 'plan', status: 'pending', plan: wirePlan({ current: null }) }))).toBe('3 tasks, not started');
    expect(planTitle(s({ kind: 'plan', plan: wirePlan() }))).toBe('add-login');
    expect(planTitle(s({ kind: 'plan', plan: wirePlan({ name: '' }) }))).toBe('one');
  });
});
