// Human formats for times, durations, tokens and money.
import type { Session } from '../api/model';
import { isLive } from './status';

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Playback clock: m:ss.t */
export function formatClock(ms: number): string {
  const t = Math.max(0, ms);
  const m = Math.floor(t / 60000);
  const s = (t % 60000) / 1000;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}

export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const d = Math.round((now - t) / 1000);
  if (d < 5) return 'just now';
  if (d < 60) return `${d}s ago`;
  if (d < 3600) return `${Math.floor(d / 60)}m ago`;
  if (d < 86400) return `${Math.floor(d / 3600)}h ago`;
  if (d < 86400 * 30) return `${Math.floor(d / 86400)}d ago`;
  return new Date(t).toISOString().slice(0, 10);
}

export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleString();
}

/** Duration so far for a live session, the recorded one for an ended one. */
export function sessionDuration(s: Pick<Session, 'status' | 'startedAt' | 'endedAt' | 'durationMs'>, now: number = Date.now()): number | null {
  if (s.durationMs != null) return s.durationMs;
  if (!s.startedAt) return null;
  const start = Date.parse(s.startedAt);
  if (Number.isNaN(start)) return null;
  if (s.endedAt) return Date.parse(s.endedAt) - start;
  return isLive(s.status) ? now - start : null;
}

export function formatTokens(n: number | null | undefined): string {
  if (n == null) return '—';
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function sessionTokens(s: Pick<Session, 'tokenCount' | 'inputTokens' | 'outputTokens'>): number | null {
  if (s.tokenCount != null) return s.tokenCount;
  if (s.inputTokens == null && s.outputTokens == null) return null;
  return (s.inputTokens ?? 0) + (s.outputTokens ?? 0);
}

export function formatCost(usd: number | null | undefined): string {
  if (usd == null) return '—';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The short form of a session id: the first 8 hex digits of its last group, the random part of a
 * UUIDv7 (its first groups are the creation time, alike for sessions made together). The daemon
 * resolves it like a prefix.
 */
export function shortId(id: string): string {
  const groups = id.split('-');
  const last = groups[groups.length - 1] ?? '';
  return groups.length >= 5 && /^[0-9a-f]{8,}$/i.test(last) ? last.slice(0, 8).toLowerCase() : id.slice(0, 8);
}

/** What a session is called: its name (issue 16), else what it runs. */
export function sessionLabel(s: Pick<Session, 'name' | 'prompt' | 'command' | 'tool'>): string {
  return s.name ?? sessionTitle(s);
}

export interface CostPart {
  /** "session" / "conversation" when both are shown, else null. */
  label: 'session' | 'conversation' | null;
  text: string;
}

/**
 * A session's cost, and its conversation's when that differs (a continued or resumed
 * conversation counts its earlier runs too): both labelled, so neither is taken for the other.
 */
export function costParts(s: Pick<Session, 'costUsd' | 'conversation'>): CostPart[] {
  const conv = s.conversation?.costUsd ?? null;
  if (conv === null || conv === s.costUsd) return [{ label: null, text: formatCost(s.costUsd) }];
  return [
    { label: 'session', text: formatCost(s.costUsd) },
    { label: 'conversation', text: formatCost(conv) },
  ];
}

/** "session $0.05 · conversation $0.15", or "$0.05". */
export function costText(s: Pick<Session, 'costUsd' | 'conversation'>): string {
  return costParts(s)
    .map((p) => (p.label ? `${p.label} ${p.text}` : p.text))
    .join(' · ');
}

export function excerpt(text: string | null | undefined, max = 90): string {
  if (!text) return '';
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}

/** What the session runs, for a list row: the prompt, else the command line. */
export function sessionTitle(s: Pick<Session, 'prompt' | 'command' | 'tool'>): string {
  if (s.prompt) return excerpt(s.prompt);
  if (s.command.length) return excerpt(s.command.map(shellQuote).join(' '));
  return s.tool;
}

export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Splits a command line the way a POSIX shell would for simple quoting (no expansions). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === q) q = null;
      else if (ch === '\\' && q === '"' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      q = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (q) throw new Error('unterminated quote in the command');
  if (inWord) out.push(cur);
  return out;
}

/** Spec ids as sessions carry them ("001") and as specs list them ("001-hello") name one spec. */
export function specMatches(sessionSpecId: string, specId: string): boolean {
  if (sessionSpecId === specId) return true;
  const num = (s: string) => /^(\d+)(?:-|$)/.exec(s)?.[1];
  const a = num(sessionSpecId);
  const b = num(specId);
  if (a && b) return Number(a) === Number(b) && (sessionSpecId === a || specId.startsWith(sessionSpecId));
  return false;
}
