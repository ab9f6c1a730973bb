import { describe, expect, it } from 'vitest';
import { defaultTool, moved, toggled } from './choice';

describe('defaultTool', () => {
  it('prefers an installed claude, then any installed tool, then the first', () => {
    expect(defaultTool([{ name: 'shell', available: true }, { name: 'claude', available: true }])).toBe('claude');
    expect(defaultTool([{ name: 'claude', available: false }, { name: 'codex', available: true }])).toBe('codex');
    expect(defaultTool([{ name: 'gemini', available: false }, { name: 'claude', available: false }])).toBe('gemini');
    expect(defaultTool([])).toBe('shell');
  });
});

describe('toggled', () => {
  it('adds at the end or takes out, leaving the input alone', () => {
    const ids = ['028', '031'];
    expect(toggled(ids, '040')).toEqual(['028', '031', '040']);
    expect(toggled(ids, '028')).toEqual(['031']);
    expect(ids).toEqual(['028', '031']);
  });
});

describe('moved', () => {
  it('swaps with the neighbour, and keeps the same list at the ends', () => {
    const ids = ['a', 'b', 'c'];
    expect(moved(ids, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moved(ids, 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moved(ids, 0, -1)).toBe(ids);
    expect(moved(ids, 2, 1)).toBe(ids);
    expect(ids).toEqual(['a', 'b', 'c']);
  });
});
