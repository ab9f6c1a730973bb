import { describe, expect, it } from 'vitest';
import { sessionFromWire, type SessionEvent } from '../api/model';
import type { WireSession } from '../api/wire';
import { wirePlan, wireSession } from '../test/fakes';
import { activeChild, budgetRows, planActionsFor, planTasks } from './plan';

const at = (n: number) => `2026-11-22T03:41:${String(n).padStart(2, '0')}.000Z`;
const s = (over: Partial<WireSession>) => sessionFromWire(wireSession({ created_at: at(0), updated_at: at(0), ...over }));
const child = (id: string, position: number, attempt: number | null, role: 'task' | 'verify', t: number, over: Partial<WireSession> = {}) =>
  s({
    id,
    parent_id: 'p',
    position,
    metadata: attempt === null ? { plan_role: role } : { plan_role: role, attempt: String(attempt) },
    created_at: at(t),
    status: 'completed',
    duration_ms: 1000,
    ...over,
  });
let evId = 0;
const ev = (eventType: string, data: Record<string, unknown>): SessionEvent => ({ id: ++evId, sessionId: 'p', eventType, data, timestamp: at(30) });

describe('planTasks', () => {
  it('pairs each attempt with its verify run and the verify results of the events', () => {
    const plan = s({ id: 'p', kind: 'plan', status: 'running', plan: wirePlan({ current: 1 }) });
    const children = [
      child('t1', 0, 1, 'task', 1, { token_count: 100, cost_usd: 0.5 }),
      child('t2a', 1, 1, 'task', 2, { token_count: 10, cost_usd: 0.1 }),
      child('v2a', 1, null, 'verify', 3, { status: 'failed', exit_code: 1 }),
      child('t2b', 1, 2, 'task', 4, { status: 'running', duration_ms: null, started_at: at(4) }),
    ];
    const events = [
      ev('task_started', { task: 1, attempt: 1, session_id: 't1', role: 'task' }),
      ev('task_completed', { task: 1, session_id: 't1', attempts: 1 }),
      ev('task_started', { task: 2, attempt: 1, session_id: 't2a', role: 'task' }),
      ev('task_started', { task: 2, attempt: 1, session_id: 'v2a', role: 'verify' }),
      ev('verify_failed', { task: 2, attempt: 1, exit_code: 1, output: 'not yet\n', session_id: 'v2a', will_retry: true }),
      ev('task_started', { task: 2, attempt: 2, session_id: 't2b', role: 'task' }),
    ];
    const now = Date.parse(at(6));
    const [one, two, three] = planTasks(plan, children, events, now);
    expect(one!.status).toBe('completed');
    expect(one!.tokens).toBe(100);
    expect(two!.status).toBe('running');
    expect(two!.current).toBe(true);
    expect(two!.attempts.map((a) => [a.attempt, a.task?.id, a.verify?.id])).toEqual([
      [1, 't2a', 'v2a'],
      [2, 't2b', undefined],
    ]);
    expect(two!.attempts[0]!.result).toEqual({ passed: false, exitCode: 1, output: 'not yet\n', willRetry: true });
    expect(two!.durationMs).toBe(1000 + 1000 + 2000);
    expect(two!.costUsd).toBeCloseTo(0.1);
    expect(three!.status).toBe('pending');
    expect(three!.attempts).toEqual([]);
    expect(activeChild(children)?.id).toBe('t2b');
  });

  it('shows a completed try as done before the plan’s current or its events catch up', () => {
    // The page heard task 2 start (children refetched) before the plan's `current` moved on and
    // before task 1's task_completed event arrived: task 1 is still done, not "running".
    const plan = s({ id: 'p', kind: 'plan', status: 'running', plan: wirePlan({ current: 0 }) });
    const children = [
      child('t1', 0, 1, 'task', 1),
      child('t2', 1, 1, 'task', 2, { status: 'running', duration_ms: null, started_at: at(2) }),
    ];
    const [one, two] = planTasks(plan, children, [], Date.parse(at(3)));
    expect(one!.status).toBe('completed');
    expect(two!.status).toBe('running');
  });

  it('reads a passed verify, and a plan that ended on a failed one', () => {
    const plan = s({ id: 'p', kind: 'plan', status: 'failed', plan: wirePlan({ current: null, end_reason: 'verify_failed' }) });
    const children = [child('t1', 0, 1, 'task', 1), child('v1', 0, 1, 'verify', 2), child('t2', 1, 1, 'task', 3), child('v2', 1, 1, 'verify', 4, { status: 'failed', exit_code: 2 })];
    const events = [
      ev('verify_passed', { task: 1, attempt: 1, session_id: 'v1' }),
      ev('verify_failed', { task: 2, attempt: 1, exit_code: 2, output: 'boom', session_id: 'v2', will_retry: false }),
    ];
    const [one, two, three] = planTasks(plan, children, events);
    expect(one!.status).toBe('completed'); // no task_completed event loaded yet: the passed verify says so
    expect(one!.attempts[0]!.result?.passed).toBe(true);
    expect(two!.status).toBe('failed');
    expect(two!.attempts[0]!.result?.exitCode).toBe(2);
    expect(three!.status).toBe('pending');
    expect(activeChild(children)).toBeNull();
  });

  it('places children by the events when their fields lack position or attempt', () => {
    const plan = s({ id: 'p', kind: 'plan', status: 'running', plan: wirePlan({ current: 0 }) });
    const c = s({ id: 'c', parent_id: 'p', position: null, metadata: {}, status: 'running', created_at: at(1) });
    const [one] = planTasks(plan, [c], [ev('task_started', { task: 1, attempt: 1, session_id: 'c', role: 'task' })]);
    expect(one!.attempts.map((a) => [a.attempt, a.task?.id])).toEqual([[1, 'c']]);
  });

  it('shows a cancelled plan’s stopped task as cancelled', () => {
    const plan = s({ id: 'p', kind: 'plan', status: 'cancelled', plan: wirePlan({ current: null, end_reason: 'stopped' }) });
    const [, two] = planTasks(plan, [child('t1', 0, 1, 'task', 1), child('t2', 1, 1, 'task', 2, { status: 'cancelled', signal: 'SIGTERM' })], []);
    expect(two!.status).toBe('cancelled');
  });
});

describe('budgetRows', () => {
  it('puts what was spent against each limit', () => {
    const plan = s({
      kind: 'plan',
      plan: wirePlan({ budget: { tokens: 2_000_000, cost_usd: null, time_ms: 7_200_000 }, spent: { tokens: 500_000, cost_usd: 1.5, time_ms: 3_600_000 } }),
    });
    expect(budgetRows(plan)).toEqual([
      { what: 'tokens', spent: '500k', limit: '2.0M', fraction: 0.25 },
      { what: 'cost', spent: '$1.50', limit: null, fraction: null },
      { what: 'time', spent: '1h 00m', limit: '2h 00m', fraction: 0.5 },
    ]);
  });
});

describe('planActionsFor', () => {
  it('offers pause, resume and stop by status', () => {
    expect(planActionsFor('running')).toEqual(['pause', 'stop']);
    expect(planActionsFor('paused')).toEqual(['resume', 'stop']);
    expect(planActionsFor('completed')).toEqual([]);
  });
});
