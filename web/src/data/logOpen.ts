// Opening a session's log at its end (see logWindow.ts): the last lines over HTTP, then the
// stream from there. A session with a transcript is opened where GET …/transcript stopped reading,
// so that the stream's transcript updates continue its items (docs/api.md, `since_seq`).
import { ApiError, type LogPage } from '../api/http';
import type { Chunk, TranscriptItem } from '../api/model';
import { earlierRange, fallbackRange, TAIL_LINES, type SeqRange } from './logWindow';

/** What of the API the loader uses (Api has it; tests fake it). */
export interface LogSource {
  logs(id: string, q: { afterSeq?: number; tail?: number; limit?: number }): Promise<LogPage>;
  transcript(id: string): Promise<{ items: TranscriptItem[]; logSeq: number }>;
}

export interface OpenedLog {
  /** The window's chunks, in seq order (the first may start mid-chunk: trimmed to the last lines). */
  chunks: Chunk[];
  /** Subscribe from here: every chunk after it comes over the stream. */
  sinceSeq: number;
  /** The transcript items up to sinceSeq, for a session that has them; else null. */
  transcript: TranscriptItem[] | null;
}

/** The chunks of `range`, page by page (pages are capped); stops early at a hole or the end. */
export async function fetchRange(src: LogSource, id: string, range: SeqRange): Promise<Chunk[]> {
  const out: Chunk[] = [];
  const end = range.afterSeq + range.limit;
  let after = range.afterSeq;
  while (after < end) {
    const page = await src.logs(id, { afterSeq: after, limit: end - after });
    const got = page.chunks.filter((c) => c.seq > after && c.seq <= end);
    if (!got.length) break;
    out.push(...got);
    after = got[got.length - 1]!.seq;
  }
  return out;
}

/**
 * Earlier output for a window starting at `firstSeq`: the chunks covering the log's last `lines`
 * lines (GET …/logs?tail=N) up to and including `first.seq` — whole, since the window's first
 * chunk (`first.bytes` of it held) may have been trimmed to its last lines; or just more of that
 * chunk. Falls back to as many chunks again as the window holds (`first.held`) when the last
 * `lines` lines all come after it (a live log grew meanwhile).
 */
export async function fetchEarlier(src: LogSource, id: string, lines: number, first: { seq: number; bytes: number; held: number }): Promise<Chunk[]> {
  const firstSeq = first.seq;
  const page = await src.logs(id, { tail: lines });
  const got = page.chunks.filter((c) => c.seq <= firstSeq);
  // More of the window's first chunk (it holds more lines than were shown) is earlier output too.
  if (got.length === 1 && got[0]!.seq === firstSeq && got[0]!.data.length > first.bytes) return got;
  if (firstSeq <= 1) return [];
  const held = first.held;
  if (!got.length || got[0]!.seq >= firstSeq) {
    const r = earlierRange(firstSeq, held);
    return r ? fetchRange(src, id, { afterSeq: r.afterSeq, limit: r.limit + 1 }) : [];
  }
  const last = got[got.length - 1]!.seq;
  if (last < firstSeq) got.push(...(await fetchRange(src, id, { afterSeq: last, limit: firstSeq - last })));
  return got;
}

export async function openLog(src: LogSource, s: { id: string; transcript: boolean }, tailLines = TAIL_LINES): Promise<OpenedLog> {
  let items: TranscriptItem[] | null = null;
  let upTo: number | null = null;
  if (s.transcript) {
    try {
      const t = await src.transcript(s.id);
      items = t.items;
      upTo = t.logSeq;
    } catch (e) {
      // no_transcript, log_too_large: the log alone.
      if (!(e instanceof ApiError) || e.status !== 422) throw e;
    }
  }
  const page = await src.logs(s.id, { tail: tailLines });
  let chunks = page.chunks;
  if (chunks.length && page.lastSeq < page.logSeq) {
    // The last lines are more than a page of bytes: the last few MB instead.
    const bytes = chunks.reduce((n, c) => n + c.data.length, 0);
    chunks = await fetchRange(src, s.id, fallbackRange(bytes, chunks.length, page.logSeq));
  }
  if (upTo !== null) {
    // The stream continues the transcript from upTo: the window must end there too.
    chunks = chunks.filter((c) => c.seq <= upTo);
    const last = chunks.length ? chunks[chunks.length - 1]!.seq : null;
    if (last !== null && last < upTo) chunks.push(...(await fetchRange(src, s.id, { afterSeq: last, limit: upTo - last })));
    return { chunks, sinceSeq: upTo, transcript: items };
  }
  return { chunks, sinceSeq: chunks.length ? chunks[chunks.length - 1]!.seq : page.lastSeq, transcript: null };
}

export interface RawLogSource {
  rawLogPage(id: string, afterSeq: number): Promise<{ data: ArrayBuffer; lastSeq: number }>;
}

/**
 * The whole raw log up to seq `upTo` (the session's log_seq), page by page: each answer says the
 * seq it reached (X-Agentmux-Last-Seq), the next asks after it. Stops early if a page adds nothing.
 */
export async function fetchRawLog(src: RawLogSource, id: string, upTo: number, onProgress?: (seq: number) => void): Promise<ArrayBuffer[]> {
  const parts: ArrayBuffer[] = [];
  let after = 0;
  while (after < upTo) {
    const page = await src.rawLogPage(id, after);
    if (page.lastSeq <= after) break;
    parts.push(page.data);
    after = page.lastSeq;
    onProgress?.(after);
  }
  return parts;
}
