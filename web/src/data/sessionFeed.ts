// Everything the detail page knows about one session, kept current from the stream: the
// session record, its log (ordered, exact, no gap or duplicate, across reconnects and resyncs),
// its transcript items (for a session the daemon reads into items) and its events. Plain
// TypeScript so it can be tested without a browser; React subscribes.
import type { Chunk, Session, SessionEvent, TranscriptItem } from '../api/model';
import type { StreamConnection } from '../api/stream';
import { countLines } from './logWindow';
import { SeqMerger } from './seqMerge';
import { applyUpdate, isTerminal } from './status';
import { applyUpdates } from './transcript';

export interface FeedListener {
  onChunk?: (c: Chunk) => void;
  /** Earlier output was put in front (`prepend`): draw `feed.chunks` again; `lines` of it are new. */
  onReset?: (lines: number) => void;
  onSession?: (s: Session) => void;
  onEvent?: (e: SessionEvent) => void;
  /** The transcript changed (items added or grown); read `feed.transcript`. */
  onTranscript?: () => void;
  onError?: (code: string, message: string) => void;
}

/** Where the feed starts (logOpen.ts): the window's chunks, the seq to subscribe after, the transcript so far. */
export interface FeedStart {
  chunks: Chunk[];
  sinceSeq: number;
  transcript: TranscriptItem[] | null;
}

export class SessionFeed {
  /** The chunks held, in seq order: the window opened with, earlier ones loaded since, and all live ones. */
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
  private size: { cols: number; rows: number } | null = null;
  private readonly offState: () => void;
  /** Log messages dropped as already seen (a reconnect's replay overlaps what we had). */
  duplicates = 0;
  resyncs = 0;

  constructor(
    private readonly conn: StreamConnection,
    readonly sessionId: string,
    initial: Session | null = null,
    start: FeedStart | null = null,
  ) {
    this.sessionValue = initial;
    const seed = start?.chunks ?? [];
    const since = seed.length ? seed[0]!.seq - 1 : (start?.sinceSeq ?? 0);
    this.merger = new SeqMerger<Chunk>((c) => {
      this.chunks.push(c);
      this.bytes += c.data.length;
      for (const l of this.listeners) l.onChunk?.(c);
    }, since);
    for (const c of seed) this.merger.push(c);
    if (start?.transcript) this.transcript.push(...start.transcript);
    // A size the page asked for is sent again on every (re)connection.
    this.offState = conn.onState((st) => {
      if (st === 'open' && this.size) this.conn.resize(this.sessionId, this.size.cols, this.size.rows);
    });
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

  /** The first seq held (lastSeq + 1 while none is). Earlier ones are loaded on request. */
  get firstSeq(): number {
    return this.chunks.length ? this.chunks[0]!.seq : this.merger.lastSeq + 1;
  }

  /** Log bytes before the first chunk held plus all held: where the log stands. */
  get endOffset(): number {
    const last = this.chunks[this.chunks.length - 1];
    return last ? last.offset + last.data.length : 0;
  }

  /**
   * Puts earlier output in front: chunks before the first held, ending right before it (seq order,
   * no gap), and/or a longer version of the first held one (the window's first chunk may have
   * been trimmed to its last lines). Returns the lines added; listeners redraw from the start
   * (onReset).
   */
  prepend(earlier: readonly Chunk[]): number {
    const first = this.firstSeq;
    const take = earlier.filter((c) => c.seq < first).sort((a, b) => a.seq - b.seq);
    if (take.length && take[take.length - 1]!.seq !== first - 1) return 0;
    for (let i = 1; i < take.length; i++) if (take[i]!.seq !== take[i - 1]!.seq + 1) return 0;
    const held = this.chunks[0];
    const whole = earlier.find((c) => c.seq === first && held && c.data.length > held.data.length);
    if (!take.length && !whole) return 0;
    let added = countLines(take);
    if (whole && held) {
      added += countLines([whole]) - countLines([held]);
      this.bytes += whole.data.length - held.data.length;
      this.chunks[0] = whole;
    }
    this.chunks.unshift(...take);
    this.bytes += take.reduce((n, c) => n + c.data.length, 0);
    for (const l of this.listeners) l.onReset?.(added);
    return added;
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

  /** The PTY should have this size: sent now if connected, and again on each reconnection. */
  keepSize(cols: number, rows: number): void {
    this.size = { cols, rows };
    this.conn.resize(this.sessionId, cols, rows);
  }

  /** No longer sets the PTY's size. */
  releaseSize(): void {
    this.size = null;
  }

  dispose(): void {
    this.offState();
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
