// How the events timeline words one event. Lifecycle events show their payload as key/value
// pairs; the agent events the daemon derives from a CLI's structured output (docs/api.md "Event
// types": turn_started {}, turn_finished {is_error}, tool_use {tool, input}, error {message}) read
// as one line, e.g. "tool use · Write /path/hello.txt".
import type { SessionEvent } from '../api/model';

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
    default:
      return { title, tool: null, detail: null, isError: false, rest: without(data, []) };
  }
}
