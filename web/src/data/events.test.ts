import { describe, expect, it } from 'vitest';
import { addEvents, describeEvent, LIVE_ONLY_EVENTS } from './events';

describe('describeEvent', () => {
  it('reads a tool call as the tool and its input', () => {
    expect(describeEvent({ eventType: 'tool_use', data: { tool: 'Write', input: '/p/hello.txt' } })).toEqual({
      title: 'tool use',
      tool: 'Write',
      detail: '/p/hello.txt',
      isError: false,
      rest: null,
    });
    expect(describeEvent({ eventType: 'tool_use', data: { tool: 'shell', input: '' } })).toMatchObject({ tool: 'shell', detail: null });
  });

  it('reads turns and their outcome', () => {
    expect(describeEvent({ eventType: 'turn_started', data: {} })).toMatchObject({ title: 'turn started', detail: null, isError: false, rest: null });
    expect(describeEvent({ eventType: 'turn_finished', data: { is_error: false } })).toMatchObject({ title: 'turn finished', detail: null, isError: false, rest: null });
    expect(describeEvent({ eventType: 'turn_finished', data: { is_error: true } })).toMatchObject({ detail: 'with an error', isError: true });
  });

  it('reads an agent error as its message, and keeps the other fields of the daemon’s own errors', () => {
    expect(describeEvent({ eventType: 'error', data: { message: '401 Unauthorized' } })).toMatchObject({ detail: '401 Unauthorized', isError: true, rest: null });
    expect(
      describeEvent({ eventType: 'error', data: { reason: 'conversation_not_found', conversation: 'abc', agent_message: 'No conversation found' } }),
    ).toMatchObject({ detail: 'No conversation found', rest: { reason: 'conversation_not_found', conversation: 'abc' } });
  });

  it('leaves lifecycle events as they were: the name and the payload', () => {
    expect(describeEvent({ eventType: 'output_closed', data: { chunks: 3, bytes: 120 } })).toEqual({
      title: 'output closed',
      tool: null,
      detail: null,
      isError: false,
      rest: { chunks: 3, bytes: 120 },
    });
    expect(describeEvent({ eventType: 'started', data: null })).toMatchObject({ rest: null });
  });
});

describe('the daemon’s own notices', () => {
  it('reads "writing stopped" with the reason', () => {
    const v = describeEvent({ eventType: 'store_unavailable', data: { reason: 'disk full: database or disk is full' } });
    expect(v).toEqual({
      title: 'writing stopped',
      tool: null,
      detail: "disk full: database or disk is full — the agent's output is held back; nothing is lost",
      isError: true,
      rest: null,
    });
  });

  it('reads a stall as how long output was held back and why', () => {
    const v = describeEvent({
      eventType: 'store_stalled',
      data: { reason: 'disk full: database or disk is full', stalled_ms: 4321, from: '2026-11-22T03:41:13.000Z', to: '2026-11-22T03:41:17.321Z' },
    });
    expect(v).toEqual({ title: 'output held back', tool: null, detail: '4.3 s: disk full: database or disk is full', isError: false, rest: null });
    expect(describeEvent({ eventType: 'store_stalled', data: { stalled_ms: 65000 } }).detail).toBe('1m 05s');
  });

  it('reads a parse error as a sentence, with the line it could not read', () => {
    const v = describeEvent({
      eventType: 'parse_error',
      data: { message: "could not read a line of the agent's output: type must be string, but is number", line: '{"type":1}' },
    });
    expect(v).toEqual({
      title: 'parse error',
      tool: null,
      detail: "Could not read a line of the agent's output: type must be string, but is number",
      isError: false,
      rest: { line: '{"type":1}' },
    });
    expect(describeEvent({ eventType: 'parse_error', data: {} }).detail).toBe("Could not read a line of the agent's output");
  });

  it('reads a timeout as when it stopped the agent', () => {
    expect(describeEvent({ eventType: 'timeout', data: { timeout_ms: 90000, last_agent_message: 'rate limited' } })).toEqual({
      title: 'timeout',
      tool: null,
      detail: 'after 1m 30s; stopped',
      isError: true,
      rest: { last_agent_message: 'rate limited' },
    });
  });
});

describe('addEvents', () => {
  const ev = (id: number | null, eventType: string, timestamp = '2026-11-22T03:41:13.000Z') => ({ id, sessionId: 's', eventType, data: null, timestamp });
  it('adds what is new, by id, and live-only events (no id) once', () => {
    const have = [ev(1, 'created'), ev(2, 'started')];
    expect(addEvents(have, [ev(2, 'started'), ev(3, 'usage')]).map((e) => e.id)).toEqual([1, 2, 3]);
    expect(addEvents(have, [ev(2, 'started')])).toBe(have);
    const live = addEvents(have, [ev(null, 'store_unavailable')]);
    expect(live.map((e) => e.eventType)).toEqual(['created', 'started', 'store_unavailable']);
    expect(addEvents(live, [ev(null, 'store_unavailable')])).toBe(live);
    expect(LIVE_ONLY_EVENTS.has('store_unavailable')).toBe(true);
    expect(LIVE_ONLY_EVENTS.has('store_stalled')).toBe(false);
  });

  it('words a plan’s events: task and attempt, the verify result, the budget passed', () => {
    const d = (eventType: string, data: Record<string, unknown>) => describeEvent({ eventType, data });
    expect(d('task_started', { task: 2, attempt: 1, session_id: 's', role: 'verify' })).toMatchObject({ title: 'verify started', detail: 'task 2, attempt 1', rest: { session_id: 's' } });
    expect(d('task_started', { task: 1, attempt: 1, session_id: 's', role: 'task' }).title).toBe('task started');
    expect(d('task_completed', { task: 2, session_id: 's', attempts: 2 }).detail).toBe('task 2 · 2 attempts');
    expect(d('verify_failed', { task: 2, attempt: 1, exit_code: 1, output: 'not yet', session_id: 's', will_retry: true })).toMatchObject({
      detail: 'task 2, attempt 1 · exit 1 · tried again',
      isError: false,
      rest: { output: 'not yet', session_id: 's' },
    });
    expect(d('verify_failed', { task: 2, attempt: 3, exit_code: 2, output: '', session_id: 's', will_retry: false }).isError).toBe(true);
    expect(d('budget_exceeded', { what: 'cost_usd', limit: 5, spent: 5.2 })).toMatchObject({ detail: 'cost: $5.20 spent of $5.00', isError: true });
    expect(d('budget_exceeded', { what: 'time', limit: 7200000, spent: 7201000 }).detail).toBe('time: 2h 00m spent of 2h 00m');
  });

  it('attention events say what the session waits for, and when it was seen', () => {
    const ev = (data: Record<string, unknown>) => describeEvent({ eventType: 'attention', data });
    expect(ev({ reason: 'ended' })).toMatchObject({ title: 'needs you', detail: 'Ended: have a look', rest: null });
    expect(ev({ reason: 'input' }).detail).toBe('Waiting for your input');
    expect(ev({ reason: 'permission', message: 'Allow Bash(ls)?' }).detail).toBe('Asks for your permission: Allow Bash(ls)?');
    expect(ev({ acknowledged: true, reason: null })).toMatchObject({ title: 'seen', detail: 'attention acknowledged', rest: null });
  });
});
