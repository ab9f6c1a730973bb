import { describe, expect, it } from 'vitest';
import { SeqMerger } from './seqMerge';

const c = (seq: number) => ({ seq });

describe('SeqMerger', () => {
  it('delivers replay then live in order, each seq once', () => {
    const got: number[] = [];
    const m = new SeqMerger<{ seq: number }>((x) => got.push(x.seq));
    for (const s of [1, 2, 3]) expect(m.push(c(s))).toBe('delivered'); // replay from the store
    for (const s of [4, 5]) m.push(c(s)); // live
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(m.lastSeq).toBe(5);
  });

  it('drops chunks already seen (a reconnect replays what we had)', () => {
    const got: number[] = [];
    const m = new SeqMerger<{ seq: number }>((x) => got.push(x.seq));
    [1, 2, 3].forEach((s) => m.push(c(s)));
    expect(m.push(c(2))).toBe('duplicate');
    expect(m.push(c(3))).toBe('duplicate');
    expect(m.push(c(4))).toBe('delivered');
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('holds chunks that arrive ahead of a gap until the gap is filled', () => {
    const got: number[] = [];
    const m = new SeqMerger<{ seq: number }>((x) => got.push(x.seq));
    m.push(c(1));
    expect(m.push(c(3))).toBe('buffered');
    expect(m.push(c(4))).toBe('buffered');
    expect(m.push(c(4))).toBe('duplicate');
    expect(m.hasGap).toBe(true);
    expect(m.missingFrom).toBe(2);
    expect(got).toEqual([1]);
    expect(m.push(c(2))).toBe('delivered');
    expect(got).toEqual([1, 2, 3, 4]);
    expect(m.hasGap).toBe(false);
    expect(m.lastSeq).toBe(4);
  });

  it('starts after since_seq', () => {
    const got: number[] = [];
    const m = new SeqMerger<{ seq: number }>((x) => got.push(x.seq), 10);
    expect(m.push(c(10))).toBe('duplicate');
    expect(m.push(c(11))).toBe('delivered');
    expect(got).toEqual([11]);
  });

  it('is complete once the final log_seq of a terminal status is delivered', () => {
    const m = new SeqMerger<{ seq: number }>(() => {});
    m.push(c(1));
    m.setFinal(3);
    expect(m.complete).toBe(false);
    m.push(c(2));
    m.push(c(3));
    expect(m.complete).toBe(true);
    m.clearFinal();
    expect(m.complete).toBe(false);
  });

  it('treats an empty finished log as complete at once', () => {
    const m = new SeqMerger<{ seq: number }>(() => {});
    m.setFinal(0);
    expect(m.complete).toBe(true);
  });
});
