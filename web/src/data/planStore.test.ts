import { describe, expect, it } from 'vitest';
import type { Api, SessionFilter } from '../api/http';
import { eventFromWire, sessionFromWire, type Session, type SessionEvent } from '../api/model';
import { STATUS_ONLY, StreamConnection } from '../api/stream';
import type { WireSession } from '../api/wire';
import { FakeWebSocket, wirePlan, wireSession } from '../test/fakes';
import { PlanStore } from './planStore';
import { SessionFeed } from './sessionFeed';

const flush = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const sockets: FakeWebSocket[] = [];
  const conn = new StreamConnection({ url: 'ws://x/api/stream', token: 't', factory: (u, p) => (sockets.push(new FakeWebSocket(u, p)), sockets.at(-1)!) });
  const ws = sockets[0]!;
  ws.open();
  const plan = wireSession({ id: 'p', kind: 'plan', status: 'running', pid: null, command: [], plan: wirePlan({ current: 0 }) });
  let children: WireSession[] = [wireSession({ id: 'c1', parent_id: 'p', position: 0, metadata: { plan_role: 'task', attempt: '1' }, status: 'running' })];
  let events: SessionEvent[] = [];
  const calls: { sessions: SessionFilter[]; events: (number | undefined)[] } = { sessions: [], events: [] };
  const api = {
    sessions: async (f: SessionFilter) => (calls.sessions.push(f), { sessions: children.map(sessionFromWire), nextCursor: null, store: null }),
    events: async (_id: string, after?: number) => (calls.events.push(after), events.filter((e) => (e.id ?? 0) > (after ?? 0))),
  } as unknown as Pick<Api, 'sessions' | 'events'>;
  const feed = new SessionFeed(conn, 'p', sessionFromWire(plan));
  const store = new PlanStore(api, conn, feed, sessionFromWire(plan));
  return {
    ws,
    plan,
    store,
    calls,
    setChildren: (c: WireSession[]) => (children = c),
    setEvents: (e: SessionEvent[]) => (events = e),
  };
}

describe('PlanStore', () => {
  it('loads the children by parent_id, watches the live ones, and refetches on task events', async () => {
    const t = setup();
    await t.store.start();
    expect(t.calls.sessions).toEqual([{ parentId: 'p', limit: 1000 }]);
    expect(t.store.snapshot.children.map((c: Session) => c.id)).toEqual(['c1']);
    expect(t.store.watchedIds()).toEqual(['c1']);
    expect(t.ws.subscribes()).toContainEqual({ type: 'subscribe', session_id: 'c1', since_seq: STATUS_ONLY });

    // c1 ends (its watch says so), then the plan says task 2 started: fetch the children again.
    t.ws.server({ type: 'status', session_id: 'c1', status: 'completed', log_seq: 2, exit_code: 0, signal: null, session: { ...wireSession({ id: 'c1', parent_id: 'p', position: 0 }), status: 'completed', updated_at: '2026-11-22T03:42:00.000Z' } });
    expect(t.store.snapshot.children[0]!.status).toBe('completed');
    expect(t.store.watchedIds()).toEqual([]);
    const c2 = wireSession({ id: 'c2', parent_id: 'p', position: 1, metadata: { plan_role: 'task', attempt: '1' }, status: 'running', created_at: '2026-11-22T03:42:01.000Z' });
    t.setChildren([{ ...wireSession({ id: 'c1', parent_id: 'p', position: 0 }), status: 'completed', updated_at: '2026-11-22T03:42:00.000Z' }, c2]);
    const started = eventFromWire({ id: 7, session_id: 'p', event_type: 'task_started', data: { task: 2, attempt: 1, session_id: 'c2', role: 'task' }, timestamp: '2026-11-22T03:42:01.000Z' });
    t.setEvents([started]);
    t.ws.server({ type: 'event', session_id: 'p', event_type: 'task_started', data: started.data, timestamp: started.timestamp });
    await flush();
    await flush();
    expect(t.store.snapshot.children.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(t.store.watchedIds()).toEqual(['c2']);
    expect(t.store.snapshot.events.map((e) => e.id)).toEqual([7]);
    expect(t.calls.events).toEqual([undefined, undefined]);

    // Another event: only what is new (after_id).
    t.ws.server({ type: 'event', session_id: 'p', event_type: 'usage', data: {}, timestamp: '2026-11-22T03:42:02.000Z' });
    await flush();
    expect(t.calls.events.at(-1)).toBe(7);
    expect(t.calls.sessions.length).toBe(2); // not a task event: no refetch of children
  });

  it('takes the plan’s status messages and an action’s answer', async () => {
    const t = setup();
    await t.store.start();
    t.ws.server({ type: 'status', session_id: 'p', status: 'paused', log_seq: 0, exit_code: null, signal: null, session: { ...t.plan, status: 'paused', updated_at: '2026-11-22T03:43:00.000Z' } });
    expect(t.store.snapshot.plan.status).toBe('paused');
    t.store.updatePlan(sessionFromWire({ ...t.plan, status: 'cancelled', updated_at: '2026-11-22T03:44:00.000Z', plan: wirePlan({ current: null, end_reason: 'stopped' }) }));
    expect(t.store.snapshot.plan.status).toBe('cancelled');
    expect(t.store.snapshot.plan.plan?.endReason).toBe('stopped');
    t.store.dispose();
    expect(t.store.watchedIds()).toEqual([]);
  });
});
