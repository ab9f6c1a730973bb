import { describe, expect, it } from 'vitest';
import { wireSession } from '../test/fakes';
import { chunkFromWire, isStructured, ptySize, sessionFromWire } from './model';

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

  it('knows structured sessions', () => {
    expect(isStructured({ tool: 'claude', mode: 'autonomous' })).toBe(true);
    expect(isStructured({ tool: 'claude', mode: 'guided' })).toBe(false);
    expect(isStructured({ tool: 'shell', mode: 'autonomous' })).toBe(false);
    for (const tool of ['codex', 'opencode', 'gemini', 'copilot']) {
      expect(isStructured({ tool, mode: 'autonomous' })).toBe(true);
      expect(isStructured({ tool, mode: 'guided' })).toBe(false);
    }
  });
});
