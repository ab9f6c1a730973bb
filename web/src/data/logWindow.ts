// Which part of a session's log the terminal holds. A log can be 70 MB (a million lines); the
// page opens at its end: the chunks covering the last TAIL_LINES lines (GET …/logs?tail=N), then
// live output from there. Earlier output is loaded on request — the window doubled, or from a
// seq the user names — and the whole log can be downloaded. Chunk seqs are consecutive integers
// 1..log_seq (docs/api.md "Chunk"), so a range of them is `after_seq` + `limit`.
import type { Chunk } from '../api/model';
import { formatBytes } from './format';

/** Lines the page opens with: many screens, a few hundred KB at most for ordinary output. */
export const TAIL_LINES = 2000;
/** The most lines the terminal holds (xterm keeps every line in memory): beyond, download. */
export const MAX_LINES = 200_000;
/** When the last lines are too many bytes for one page (a TUI redraws without newlines). */
export const FALLBACK_BYTES = 4 * 1024 * 1024;

/** Chunks after `afterSeq`, `limit` of them. */
export interface SeqRange {
  afterSeq: number;
  limit: number;
}

/** Doubles the window: as many chunks again before `firstSeq` as it holds (`held`), or null at seq 1. */
export function earlierRange(firstSeq: number, held: number): SeqRange | null {
  if (firstSeq <= 1) return null;
  const want = Math.max(1, held);
  const afterSeq = Math.max(0, firstSeq - 1 - want);
  return { afterSeq, limit: firstSeq - 1 - afterSeq };
}

/** From seq `from` (1-based, as typed) up to the window's start; null when that adds nothing. */
export function rangeFrom(from: number, firstSeq: number): SeqRange | null {
  if (!Number.isFinite(from)) return null;
  const start = Math.max(1, Math.floor(from));
  if (start >= firstSeq) return null;
  return { afterSeq: start - 1, limit: firstSeq - start };
}

/**
 * The tail's page was capped (its last seq is short of the log's): too many bytes in the last
 * lines. Take the last chunks that fit FALLBACK_BYTES instead, by the page's bytes per chunk.
 */
export function fallbackRange(pageBytes: number, pageChunks: number, logSeq: number, budget = FALLBACK_BYTES): SeqRange {
  const perChunk = pageChunks > 0 ? Math.max(1, pageBytes / pageChunks) : budget;
  const n = Math.max(1, Math.min(logSeq, Math.floor(budget / perChunk)));
  return { afterSeq: logSeq - n, limit: n };
}

/** Newlines in the chunks: the lines they make in the terminal. */
export function countLines(chunks: readonly Chunk[]): number {
  let n = 0;
  for (const c of chunks) {
    const d = c.data;
    for (let i = 0; i < d.length; i++) if (d[i] === 10) n++;
  }
  return n;
}

/** Scrollback for a window of `lines`: room for all of it and for live output to come. */
export function scrollbackFor(lines: number): number {
  return Math.min(MAX_LINES + 20_000, Math.max(50_000, Math.ceil(lines * 1.25) + 10_000));
}

/** The lines "Load earlier output" asks for: twice what is shown (at least twice the opening tail). */
export function doubledLines(lines: number): number {
  return Math.max(2 * TAIL_LINES, 2 * lines);
}

/** Whether doubling a window of `lines` lines would pass MAX_LINES. */
export function beyondDoubling(lines: number): boolean {
  return doubledLines(lines) > MAX_LINES;
}

export interface WindowView {
  /** The window starts at seq 1: the whole log so far is shown. */
  whole: boolean;
  /** "Whole log · 585 B" or "Last 140.6 KiB of 70.0 MiB · seq 16,990–17,001". */
  text: string;
}

export function describeWindow(firstSeq: number, lastSeq: number, shownBytes: number, totalBytes: number): WindowView {
  const total = Math.max(totalBytes, shownBytes);
  if (firstSeq <= 1) return { whole: true, text: `${formatBytes(total)} · seq ${lastSeq.toLocaleString('en-US')}` };
  const seqs = lastSeq >= firstSeq ? ` · seq ${firstSeq.toLocaleString('en-US')}–${lastSeq.toLocaleString('en-US')}` : '';
  return { whole: false, text: `Last ${formatBytes(shownBytes)} of ${formatBytes(total)}${seqs}` };
}

/** The bytes up to the end of the last chunk: where the log stands. */
export function endOffset(chunks: readonly Chunk[]): number {
  const last = chunks[chunks.length - 1];
  return last ? last.offset + last.data.length : 0;
}
