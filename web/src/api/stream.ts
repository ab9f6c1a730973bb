// One WebSocket connection to /api/stream carrying any number of session subscriptions, with
// reconnection. A subscriber says where its log stands (`sinceSeq()`): each (re)subscribe asks
// the daemon to replay from there, so a dropped connection costs no byte and — with the
// subscriber's SeqMerger — duplicates nothing.
//
// Browsers cannot set headers on a WebSocket: the token travels as the subprotocol
// "bearer.<token>" next to "agentmux.v1" (docs/api.md).
import { chunkFromWire, eventFromWire, sessionFromWire, updateFromWire, type Chunk, type Session, type SessionEvent, type TranscriptUpdate } from './model';
import type { ClientMessage, ServerMessage } from './wire';

/**
 * since_seq for a subscription that wants status and events but no log bytes: "every chunk
 * with seq > N" is nothing when N is beyond any real seq (the session list uses this).
 */
export const STATUS_ONLY = Number.MAX_SAFE_INTEGER;

export interface StreamHandlers {
  /** Where this subscriber's log stands: the daemon replays every chunk after it. */
  sinceSeq: () => number;
  onLog?: (chunk: Chunk) => void;
  /**
   * Ask for the session's transcript too: the daemon sends the item updates each chunk caused,
   * before that chunk's log message, with indexes counted from the first item (docs/api.md).
   */
  transcript?: boolean;
  onTranscript?: (seq: number, updates: TranscriptUpdate[]) => void;
  onStatus?: (session: Session, logSeq: number) => void;
  onEvent?: (event: SessionEvent) => void;
  /** The daemon fell behind sending to us and is catching up from the store by itself. */
  onResync?: (fromSeq: number) => void;
  onError?: (code: string, message: string) => void;
}

