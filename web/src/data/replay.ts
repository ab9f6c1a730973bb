// Plays a finished session's chunks back with their original timing (ts_ms), at 1×/2×/8×,
// with pause and seek. Time is "ms since the first chunk". The engine only decides what to
// write when; the page drives it with timers and owns the terminal (the sink).
import type { Chunk } from '../api/model';

export interface ReplaySink {
  reset(): void;
  write(chunks: Chunk[]): void;
}

export interface Clock {
  now(): number;
}

export class ReplayEngine {
  private idx = 0;
  private pos = 0; // playback position, ms since the first chunk
  private anchorNow = 0; // clock time at which `pos` was last fixed while playing
  private playingValue = false;
  private speedValue = 1;
  private readonly t0: number;
  readonly duration: number;

  constructor(
    private readonly chunks: readonly Chunk[],
    private readonly sink: ReplaySink,
    private readonly clock: Clock = { now: () => performance.now() },
  ) {
    this.t0 = chunks.length ? chunks[0]!.tsMs : 0;
    this.duration = chunks.length ? Math.max(0, chunks[chunks.length - 1]!.tsMs - this.t0) : 0;
  }

  get playing(): boolean {
    return this.playingValue;
  }
  get speed(): number {
    return this.speedValue;
  }
  get ended(): boolean {
    return this.idx >= this.chunks.length;
  }
  /** Index of the next chunk to write. */
  get written(): number {
    return this.idx;
  }

  position(): number {
    if (!this.playingValue) return this.pos;
    return Math.min(this.duration, this.pos + (this.clock.now() - this.anchorNow) * this.speedValue);
  }

  play(): void {
    if (this.playingValue) return;
    if (this.ended) this.seek(0);
    this.anchorNow = this.clock.now();
    this.playingValue = true;
    this.tick();
  }

  pause(): void {
    if (!this.playingValue) return;
    this.pos = this.position();
    this.playingValue = false;
  }

  setSpeed(speed: number): void {
    this.pos = this.position();
    this.anchorNow = this.clock.now();
    this.speedValue = speed;
  }

  /** Jumps to `ms`: going back redraws from the start at once, going forward writes the gap. */
  seek(ms: number): void {
    const target = Math.max(0, Math.min(this.duration, ms));
    if (target < this.position() || target === 0) {
      this.sink.reset();
      this.idx = 0;
    }
    this.pos = target;
    this.anchorNow = this.clock.now();
    this.flushUntil(target);
  }

  /** Writes what is due; returns ms until the next chunk is due (Infinity when done/paused). */
  tick(): number {
    const p = this.position();
    this.flushUntil(p);
    if (this.ended) {
      if (this.playingValue) {
        this.pos = this.duration;
        this.playingValue = false;
      }
      return Infinity;
    }
    if (!this.playingValue) return Infinity;
    const dueAt = this.chunks[this.idx]!.tsMs - this.t0;
    return Math.max(0, (dueAt - p) / this.speedValue);
  }

  private flushUntil(ms: number): void {
    const batch: Chunk[] = [];
    while (this.idx < this.chunks.length && this.chunks[this.idx]!.tsMs - this.t0 <= ms) {
      batch.push(this.chunks[this.idx]!);
      this.idx++;
    }
    if (batch.length) this.sink.write(batch);
  }
}
