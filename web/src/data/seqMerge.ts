// Merges a session's log chunks, from any mix of store replay, live stream, a reconnect's
// re-replay and a server-side resync, into one ordered sequence: every seq delivered exactly
// once, in order, with no gap. Chunks already seen are dropped; a chunk that arrives ahead of a
// missing one waits until the hole is filled (the caller re-subscribes from `lastSeq`).

export type PushResult = 'delivered' | 'duplicate' | 'buffered';

export class SeqMerger<C extends { seq: number }> {
  private last: number;
  private final: number | null = null;
  private readonly pending = new Map<number, C>();

  /** `since`: the seq the subscription started after (0 = from the beginning). */
  constructor(
    private readonly deliver: (chunk: C) => void,
    since = 0,
  ) {
    this.last = since;
  }

  /** Highest seq delivered with nothing missing before it; subscribe with since_seq = this. */
  get lastSeq(): number {
    return this.last;
  }

  /** The session's final log_seq, once a terminal status has said it. */
  get finalSeq(): number | null {
    return this.final;
  }

  /** Chunks are waiting behind a missing seq. */
  get hasGap(): boolean {
    return this.pending.size > 0;
  }

  /** The first missing seq when there is a gap, else null. */
  get missingFrom(): number | null {
    return this.pending.size > 0 ? this.last + 1 : null;
  }

  /** The session ended and every chunk up to its final log_seq was delivered. */
  get complete(): boolean {
    return this.final !== null && this.last >= this.final;
  }

  push(chunk: C): PushResult {
    const seq = chunk.seq;
    if (!Number.isInteger(seq) || seq <= this.last || this.pending.has(seq)) return 'duplicate';
    if (seq !== this.last + 1) {
      this.pending.set(seq, chunk);
      return 'buffered';
    }
    this.deliver(chunk);
    this.last = seq;
    for (let next = this.pending.get(this.last + 1); next; next = this.pending.get(this.last + 1)) {
      this.pending.delete(next.seq);
      this.deliver(next);
      this.last = next.seq;
    }
    return 'delivered';
  }

  /** A terminal status carries the final log_seq: everything is here once lastSeq reaches it. */
  setFinal(logSeq: number): void {
    this.final = logSeq;
  }

  /** A status that is not terminal again (an interrupted session resumed): more may come. */
  clearFinal(): void {
    this.final = null;
  }
}
