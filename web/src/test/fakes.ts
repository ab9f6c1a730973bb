// Test doubles: a scriptable WebSocket and a manual timer queue.
import type { WebSocketLike } from '../api/stream';
import type { WireChunk, WirePlan, WireSession } from '../api/wire';

export class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.readyState = 3;
  }
  // Server side of the test:
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
    this.server({ type: 'hello', protocol: 1, version: 'test' });
  }
  server(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  subscribes(): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === 'subscribe');
  }
}

export class Timers {
  private queue: { fn: () => void; at: number; id: number }[] = [];
  private nextId = 1;
  now = 0;
  set = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.queue.push({ fn, at: this.now + ms, id });
    return id;
  };
  clear = (id: unknown): void => {
    this.queue = this.queue.filter((t) => t.id !== id);
  };
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const t = this.queue[0];
      if (!t || t.at > until) break;
      this.queue.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = until;
  }
}

export function wireSession(over: Partial<WireSession> = {}): WireSession {
  return {
    id: '01a20157-fca1-7806-b1c1-ba60031bd957',
    project_path: '/tmp/proj',
    spec_ids: ['001'],
    prompt: 'hi',
    tool: 'shell',
    mode: 'autonomous',
    status: 'running',
    exit_code: null,
    signal: null,
    pid: 42,
    started_at: '2026-11-22T03:41:13.251Z',
    ended_at: null,
    duration_ms: null,
    token_count: null,
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_creation_tokens: null,
    cost_usd: null,
    conversation: null,
    num_turns: null,
    agent_session_id: null,
    parent_id: null,
    kind: 'agent',
    position: null,
    plan: null,
    worktree: null,
    changes: null,
    command: ['sh', '-c', 'echo hi'],
    env: {},
    metadata: {},
    error: null,
    created_at: '2026-11-22T03:41:13.249Z',
    updated_at: '2026-11-22T03:41:13.251Z',
    archived_at: null,
    log_seq: 0,
    log_bytes: 0,
    transcript: false,
    name: null,
    short_id: null,
    attention: null,
    ...over,
  };
}

export const wirePlan = (over: Partial<WirePlan> = {}): WirePlan => ({
  name: 'add-login',
  tasks: [
    { prompt: 'one', spec: null, command: null, tool: null, verify: null, max_attempts: null },
    { prompt: 'two', spec: null, command: null, tool: null, verify: 'npm test', max_attempts: 3 },
    { prompt: 'three', spec: null, command: null, tool: null, verify: null, max_attempts: null },
  ],
  current: 1,
  conversation_id: 'conv-1',
  budget: null,
  spent: { tokens: 10, cost_usd: 0.01, time_ms: 1000 },
  end_reason: null,
  ...over,
});

const enc = new TextEncoder();
export function wireChunk(seq: number, text: string, tsMs = 1000 + seq * 100): WireChunk {
  const bytes = enc.encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return {
    seq,
    offset: 0,
    timestamp: new Date(tsMs).toISOString(),
    ts_ms: tsMs,
    level: 'pty',
    data: btoa(bin),
  };
}

export function logMsg(sessionId: string, seq: number, text = `line ${seq}\r\n`) {
  return { type: 'log', session_id: sessionId, ...wireChunk(seq, text) };
}
