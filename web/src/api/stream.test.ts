import { describe, expect, it } from 'vitest';
import { FakeWebSocket, Timers, logMsg, wireSession } from '../test/fakes';
import { STATUS_ONLY, StreamConnection } from './stream';

function conn() {
  const sockets: FakeWebSocket[] = [];
  const timers = new Timers();
  const c = new StreamConnection({
    url: 'ws://x/api/stream',
    token: 't',
    factory: (u, p) => (sockets.push(new FakeWebSocket(u, p)), sockets.at(-1)!),
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
  return { c, sockets, timers, ws: () => sockets.at(-1)! };
}

describe('StreamConnection', () => {
  it('asks the daemon for the earliest need when a watcher and a log reader share a session', () => {
    const { c, ws } = conn();
    ws().open();
    const statuses: string[] = [];
    const logs: number[] = [];
    const offWatch = c.subscribe('a', { sinceSeq: () => STATUS_ONLY, onStatus: (s) => statuses.push(s.status) });
    expect(ws().subscribes().at(-1)).toEqual({ type: 'subscribe', session_id: 'a', since_seq: STATUS_ONLY });
    const offLog = c.subscribe('a', { sinceSeq: () => logs.length, onLog: (ch) => logs.push(ch.seq) });
    expect(ws().subscribes().at(-1)).toEqual({ type: 'subscribe', session_id: 'a', since_seq: 0 });
    ws().server(logMsg('a', 1));
    ws().server({ type: 'status', session_id: 'a', status: 'paused', log_seq: 1, exit_code: null, signal: null, session: wireSession({ id: 'a', status: 'paused' }) });
    expect(logs).toEqual([1]);
    expect(statuses).toEqual(['paused']);
    offLog();
    expect(ws().sent.some((m) => m.type === 'unsubscribe')).toBe(false); // the watcher still needs it
    offWatch();
    expect(ws().sent.at(-1)).toEqual({ type: 'unsubscribe', session_id: 'a' });
  });

  it('reconnects with backoff and resubscribes everything, reporting its state', () => {
    const { c, ws, sockets, timers } = conn();
    const states: string[] = [];
    c.onState((s) => states.push(s));
    ws().open();
    c.subscribe('a', { sinceSeq: () => 7 });
    c.subscribe('b', { sinceSeq: () => STATUS_ONLY });
    ws().drop();
    timers.advance(499);
    expect(sockets).toHaveLength(1);
    timers.advance(1);
    expect(sockets).toHaveLength(2);
    ws().drop(); // still down: the next try waits longer
    timers.advance(999);
    expect(sockets).toHaveLength(2);
    timers.advance(1);
    ws().open();
    expect(ws().subscribes()).toEqual([
      { type: 'subscribe', session_id: 'a', since_seq: 7 },
      { type: 'subscribe', session_id: 'b', since_seq: STATUS_ONLY },
    ]);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
  });

  it('pings to keep the connection alive and stops everything on close', () => {
    const { c, ws, timers, sockets } = conn();
    ws().open();
    timers.advance(25000);
    expect(ws().sent.at(-1)).toEqual({ type: 'ping' });
    c.close();
    timers.advance(60000);
    expect(sockets).toHaveLength(1);
    expect(c.state).toBe('closed');
  });
});
