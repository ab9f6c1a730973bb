import { describe, expect, it } from 'vitest';
import { wirePlan, wireSession } from '../test/fakes';
import { chunkFromWire, isStructured, itemFromWire, ptySize, sessionFromWire } from './model';

describe('Session mapping', () => {
  it('maps snake_case to camelCase in one place', () => {
    const s = sessionFromWire(wireSession({ cost_usd: 0.0197, token_count: 3559, agent_session_id: 'e25' }));
    expect(s.projectPath).toBe('/tmp/proj');
    expect(s.costUsd).toBe(0.0197);
    expect(s.tokenCount).toBe(3559);
    expect(s.agentSessionId).toBe('e25');
    expect(s.specIds).toEqual(['001']);
    expect(s.prompt).toBe('hi');
  });

  it('always has specIds as an array', () => {
    expect(sessionFromWire(wireSession({ spec_ids: [] })).specIds).toEqual([]);
    expect(sessionFromWire(wireSession({ spec_ids: null as unknown as string[] })).specIds).toEqual([]);
    // A seed-000-era payload with only spec_id.
    const legacy = { ...wireSession(), spec_ids: undefined as unknown as string[], spec_id: '028' };
    expect(sessionFromWire(legacy).specIds).toEqual(['028']);
  });

  it('keeps specId as a deprecated alias: the first spec, or undefined', () => {
    const many = sessionFromWire(wireSession({ spec_ids: ['028', '320'] }));
    expect(many.specId).toBe('028');
    const none = sessionFromWire(wireSession({ spec_ids: [] }));
    expect(none.specId).toBeUndefined();
    // The alias follows specIds and stays out of JSON and spreads.
    many.specIds = ['320'];
    expect(many.specId).toBe('320');
    expect(JSON.parse(JSON.stringify(many))).not.toHaveProperty('specId');
    expect(Object.keys(many)).not.toContain('specId');
  });

  it('maps kind, position and a plan', () => {
    const agent = sessionFromWire(wireSession());
    expect([agent.kind, agent.position, agent.plan]).toEqual(['agent', null, null]);
    const plan = sessionFromWire(
      wireSession({ kind: 'plan', plan: wirePlan({ budget: { tokens: 100, cost_usd: null, time_ms: 7200000 }, end_reason: 'budget' }) }),
    );
    expect(plan.kind).toBe('plan');
    expect(plan.plan?.tasks[1]).toEqual({ prompt: 'two', spec: null, command: null, tool: null, verify: 'npm test', maxAttempts: 3 });
    expect(plan.plan?.budget).toEqual({ tokens: 100, costUsd: null, timeMs: 7200000 });
    expect(plan.plan?.spent).toEqual({ tokens: 10, costUsd: 0.01, timeMs: 1000 });
    expect([plan.plan?.current, plan.plan?.conversationId, plan.plan?.endReason]).toEqual([1, 'conv-1', 'budget']);
    expect(sessionFromWire(wireSession({ parent_id: 'p', position: 2 })).position).toBe(2);
  });

  it('keeps prompt null when absent', () => {
    expect(sessionFromWire(wireSession({ prompt: null })).prompt).toBeNull();
  });

  it('decodes chunk data from base64 to exact bytes', () => {
    const c = chunkFromWire({ seq: 1, offset: 0, timestamp: 't', ts_ms: 5, level: 'pty', data: btoa('\x1b[31m\xff\x00') });
    expect([...c.data]).toEqual([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0x00]);
    expect(c.tsMs).toBe(5);
  });

  it('reads the PTY size from metadata, defaulting to the daemon default', () => {
    expect(ptySize(sessionFromWire(wireSession()))).toEqual({ cols: 120, rows: 40 });
    expect(ptySize(sessionFromWire(wireSession({ metadata: { pty_cols: '100', pty_rows: '30' } })))).toEqual({ cols: 100, rows: 30 });
  });

  it('knows structured sessions from the daemon, not from a list of its own', () => {
    expect(isStructured(sessionFromWire(wireSession({ tool: 'claude', transcript: true })))).toBe(true);
    expect(isStructured(sessionFromWire(wireSession({ tool: 'claude', mode: 'guided', transcript: false })))).toBe(false);
    expect(isStructured(sessionFromWire(wireSession({ tool: 'a-sixth-cli', transcript: true })))).toBe(true);
    expect(sessionFromWire({ ...wireSession(), transcript: undefined as unknown as boolean }).transcript).toBe(false);
  });

  it('maps transcript items to the app\'s names', () => {
    expect(
      itemFromWire({ kind: 'tool_result', tool_use_id: 't1', tool_name: 'Write', content: 'ok', is_error: false }),
    ).toEqual({ kind: 'tool_result', toolUseId: 't1', toolName: 'Write', content: 'ok', isError: false });
    expect(
      itemFromWire({
        kind: 'result', subtype: 'success', is_error: false, num_turns: 2, duration_ms: 5, cost_usd: 0.5,
        usage: { input_tokens: 1, output_tokens: 2, cache_read_tokens: null, cache_creation_tokens: 0 },
        text: null, conversation_id: 'c', note: null,
      }),
    ).toEqual({
      kind: 'result', subtype: 'success', isError: false, numTurns: 2, durationMs: 5, costUsd: 0.5,
      usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: null, cacheCreationTokens: 0 },
      text: null, conversationId: 'c', note: null,
    });
    expect(itemFromWire({ kind: 'init', agent: 'Codex', model: null, cwd: null, tools: 0, version: null, conversation_id: 'th' })).toMatchObject({
      agent: 'Codex',
      conversationId: 'th',
    });
    expect(itemFromWire({ kind: 'raw', stream: 'stderr', text: 'x' })).toEqual({ kind: 'raw', stream: 'stderr', text: 'x' });
  });
});
