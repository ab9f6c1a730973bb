import { describe, expect, it } from 'vitest';
import { chunkFromWire, sessionFromWire } from '../api/model';
import { StreamConnection } from '../api/stream';
import { FakeWebSocket, Timers, logMsg, wireSession } from '../test/fakes';
import { SessionFeed, type FeedStart } from './sessionFeed';

const chunk = (seq: number) => chunkFromWire(logMsg(ID, seq));

const ID = '01a20157-fca1-7806-b1c1-ba60031bd957';
const text = (feed: SessionFeed) => feed.chunks.map((c) => new TextDecoder().decode(c.data)).join('');

function setup(initial: ReturnType<typeof sessionFromWire> | null = null, start: FeedStart | null = null) {
  const sockets: FakeWebSocket[] = [];
  const timers = new Timers();
  const conn = new StreamConnection({
    url: 'ws://127.0.0.1:1/api/stream',
    token: 'tok',
    factory: (url, protocols) => {
      const ws = new FakeWebSocket(url, protocols);
      sockets.push(ws);
      return ws;
    },
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
  const feed = new SessionFeed(conn, ID, initial, start);
  return { sockets, timers, conn, feed, ws: () => sockets[sockets.length - 1]! };
}

describe('SessionFeed over the stream', () => {
  it('offers the token as a subprotocol next to agentmux.v1', () => {
    const { ws } = setup();
    expect(ws().protocols).toEqual(['agentmux.v1', 'bearer.tok']);
  });

  it('subscribes from 0, merges store replay and live output with no gap or duplicate', () => {
    const { ws, feed } = setup();
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 0 }]);
    ws().server({ type: 'status', session_id: ID, status: 'running', log_seq: 3, exit_code: null, signal: null, session: wireSession({ log_seq: 3 }) });
    for (const s of [1, 2, 3]) ws().server(logMsg(ID, s)); // replay
    for (const s of [4, 5]) ws().server(logMsg(ID, s)); // live
    expect(feed.chunks.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(text(feed)).toBe('line 1\r\nline 2\r\nline 3\r\nline 4\r\nline 5\r\n');
    expect(feed.session?.status).toBe('running');
  });

  it('after a dropped connection, resubscribes from the last seq and ignores overlap', () => {
    const { ws, feed, timers, sockets } = setup();
    ws().open();
    for (const s of [1, 2, 3, 4]) ws().server(logMsg(ID, s));
    ws().drop();
    timers.advance(500);
    expect(sockets).toHaveLength(2);
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 4 }]);
    // A server that replays a little too much must not duplicate anything.
    for (const s of [3, 4, 5, 6]) ws().server(logMsg(ID, s));
    expect(feed.chunks.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(feed.duplicates).toBe(2);
  });

  it('keeps everything through a resync: the server catches up by itself', () => {
    const { ws, feed } = setup();
    ws().open();
    for (const s of [1, 2]) ws().server(logMsg(ID, s));
    ws().server({ type: 'resync', session_id: ID, from_seq: 3 });
    for (const s of [3, 4, 5]) ws().server(logMsg(ID, s)); // from the store
    ws().server(logMsg(ID, 5)); // a live copy that raced the catch-up
    ws().server(logMsg(ID, 6));
    expect(feed.chunks.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(feed.resyncs).toBe(1);
    expect(ws().subscribes()).toHaveLength(1); // no resubscribe needed
  });

  it('asks again from the last seq when a chunk arrives ahead of a gap', () => {
    const { ws, feed } = setup();
    ws().open();
    ws().server(logMsg(ID, 1));
    ws().server(logMsg(ID, 3));
    expect(feed.chunks.map((c) => c.seq)).toEqual([1]);
    expect(ws().subscribes().at(-1)).toEqual({ type: 'subscribe', session_id: ID, since_seq: 1 });
    ws().server(logMsg(ID, 2));
    ws().server(logMsg(ID, 3));
    expect(feed.chunks.map((c) => c.seq)).toEqual([1, 2, 3]);
  });

  it('is complete when the terminal status log_seq has arrived', () => {
    const { ws, feed } = setup();
    ws().open();
    ws().server(logMsg(ID, 1));
    ws().server({
      type: 'status', session_id: ID, status: 'completed', log_seq: 2, exit_code: 0, signal: null,
      session: wireSession({ status: 'completed', log_seq: 2, exit_code: 0, updated_at: '2026-11-22T03:41:14.000Z' }),
    });
    expect(feed.complete).toBe(false);
    ws().server(logMsg(ID, 2));
    expect(feed.complete).toBe(true);
    expect(feed.session?.status).toBe('completed');
  });

  it('keeps the transcript items the daemon sends, through a reconnect that replays some', () => {
    const { ws, feed, timers } = setup(sessionFromWire(wireSession({ tool: 'gemini', transcript: true })));
    let notified = 0;
    feed.listen({ onTranscript: () => notified++ });
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 0, transcript: true }]);
    const item = (text: string) => ({ kind: 'text', role: 'assistant', text });
    const tx = (seq: number, updates: unknown[]) => ({ type: 'transcript', session_id: ID, seq, updates });
    ws().server(tx(1, [{ index: 0, item: { kind: 'init', agent: 'Gemini CLI', model: 'auto', cwd: null, tools: 0, version: null, conversation_id: 'c1' } }]));
    ws().server(logMsg(ID, 1));
    ws().server(tx(2, [{ index: 1, item: item('Hel') }]));
    ws().server(logMsg(ID, 2));
    ws().server(tx(3, [{ index: 1, item: item('Hello') }])); // its log message is lost with the connection
    ws().drop();
    timers.advance(500);
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 2, transcript: true }]);
    ws().server(tx(3, [{ index: 1, item: item('Hello') }])); // again: changes nothing
    ws().server(logMsg(ID, 3));
    expect(feed.transcript).toEqual([
      { kind: 'init', agent: 'Gemini CLI', model: 'auto', cwd: null, tools: 0, version: null, conversationId: 'c1' },
      { kind: 'text', role: 'assistant', text: 'Hello' },
    ]);
    expect(notified).toBe(4);
  });

  it('does not ask for a transcript the session does not have', () => {
    const { ws, feed } = setup(sessionFromWire(wireSession({ tool: 'shell' })));
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 0 }]);
    expect(feed.transcript).toEqual([]);
  });

  it('sends input and resize for its session', () => {
    const { ws, feed } = setup();
    ws().open();
    feed.input('ls\r');
    feed.resize(100, 30);
    expect(ws().sent.slice(-2)).toEqual([
      { type: 'input', session_id: ID, data: 'ls\r' },
      { type: 'resize', session_id: ID, cols: 100, rows: 30 },
    ]);
  });

  it('opened at the end of a long log: holds the window, subscribes after it, live output follows', () => {
    const { ws, feed } = setup(null, { chunks: [chunk(998), chunk(999), chunk(1000)], sinceSeq: 1000, transcript: null });
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 1000 }]);
    ws().server(logMsg(ID, 1000)); // a replay overlapping the window
    ws().server(logMsg(ID, 1001));
    expect(feed.chunks.map((c) => c.seq)).toEqual([998, 999, 1000, 1001]);
    expect(feed.firstSeq).toBe(998);
    expect(text(feed).startsWith('line 998')).toBe(true);
  });

  it('a transcript session continues the items it opened with, from the seq they were read to', () => {
    const items = [{ kind: 'text' as const, role: 'assistant' as const, text: 'hi' }];
    const { ws, feed } = setup(sessionFromWire(wireSession({ tool: 'claude', transcript: true })), { chunks: [], sinceSeq: 40, transcript: items });
    ws().open();
    expect(ws().subscribes()).toEqual([{ type: 'subscribe', session_id: ID, since_seq: 40, transcript: true }]);
    ws().server({ type: 'transcript', session_id: ID, seq: 41, updates: [{ index: 1, item: { kind: 'text', role: 'assistant', text: 'more' } }] });
    expect(feed.transcript.map((i) => (i.kind === 'text' ? i.text : ''))).toEqual(['hi', 'more']);
    expect(feed.firstSeq).toBe(41);
  });

  it('earlier output goes in front only when it joins the window without a gap, and listeners redraw', () => {
    const { feed } = setup(null, { chunks: [chunk(10), chunk(11)], sinceSeq: 11, transcript: null });
    const resets: number[] = [];
    feed.listen({ onReset: (n) => resets.push(n) });
    expect(feed.prepend([chunk(5), chunk(6)])).toBe(0); // a gap before 10: refused
    expect(feed.prepend([chunk(8), chunk(7), chunk(9)])).toBe(3); // three lines
    expect(feed.chunks.map((c) => c.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(resets).toEqual([3]);
    expect(feed.prepend([chunk(7)])).toBe(0); // nothing new
    expect(text(feed).startsWith('line 7\r\nline 8')).toBe(true);
  });

  it('a window opened mid-chunk gets that chunk whole when earlier output joins it', () => {
    const trimmed = { ...chunk(10), data: new TextEncoder().encode('b\r\n') }; // "line 10" cut to its tail
    const { feed } = setup(null, { chunks: [trimmed, chunk(11)], sinceSeq: 11, transcript: null });
    expect(feed.prepend([chunk(10)])).toBe(0); // whole now, but the part cut off had no newline
    expect(feed.prepend([chunk(9), chunk(10)])).toBe(1);
    expect(text(feed)).toBe('line 9\r\nline 10\r\nline 11\r\n');
    expect(feed.bytes).toBe(text(feed).length);
  });

  it('keeps the PTY at the size the page asked for, across reconnects', () => {
    const { ws, feed, timers } = setup();
    feed.keepSize(90, 33); // before the connection opened: sent once it does
    ws().open();
    expect(ws().sent.filter((m) => m.type === 'resize')).toEqual([{ type: 'resize', session_id: ID, cols: 90, rows: 33 }]);
    ws().drop();
    timers.advance(500);
    ws().open();
    expect(ws().sent.filter((m) => m.type === 'resize')).toEqual([{ type: 'resize', session_id: ID, cols: 90, rows: 33 }]);
    feed.releaseSize();
    ws().drop();
    timers.advance(1000);
    ws().open();
    expect(ws().sent.filter((m) => m.type === 'resize')).toEqual([]);
  });

  it('unsubscribes when disposed', () => {
    const { ws, feed } = setup();
    ws().open();
    feed.dispose();
    expect(ws().sent.at(-1)).toEqual({ type: 'unsubscribe', session_id: ID });
  });
});