/** Hears every session that is created or changes (the `watch` message), without subscribing. */
export interface Watcher {
  onStatus: (session: Session) => void;
  onDeleted?: (sessionId: string) => void;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export interface StreamOptions {
  url: string;
  token: string;
  factory?: WebSocketFactory;
  /** Backoff for reconnects, ms: min(maxDelay, minDelay·2^attempt). */
  minDelay?: number;
  maxDelay?: number;
  pingEvery?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

const OPEN = 1;

export function streamUrl(loc: Location = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/stream`;
}

export class StreamConnection {
  private ws: WebSocketLike | null = null;
  // Several subscribers may share a session; the daemon is asked for the earliest need.
  private readonly subs = new Map<string, Set<StreamHandlers>>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private readonly watchers = new Set<Watcher>();
  private stateValue: ConnectionState = 'connecting';
  private attempt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private closedByUs = false;
  private readonly opts: Required<Omit<StreamOptions, 'factory'>> & { factory: WebSocketFactory };

  constructor(opts: StreamOptions) {
    this.opts = {
      minDelay: 500,
      maxDelay: 8000,
      pingEvery: 25000,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      factory: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
      ...opts,
    } as StreamConnection['opts'];
    this.connect();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  onState(fn: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  subscribe(sessionId: string, handlers: StreamHandlers): () => void {
    let set = this.subs.get(sessionId);
    if (!set) this.subs.set(sessionId, (set = new Set()));
    set.add(handlers);
    this.sendSubscribe(sessionId);
    return () => this.unsubscribe(sessionId, handlers);
  }

  /** Status messages of every session (created or changed) and deletions, for as long as `w` stays. */
  watchAll(w: Watcher): () => void {
    this.watchers.add(w);
    if (this.watchers.size === 1) this.send({ type: 'watch' });
    return () => {
      if (this.watchers.delete(w) && this.watchers.size === 0) this.send({ type: 'unwatch' });
    };
  }

  unsubscribe(sessionId: string, handlers: StreamHandlers): void {
    const set = this.subs.get(sessionId);
    if (!set || !set.delete(handlers)) return;
    if (set.size > 0) return;
    this.subs.delete(sessionId);
    this.send({ type: 'unsubscribe', session_id: sessionId });
  }

  /** Asks the daemon to replay again from where the subscriber stands (after a gap). */
  resubscribe(sessionId: string): void {
    this.sendSubscribe(sessionId);
  }

  subscribedIds(): string[] {
    return [...this.subs.keys()];
  }

  /** Typed text (or raw bytes as base64) for a PTY session. */
  input(sessionId: string, data: string, binary = false): boolean {
    return this.send(binary ? { type: 'input', session_id: sessionId, data_b64: data } : { type: 'input', session_id: sessionId, data });
  }

  resize(sessionId: string, cols: number, rows: number): boolean {
    return this.send({ type: 'resize', session_id: sessionId, cols, rows });
  }

  close(): void {
    this.closedByUs = true;
    this.clearTimers();
    this.subs.clear();
    this.watchers.clear();
    this.setState('closed');
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onerror = ws.onopen = null;
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
  }

  private setState(s: ConnectionState): void {
    if (this.stateValue === s) return;
    this.stateValue = s;
    for (const fn of this.stateListeners) fn(s);
  }

  private send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private sendSubscribe(sessionId: string): void {
    const set = this.subs.get(sessionId);
    if (!set || set.size === 0) return;
    let since = Infinity;
    let transcript = false;
    for (const h of set) {
      since = Math.min(since, h.sinceSeq());
      transcript ||= h.transcript === true;
    }
    const since_seq = Math.max(0, Math.min(since, STATUS_ONLY));
    this.send(transcript ? { type: 'subscribe', session_id: sessionId, since_seq, transcript } : { type: 'subscribe', session_id: sessionId, since_seq });
  }

  private each(sessionId: string, fn: (h: StreamHandlers) => void): void {
    const set = this.subs.get(sessionId);
    if (set) for (const h of [...set]) fn(h);
  }

  private connect(): void {
    if (this.closedByUs) return;
    let ws: WebSocketLike;
    try {
      ws = this.opts.factory(this.opts.url, ['agentmux.v1', `bearer.${this.opts.token}`]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
      if (this.watchers.size) this.send({ type: 'watch' });
      for (const id of this.subs.keys()) this.sendSubscribe(id);
      this.schedulePing();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      this.dispatch(msg);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.closedByUs) return;
    this.setState('reconnecting');
    const delay = Math.min(this.opts.maxDelay, this.opts.minDelay * 2 ** this.attempt);
    this.attempt++;
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private schedulePing(): void {
    this.pingTimer = this.opts.setTimer(() => {
      this.send({ type: 'ping' });
      this.schedulePing();
    }, this.opts.pingEvery);
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) this.opts.clearTimer(this.retryTimer);
    if (this.pingTimer !== null) this.opts.clearTimer(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
  }

  private dispatch(msg: ServerMessage): void {
    switch (msg.type) {
      case 'log': {
        const chunk = chunkFromWire(msg);
        this.each(msg.session_id, (h) => h.onLog?.(chunk));
        return;
      }
      case 'status': {
        const session = sessionFromWire(msg.session);
        this.each(msg.session_id, (h) => h.onStatus?.(session, msg.log_seq));
        for (const w of [...this.watchers]) w.onStatus(session);
        return;
      }
      case 'event': {
        const ev = eventFromWire(msg);
        this.each(msg.session_id, (h) => h.onEvent?.(ev));
        return;
      }
      case 'transcript': {
        const updates = msg.updates.map(updateFromWire);
        this.each(msg.session_id, (h) => h.onTranscript?.(msg.seq, updates));
        return;
      }
      case 'resync': {
        this.each(msg.session_id, (h) => h.onResync?.(msg.from_seq));
        return;
      }
      case 'deleted': {
        for (const w of [...this.watchers]) w.onDeleted?.(msg.session_id);
        return;
      }
      case 'error': {
        // An error about one session goes to its subscribers; one without an id to every subscriber.
        const ids = msg.session_id && this.subs.has(msg.session_id) ? [msg.session_id] : [...this.subs.keys()];
        for (const id of ids) this.each(id, (h) => h.onError?.(msg.error.code, msg.error.message));
        return;
      }
      default:
        return;
    }
  }
}
