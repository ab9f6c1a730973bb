import { describe, expect, it } from 'vitest';
import { formatCost, formatDuration, formatTokens, relativeTime, sessionDuration, specMatches, splitCommand } from './format';

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
});
