import { describe, expect, it } from 'vitest';
import type { Api } from '../api/http';
import { sessionFromWire } from '../api/model';
import { STATUS_ONLY, StreamConnection } from '../api/stream';
import { FakeWebSocket, wireSession } from '../test/fakes';
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
});
