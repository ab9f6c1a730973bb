import { describe, expect, it } from 'vitest';
import { describeEvent } from './events';

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
