import { describe, expect, it } from 'vitest';
import { costText, formatCost, formatDuration, formatTokens, relativeTime, sessionDuration, sessionLabel, shortId, specMatches, splitCommand } from './format';

describe('format', () => {
  it('durations', () => {
    expect(formatDuration(509)).toBe('509 ms');
    expect(formatDuration(5300)).toBe('5.3 s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(3_725_000)).toBe('1h 02m');
    expect(formatDuration(null)).toBe('—');
  });

  it('relative times', () => {
    const now = Date.parse('2026-11-22T04:00:00Z');
    expect(relativeTime('2026-11-22T03:59:58Z', now)).toBe('just now');
    expect(relativeTime('2026-11-22T03:58:00Z', now)).toBe('2m ago');
    expect(relativeTime('2026-11-22T01:00:00Z', now)).toBe('3h ago');
  });

  it('live duration ticks from started_at', () => {
    const now = Date.parse('2026-11-22T04:00:10Z');
    expect(sessionDuration({ status: 'running', startedAt: '2026-11-22T04:00:00Z', endedAt: null, durationMs: null }, now)).toBe(10_000);
    expect(sessionDuration({ status: 'completed', startedAt: '2026-11-22T04:00:00Z', endedAt: null, durationMs: 509 }, now)).toBe(509);
    expect(sessionDuration({ status: 'pending', startedAt: null, endedAt: null, durationMs: null }, now)).toBeNull();
  });

  it('tokens and cost', () => {
    expect(formatTokens(3559)).toBe('3.6k');
    expect(formatTokens(null)).toBe('—');
    expect(formatCost(0.019775)).toBe('$0.02');
    expect(formatCost(0.0042)).toBe('$0.0042');
  });

  it('splits a command line like a shell (quotes, escapes)', () => {
    expect(splitCommand(`sh -c 'for i in 1 2; do echo "n $i"; done'`)).toEqual(['sh', '-c', 'for i in 1 2; do echo "n $i"; done']);
    expect(splitCommand(`echo "a \\"b\\"" c\\ d ''`)).toEqual(['echo', 'a "b"', 'c d', '']);
    expect(() => splitCommand(`echo 'oops`)).toThrow(/quote/);
  });

  it('matches spec ids the way sessions and specs spell them', () => {
    expect(specMatches('001', '001-hello')).toBe(true);
    expect(specMatches('001-hello', '001-hello')).toBe(true);
    expect(specMatches('1', '001-hello')).toBe(true);
    expect(specMatches('002', '001-hello')).toBe(false);
    expect(specMatches('001-other', '001-hello')).toBe(false);
    expect(specMatches('auth', 'auth')).toBe(true);
  });

  it('short ids are the random part of a UUIDv7: the first 8 hex of its last group', () => {
    expect(shortId('0193a1b2-c3d4-7e5f-a6b7-8c3f9a2c1b7e')).toBe('8c3f9a2c');
    // Two sessions made in the same millisecond share their first groups, not this.
    expect(shortId('01a23cfb-fc50-7d1b-92c6-4cc7c544b7c4')).not.toBe(shortId('01a23cfb-fc50-7d1b-92c6-00aa11bb22cc'));
    expect(shortId('abc')).toBe('abc');
  });

  it('a session is called by its name, else by what it runs', () => {
    expect(sessionLabel({ name: 'brave-otter', prompt: 'fix it', command: [], tool: 'claude' })).toBe('brave-otter');
    expect(sessionLabel({ name: null, prompt: 'fix it', command: [], tool: 'claude' })).toBe('fix it');
    expect(sessionLabel({ name: null, prompt: null, command: ['make', 'test'], tool: 'shell' })).toBe('make test');
  });

  it('labels session and conversation cost when both are shown', () => {
    const conv = (costUsd: number | null) => ({ tokenCount: null, inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheCreationTokens: null, costUsd });
    expect(costText({ costUsd: 0.05, conversation: conv(0.15) })).toBe('session $0.05 · conversation $0.15');
    expect(costText({ costUsd: 0.05, conversation: conv(0.05) })).toBe('$0.05');
    expect(costText({ costUsd: 0.05, conversation: null })).toBe('$0.05');
    expect(costText({ costUsd: null, conversation: conv(0.2) })).toBe('session — · conversation $0.20');
  });
});
