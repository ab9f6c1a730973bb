// How the events timeline words one event. Lifecycle events show their payload as key/value
// pairs; the agent events the daemon derives from a CLI's structured output (docs/api.md "Event
// types": turn_started {}, turn_finished {is_error}, tool_use {tool, input}, error {message}) read
// as one line, e.g. "tool use · Write /path/hello.txt". So do the daemon's own notices: the
// database could not be written (store_unavailable, then store_stalled when it could again), a
// line of agent output it could not read (parse_error), a timeout.
import type { SessionEvent } from '../api/model';
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
    default:
      return { title, tool: null, detail: null, isError: false, rest: without(data, []) };
  }
}
