import { describe, expect, it } from 'vitest';
import { ApiError, type LogPage } from '../api/http';
import { chunkFromWire, type Chunk, type TranscriptItem } from '../api/model';
import { wireChunk } from '../test/fakes';
import { fetchEarlier, fetchRange, fetchRawLog, openLog, type LogSource } from './logOpen';
import { countLines, describeWindow, doubledLines, earlierRange, fallbackRange, MAX_LINES, rangeFrom, scrollbackFor, beyondDoubling } from './logWindow';

/** A daemon's log of `n` chunks of `perChunk` lines each, served like GET …/logs (capped pages). */
class FakeLog implements LogSource {
  readonly chunks: Chunk[];
  requests: string[] = [];
  served = 0;
  constructor(
    n: number,
    perChunk: number,
    private readonly capBytes = 8 * 1024 * 1024,
    private readonly items: TranscriptItem[] | null = null,
    private readonly itemsUpTo = n,
  ) {
    this.chunks = [];
    let offset = 0;
    for (let seq = 1; seq <= n; seq++) {
      let text = '';
      for (let l = 0; l < perChunk; l++) text += `line ${(seq - 1) * perChunk + l + 1}\n`;
      const c = { ...chunkFromWire(wireChunk(seq, text)), offset };
      offset += c.data.length;
      this.chunks.push(c);
    }
  }
  async logs(_id: string, q: { afterSeq?: number; tail?: number; limit?: number }): Promise<LogPage> {
    this.requests.push(JSON.stringify(q));
    let start = (q.afterSeq ?? 0) + 1;
    if (q.tail !== undefined) {
      let lines = 0;
      start = this.chunks.length + 1;
      while (start > 1 && lines < q.tail) lines += countLines([this.chunks[--start - 1]!]);
    }
    const out: Chunk[] = [];
    let bytes = 0;
    for (let seq = start; seq <= this.chunks.length && out.length < (q.limit ?? 1e9); seq++) {
      const c = this.chunks[seq - 1]!;
      if (out.length && bytes + c.data.length > this.capBytes) break;
      out.push(c);
      bytes += c.data.length;
    }
    this.served += bytes;
    return { chunks: out, lastSeq: out.length ? out[out.length - 1]!.seq : start - 1, logSeq: this.chunks.length, status: 'completed' };
  }
  async transcript(): Promise<{ items: TranscriptItem[]; logSeq: number }> {
    if (!this.items) throw new ApiError(422, 'no_transcript', 'a terminal stream');
    return { items: this.items, logSeq: this.itemsUpTo };
  }
  get logBytes() {
    return this.chunks.reduce((n, c) => n + c.data.length, 0);
  }
}

const seqs = (cs: Chunk[]) => cs.map((c) => c.seq);

describe('log window arithmetic', () => {
  it('doubling the window asks for as many chunks again before it, down to seq 1', () => {
    expect(earlierRange(1001, 1000)).toEqual({ afterSeq: 0, limit: 1000 });
    expect(earlierRange(9001, 1000)).toEqual({ afterSeq: 8000, limit: 1000 });
    expect(earlierRange(500, 1000)).toEqual({ afterSeq: 0, limit: 499 });
    expect(earlierRange(1, 1000)).toBeNull();
    // An empty window (nothing held yet) still moves back one chunk.
    expect(earlierRange(10, 0)).toEqual({ afterSeq: 8, limit: 1 });
  });

  it('a typed seq loads from it up to the window', () => {
    expect(rangeFrom(100, 5000)).toEqual({ afterSeq: 99, limit: 4900 });
    expect(rangeFrom(0, 5000)).toEqual({ afterSeq: 0, limit: 4999 });
    expect(rangeFrom(5000, 5000)).toBeNull();
    expect(rangeFrom(Number.NaN, 5000)).toBeNull();
  });

  it('a capped tail falls back to the last chunks that fit the byte budget', () => {
    // 8 MiB in 128 chunks = 64 KiB a chunk; 4 MiB of them is the last 64.
    expect(fallbackRange(8 << 20, 128, 10_000, 4 << 20)).toEqual({ afterSeq: 10_000 - 64, limit: 64 });
    expect(fallbackRange(100, 1, 3, 4 << 20)).toEqual({ afterSeq: 0, limit: 3 });
  });

  it('scrollback holds what was loaded, within bounds', () => {
    expect(scrollbackFor(2000)).toBe(50_000);
    expect(scrollbackFor(100_000)).toBe(135_000);
    expect(scrollbackFor(10_000_000)).toBe(MAX_LINES + 20_000);
    expect(doubledLines(100)).toBe(4000);
    expect(doubledLines(30_000)).toBe(60_000);
    expect(beyondDoubling(MAX_LINES / 2)).toBe(false);
    expect(beyondDoubling(MAX_LINES / 2 + 1)).toBe(true);
  });

  it('says how much of the log is shown', () => {
    expect(describeWindow(1, 85, 756, 756)).toEqual({ whole: true, text: '756 B · seq 85' });
    expect(describeWindow(16990, 17001, 144_000, 73_400_320)).toEqual({ whole: false, text: 'Last 140.6 KiB of 70.0 MiB · seq 16,990–17,001' });
  });
});

