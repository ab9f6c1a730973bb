import { describe, expect, it } from 'vitest';
import type { Api } from '../api/http';
import { sessionFromWire } from '../api/model';
import { STATUS_ONLY, StreamConnection } from '../api/stream';
import { FakeWebSocket, wirePlan, wireSession } from '../test/fakes';
import { SessionListStore } from './sessionList';

describe('SessionListStore', () => {
  it('watches only sessions that can change, status only, and applies live statuses', async () => {
    const sockets: FakeWebSocket[] = [];
    const conn = new StreamConnection({ url: 'ws://x/api/stream', token: 't', factory: (u, p) => (sockets.push(new FakeWebSocket(u, p)), sockets.at(-1)!) });
    const ws = sockets[0]!;
    ws.open();
    const running = wireSession({ id: 'a', status: 'running' });
    const done = wireSession({ id: 'b', status: 'completed' });
    let requests = 0;
    const api = { sessions: async () => (requests++, { sessions: [running, done].map(sessionFromWire), nextCursor: null }) } as unknown as Api;
    const store = new SessionListStore(api, conn);
    await store.load({});
    expect(ws.subscribes()).toEqual([{ type: 'subscribe', session_id: 'a', since_seq: STATUS_ONLY }]);

    ws.server({ type: 'status', session_id: 'a', status: 'paused', log_seq: 3, exit_code: null, signal: null, session: { ...running, status: 'paused', updated_at: '2026-11-22T03:42:00.000Z' } });
    expect(store.snapshot.sessions[0]!.status).toBe('paused');
    ws.server({ type: 'status', session_id: 'a', status: 'cancelled', log_seq: 3, exit_code: null, signal: 'SIGTERM', session: { ...running, status: 'cancelled', signal: 'SIGTERM', updated_at: '2026-11-22T03:43:00.000Z' } });
    expect(store.snapshot.sessions[0]!.status).toBe('cancelled');
    expect(ws.sent.at(-1)).toEqual({ type: 'unsubscribe', session_id: 'a' });
    expect(store.watchedIds()).toEqual([]);
    expect(requests).toBe(1); // no refetch for live updates
  });

  it('fetches a live plan’s children again when it starts or ends a task, with the same filter', async () => {
    const sockets: FakeWebSocket[] = [];
    const conn = new StreamConnection({ url: 'ws://x/api/stream', token: 't', factory: (u, p) => (sockets.push(new FakeWebSocket(u, p)), sockets.at(-1)!) });
    const ws = sockets[0]!;
    ws.open();
    const plan = wireSession({ id: 'p', kind: 'plan', status: 'running', plan: wirePlan() });
    const c1 = wireSession({ id: 'c1', parent_id: 'p', position: 0, status: 'completed' });
    const c2 = wireSession({ id: 'c2', parent_id: 'p', position: 1, status: 'running' });
    const filters: unknown[] = [];
    const listing = [c1, plan];
    const api = {
      sessions: async (f: Record<string, unknown>) => {
        filters.push(f);
        return { sessions: (f.parentId ? [c2, c1] : listing).map(sessionFromWire), nextCursor: null };
      },
    } as unknown as Api;
    const store = new SessionListStore(api, conn);
    await store.load({ project: '/tmp/proj' });
    expect(store.watchedIds()).toEqual(['p']);
    ws.server({ type: 'event', session_id: 'p', event_type: 'usage', data: {}, timestamp: 'x' });
    ws.server({ type: 'event', session_id: 'p', event_type: 'task_started', data: { task: 2, attempt: 1, session_id: 'c2', role: 'task' }, timestamp: 'x' });
    await new Promise((r) => setTimeout(r, 0));
    expect(filters).toEqual([{ project: '/tmp/proj' }, { project: '/tmp/proj', parentId: 'p', cursor: null, limit: 1000 }]);
    expect(store.snapshot.sessions.map((s) => s.id)).toEqual(['c2', 'c1', 'p']);
    expect(store.watchedIds().sort()).toEqual(['c2', 'p']);
  });

  it('adds sessions the watch reports as new when they match the filter, and updates listed ones', async () => {
    const conn = new StreamConnection({ url: 'ws://x/api/stream', token: 't', factory: (u, p) => new FakeWebSocket(u, p) });
    const listed = wireSession({ id: 'a', status: 'completed', created_at: '2026-11-22T03:00:00.000Z' });
    const api = { sessions: async () => ({ sessions: [sessionFromWire(listed)], nextCursor: null }) } as unknown as Api;
    const store = new SessionListStore(api, conn);
    await store.load({ tool: 'shell' });
    store.seen(sessionFromWire(wireSession({ id: 'n', tool: 'shell', status: 'running', created_at: '2026-11-22T04:00:00.000Z' })));
    store.seen(sessionFromWire(wireSession({ id: 'c', tool: 'claude', created_at: '2026-11-22T04:00:01.000Z' }))); // filtered out
    store.seen(sessionFromWire(wireSession({ id: 'old', tool: 'shell', created_at: '2026-11-01T00:00:00.000Z' }))); // older than the page
    store.seen(sessionFromWire({ ...listed, attention: { reason: 'ended', since: '2026-11-22T04:00:02.000Z' }, updated_at: '2026-11-22T04:00:02.000Z' }));
    expect(store.snapshot.sessions.map((s) => s.id)).toEqual(['n', 'a']);
    expect(store.snapshot.sessions[1]!.attention?.reason).toBe('ended');
    expect(store.watchedIds()).toEqual(['n']);
  });
});
