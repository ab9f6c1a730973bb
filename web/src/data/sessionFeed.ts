// Everything the detail page knows about one session, kept current from the stream: the
// session record, its log (ordered, exact, no gap or duplicate, across reconnects and resyncs),
// its transcript items (for a session the daemon reads into items) and its events. Plain
// TypeScript so it can be tested without a browser; React subscribes.
import type { Chunk, Session, SessionEvent, TranscriptItem } from '../api/model';
import type { StreamConnection } from '../api/stream';
import { SeqMerger } from './seqMerge';
import { applyUpdate, isTerminal } from './status';
import { applyUpdates } from './transcript';

export interface FeedListener {
  onChunk?: (c: Chunk) => void;
  onSession?: (s: Session) => void;
  onEvent?: (e: SessionEvent) => void;
  /** The transcript changed (items added or grown); read `feed.transcript`. */
  onTranscript?: () => void;
  onError?: (code: string, message: string) => void;
}

export class SessionFeed {
  /** Every chunk delivered so far, in seq order. */
  readonly chunks: Chunk[] = [];
  /** Their total size in bytes. */
  bytes = 0;
  /**
   * The transcript items so far (sessions whose `transcript` is true). They follow the log: a
   * resubscribe from the last seq gets the updates after it (or again; applying twice is harmless).
   */
  readonly transcript: TranscriptItem[] = [];
  private sessionValue: Session | null;
  private readonly merger: SeqMerger<Chunk>;
  private readonly listeners = new Set<FeedListener>();
  private unsubscribe: (() => void) | null = null;
  private gapAskedAt = -1;
  /** Log messages dropped as already seen (a reconnect's replay overlaps what we had). */
  duplicates = 0;
  resyncs = 0;

  constructor(
    private readonly conn: StreamConnection,
    readonly sessionId: string,
    initial: Session | null = null,
  ) {
    this.sessionValue = initial;
    this.merger = new SeqMerger<Chunk>((c) => {
      this.chunks.push(c);
      this.bytes += c.data.length;
      for (const l of this.listeners) l.onChunk?.(c);
    }, 0);
    this.unsubscribe = conn.subscribe(sessionId, {
      sinceSeq: () => this.merger.lastSeq,
      transcript: initial?.transcript === true,
      onTranscript: (_seq, updates) => {
        if (!applyUpdates(this.transcript, updates)) return;
        for (const l of this.listeners) l.onTranscript?.();
      },
      onLog: (c) => this.onLog(c),
      onStatus: (s, logSeq) => this.onStatus(s, logSeq),
      onEvent: (e) => {
        for (const l of this.listeners) l.onEvent?.(e);
      },
      onResync: () => {
        // The daemon catches us up from the store by itself: keep everything, keep going.
        this.resyncs++;
      },
      onError: (code, message) => {
        for (const l of this.listeners) l.onError?.(code, message);
      },
    });
  }

  get session(): Session | null {
    return this.sessionValue;
  }

  get lastSeq(): number {
    return this.merger.lastSeq;
  }

  /** The session ended and its whole log is here. */
  get complete(): boolean {
    return this.merger.complete;
  }

  listen(l: FeedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** A session record from elsewhere (an action's answer): merged like a status message. */
  updateSession(s: Session): void {
    const next = applyUpdate(this.sessionValue ?? undefined, s);
    if (next === this.sessionValue) return;
    this.sessionValue = next;
    for (const l of this.listeners) l.onSession?.(next);
  }

  input(data: string): boolean {
    return this.conn.input(this.sessionId, data);
  }

  inputBytes(b64: string): boolean {
    return this.conn.input(this.sessionId, b64, true);
  }

  resize(cols: number, rows: number): boolean {
    return this.conn.resize(this.sessionId, cols, rows);
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.listeners.clear();
  }

  private onLog(c: Chunk): void {
    const r = this.merger.push(c);
    if (r === 'duplicate') this.duplicates++;
    if (r === 'buffered' && this.gapAskedAt !== this.merger.lastSeq) {
      // Never happens on one healthy connection; if it does, ask for the missing part again.
      this.gapAskedAt = this.merger.lastSeq;
      this.conn.resubscribe(this.sessionId);
    }
  }

  private onStatus(s: Session, logSeq: number): void {
    if (isTerminal(s.status)) this.merger.setFinal(logSeq);
    else this.merger.clearFinal();
    this.updateSession(s);
  }
}