describe('opening a log at its end', () => {
  it('a 1,000,000-line log: fetches the last lines only, and subscribes from the end', async () => {
    const log = new FakeLog(20_000, 50); // 20,000 chunks of 50 lines
    const opened = await openLog(log, { id: 'x', transcript: false }, 2000);
    expect(seqs(opened.chunks)).toEqual(Array.from({ length: 40 }, (_, i) => 19_961 + i));
    expect(opened.sinceSeq).toBe(20_000);
    expect(opened.transcript).toBeNull();
    expect(log.requests).toEqual([JSON.stringify({ tail: 2000 })]);
    expect(log.served).toBeLessThan(log.logBytes / 100);
  });

  it('last lines too big for a page: the last chunks that fit a few MB instead', async () => {
    const log = new FakeLog(1000, 100, 20_000); // ~1.2 KB a chunk, pages capped at 20 KB
    const opened = await openLog(log, { id: 'x', transcript: false }, 5000);
    expect(opened.chunks[opened.chunks.length - 1]!.seq).toBe(1000);
    expect(opened.sinceSeq).toBe(1000);
    // Consecutive, ending at the log's end.
    const s = seqs(opened.chunks);
    expect(s.every((v, i) => i === 0 || v === s[i - 1]! + 1)).toBe(true);
  });

  it('a transcript session opens where the transcript stopped reading, so its updates continue the items', async () => {
    const items: TranscriptItem[] = [{ kind: 'text', role: 'assistant', text: 'hi' }];
    // The log grew past what GET …/transcript read (seq 95): the window ends at 95.
    const log = new FakeLog(100, 10, 8 << 20, items, 95);
    const opened = await openLog(log, { id: 'x', transcript: true }, 200);
    expect(opened.sinceSeq).toBe(95);
    expect(opened.transcript).toEqual(items);
    expect(opened.chunks[opened.chunks.length - 1]!.seq).toBe(95);
    // A transcript that read further than the tail's page: the chunks up to it are fetched.
    const log2 = new FakeLog(100, 10, 500, items, 100);
    const opened2 = await openLog(log2, { id: 'x', transcript: true }, 200);
    expect(opened2.sinceSeq).toBe(100);
    expect(opened2.chunks[opened2.chunks.length - 1]!.seq).toBe(100);
  });

  it('a session without transcript items (422) opens on its log alone', async () => {
    const log = new FakeLog(10, 1);
    const opened = await openLog(log, { id: 'x', transcript: true }, 5);
    expect(opened.transcript).toBeNull();
    expect(seqs(opened.chunks)).toEqual([6, 7, 8, 9, 10]);
  });

  it('earlier output: the chunks of twice the lines, up to and including the window\'s first (whole)', async () => {
    const log = new FakeLog(100, 10); // 1,000 lines
    const opened = await openLog(log, { id: 'x', transcript: false }, 45); // seqs 96..100
    expect(seqs(opened.chunks)).toEqual([96, 97, 98, 99, 100]);
    // The last 90 lines start at chunk 92; 96 comes whole, to replace a trimmed first chunk.
    const at96 = { seq: 96, bytes: log.chunks[95]!.data.length, held: 5 };
    const got = await fetchEarlier(log, 'x', 90, at96);
    expect(seqs(got)).toEqual([92, 93, 94, 95, 96]);
    // When the last lines all come after the window (it grew), as many chunks again as it holds.
    expect(seqs(await fetchEarlier(log, 'x', 5, { seq: 50, bytes: 100, held: 3 }))).toEqual([47, 48, 49, 50]);
    expect(await fetchEarlier(log, 'x', 90, { seq: 1, bytes: 100, held: 5 })).toEqual([]);
    // A window that shows only the end of its one (long) first chunk: more of that chunk.
    expect(seqs(await fetchEarlier(log, 'x', 10, { seq: 100, bytes: 8, held: 1 }))).toEqual([100]);
  });

  it('a range is fetched page by page across the cap', async () => {
    const log = new FakeLog(50, 10, 300);
    const got = await fetchRange(log, 'x', { afterSeq: 10, limit: 30 });
    expect(seqs(got)).toEqual(Array.from({ length: 30 }, (_, i) => 11 + i));
    expect(log.requests.length).toBeGreaterThan(1);
  });
});

describe('downloading the whole log', () => {
  it('pages through the raw log following the last seq each page reached, until log_seq', async () => {
    const enc = new TextEncoder();
    const asked: number[] = [];
    // Pages of at most 3 chunks, chunk n being "n\n".
    const src = {
      rawLogPage: async (_id: string, after: number) => {
        asked.push(after);
        const last = Math.min(after + 3, 7);
        let text = '';
        for (let n = after + 1; n <= last; n++) text += `${n}\n`;
        return { data: enc.encode(text).buffer as ArrayBuffer, lastSeq: last };
      },
    };
    const parts = await fetchRawLog(src, 'x', 7);
    expect(asked).toEqual([0, 3, 6]);
    expect(new TextDecoder().decode(new Uint8Array(await new Blob(parts).arrayBuffer()))).toBe('1\n2\n3\n4\n5\n6\n7\n');
    // A log_seq beyond what the daemon has (it shrank? a stale record): stops when a page adds nothing.
    asked.length = 0;
    await fetchRawLog(src, 'x', 50);
    expect(asked).toEqual([0, 3, 6, 7]);
  });
});
