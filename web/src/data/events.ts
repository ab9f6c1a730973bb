// How the events timeline words one event. Lifecycle events show their payload as key/value
// pairs; the agent events the daemon derives from a CLI's structured output (docs/api.md "Event
// types": turn_started {}, turn_finished {is_error}, tool_use {tool, input}, error {message}) read
// as one line, e.g. "tool use · Write /path/hello.txt". So do the daemon's own notices: the
// database could not be written (store_unavailable, then store_stalled when it could again), a
// line of agent output it could not read (parse_error), a timeout. A plan's events read as the task
// and attempt they are about ("verify failed · task 2, attempt 1 · exit 1 · tried again").
import type { SessionEvent } from '../api/model';
import { attentionBody } from './attention';
import { formatDuration } from './format';

export interface EventView {
  /** The event's name, in words. */
  title: string;
  /** The tool a tool_use event is about. */
  tool: string | null;
  /** The one line that says what happened (a tool's input, an error's message). */
  detail: string | null;
  isError: boolean;
  /** Payload fields the line does not already show. */
  rest: Record<string, unknown> | null;
}

const without = (data: Record<string, unknown> | null, keys: string[]): Record<string, unknown> | null => {
  if (!data) return null;
  const rest = Object.fromEntries(Object.entries(data).filter(([k, v]) => !keys.includes(k) && v !== null && v !== undefined && v !== ''));
  return Object.keys(rest).length ? rest : null;
};
const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** "task 2, attempt 1" from a plan event's payload. */
const taskAttempt = (data: Record<string, unknown> | null, withAttempt = true): string | null => {
  const task = num(data?.task);
  const attempt = withAttempt ? num(data?.attempt) : null;
  if (task === null) return null;
  return attempt !== null ? `task ${task}, attempt ${attempt}` : `task ${task}`;
};
const PARSE_PREFIX = "could not read a line of the agent's output";

/** Sent over the stream only, never stored (the database could not be written then). */
export const LIVE_ONLY_EVENTS: ReadonlySet<string> = new Set(['store_unavailable']);

/** `have` with the events of `got` it does not have yet (by id; id-less ones by time and type). */
export function addEvents(have: SessionEvent[], got: SessionEvent[]): SessionEvent[] {
  const key = (e: SessionEvent) => (e.id !== null ? `#${e.id}` : `${e.timestamp} ${e.eventType}`);
  const seen = new Set(have.map(key));
  const fresh = got.filter((e) => {
    const k = key(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return fresh.length ? [...have, ...fresh] : have;
}

export function describeEvent(e: Pick<SessionEvent, 'eventType' | 'data'>): EventView {
  const data = e.data;
  const title = e.eventType.replace(/_/g, ' ');
  switch (e.eventType) {
    case 'tool_use':
      return { title, tool: text(data?.tool) ?? 'tool', detail: text(data?.input), isError: false, rest: without(data, ['tool', 'input']) };
    case 'turn_started':
      return { title, tool: null, detail: null, isError: false, rest: without(data, []) };
    case 'turn_finished': {
      const failed = data?.is_error === true;
      return { title, tool: null, detail: failed ? 'with an error' : null, isError: failed, rest: without(data, ['is_error']) };
    }
    case 'error': {
      // The agent's own error text; the daemon's lost-conversation error has other fields too.
      const message = text(data?.message) ?? text(data?.agent_message);
      return { title, tool: null, detail: message, isError: true, rest: without(data, message === text(data?.message) ? ['message'] : ['agent_message']) };
    }
    case 'store_unavailable': {
      const reason = text(data?.reason);
      return {
        title: 'writing stopped',
        tool: null,
        detail: `${reason ?? 'the database cannot be written'} — the agent's output is held back; nothing is lost`,
        isError: true,
        rest: without(data, ['reason']),
      };
    }
    case 'store_stalled': {
      const ms = num(data?.stalled_ms);
      const reason = text(data?.reason);
      const detail = [ms !== null ? formatDuration(ms) : null, reason].filter(Boolean).join(': ');
      return { title: 'output held back', tool: null, detail: detail || null, isError: false, rest: without(data, ['stalled_ms', 'reason', 'from', 'to']) };
    }
    case 'parse_error': {
      const message = text(data?.message);
      // "could not read a line of the agent's output: …", or that the parser gave up altogether.
      return { title: 'parse error', tool: null, detail: capital(message ?? PARSE_PREFIX), isError: false, rest: without(data, ['message']) };
    }
    case 'timeout': {
      const ms = num(data?.timeout_ms);
      return { title, tool: null, detail: ms !== null ? `after ${formatDuration(ms)}; stopped` : 'stopped', isError: true, rest: without(data, ['timeout_ms']) };
    }
    // A plan's events (docs/api.md "Plan"): `task` counts from 1.
    case 'task_started': {
      const verify = data?.role === 'verify';
      return {
        title: verify ? 'verify started' : title,
        tool: null,
        detail: taskAttempt(data),
        isError: false,
        rest: without(data, ['task', 'attempt', 'role']),
      };
    }
    case 'task_completed': {
      const n = num(data?.attempts);
      return { title, tool: null, detail: [taskAttempt(data, false), n !== null ? `${n} attempt${n === 1 ? '' : 's'}` : null].filter(Boolean).join(' · '), isError: false, rest: without(data, ['task', 'attempts']) };
    }
    case 'verify_passed':
      return { title, tool: null, detail: taskAttempt(data), isError: false, rest: without(data, ['task', 'attempt']) };
    case 'verify_failed': {
      const exit = num(data?.exit_code);
      const detail = [taskAttempt(data), exit !== null ? `exit ${exit}` : null, data?.will_retry === true ? 'tried again' : data?.will_retry === false ? 'no attempts left' : null];
      return { title, tool: null, detail: detail.filter(Boolean).join(' · '), isError: data?.will_retry !== true, rest: without(data, ['task', 'attempt', 'exit_code', 'will_retry']) };
    }
    case 'budget_exceeded': {
      const what = text(data?.what) ?? 'budget';
      const fmt = (v: unknown) => (what === 'time' ? formatDuration(num(v)) : what === 'cost_usd' && num(v) !== null ? `$${num(v)!.toFixed(2)}` : text(v) ?? '?');
      return { title, tool: null, detail: `${what.replace('_usd', '')}: ${fmt(data?.spent)} spent of ${fmt(data?.limit)}`, isError: true, rest: without(data, ['what', 'limit', 'spent']) };
    }
    // Issue 16: the session waits for the user (reason input/permission/ended), or was seen (ack).
    case 'attention': {
      const reason = text(data?.reason);
      if (!reason) return { title: 'seen', tool: null, detail: data?.acknowledged === true ? 'attention acknowledged' : null, isError: false, rest: without(data, ['reason', 'acknowledged']) };
      const message = text(data?.message);
      return { title: 'needs you', tool: null, detail: attentionBody({ reason, message }), isError: false, rest: without(data, ['reason', 'message']) };
    }
    case 'conversation_fallback':
      return { title, tool: null, detail: [taskAttempt(data, false), text(data?.reason)].filter(Boolean).join(' · ') || null, isError: false, rest: without(data, ['task', 'reason']) };
    default:
      return { title, tool: null, detail: null, isError: false, rest: without(data, []) };
  }
}
