import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STORE_UNKNOWN, StoreMonitor, storeBanners, storeFromHealth, storeFromList, type StoreState } from './storeHealth';

const OK: StoreState = { store: 'ok', integrity: 'ok' };

describe('store banner state', () => {
  it('shows nothing until known, and nothing while health says ok', () => {
    expect(storeBanners(STORE_UNKNOWN)).toEqual([]);
    expect(storeBanners(storeFromHealth(STORE_UNKNOWN, { store: 'ok', store_integrity: 'ok' }))).toEqual([]);
    expect(storeBanners({ store: 'ok', integrity: 'checking' })).toEqual([]);
  });

  it('says the database cannot be written, why, and that nothing is lost', () => {
    const s = storeFromHealth(OK, { store: 'disk full: database or disk is full', store_integrity: 'ok' });
    expect(storeBanners(s)).toEqual([
      {
        kind: 'unwritable',
        text: "The database cannot be written (disk full: database or disk is full). Agents' output is held back — nothing is lost; it resumes by itself when space is freed.",
      },
    ]);
    const io = storeBanners(storeFromHealth(OK, { store: 'I/O error: disk I/O error' }));
    expect(io[0]!.text).toContain('(I/O error: disk I/O error)');
    expect(io[0]!.text).toContain('once the database can be written again');
  });

  it('a sessions listing that carries "store" raises the banner at once; only health lowers it', () => {
    const raised = storeFromList(OK, 'disk full: test');
    expect(storeBanners(raised).map((b) => b.kind)).toEqual(['unwritable']);
    // A listing without the field (or an odd value) changes nothing.
    expect(storeFromList(raised, undefined)).toBe(raised);
    expect(storeFromList(raised, null)).toBe(raised);
    expect(storeFromList(OK, 'ok')).toBe(OK);
    expect(storeFromList(raised, 'disk full: test')).toBe(raised);
    // Health "ok" hides it.
    expect(storeBanners(storeFromHealth(raised, { store: 'ok', store_integrity: 'ok' }))).toEqual([]);
  });

  it('a health answer without "store" (an older daemon) keeps what was known', () => {
    const raised = storeFromList(OK, 'disk full: test');
    expect(storeFromHealth(raised, { store_integrity: 'ok' })).toBe(raised);
  });

  it('says the file is damaged and what to run when store_integrity failed', () => {
    const s = storeFromHealth(OK, { store: 'ok', store_integrity: 'failed: database disk image is malformed' });
    expect(storeBanners(s)).toEqual([
      { kind: 'damaged', text: 'The database file is damaged: stop the daemon and run `agentmux doctor --repair`.' },
    ]);
    const both = storeFromHealth(OK, { store: 'damaged: malformed (run `agentmux doctor`)', store_integrity: 'failed: x' });
    expect(storeBanners(both).map((b) => b.kind)).toEqual(['unwritable', 'damaged']);
  });
});

describe('StoreMonitor', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('polls health now and every 5 s while active, and tells subscribers of changes only', async () => {
    const answers = [
      { store: 'ok', store_integrity: 'ok' },
      { store: 'disk full: test', store_integrity: 'ok' },
      { store: 'disk full: test', store_integrity: 'ok' },
      { store: 'ok', store_integrity: 'ok' },
    ];
    let calls = 0;
    let active = true;
    const m = new StoreMonitor(async () => answers[Math.min(calls++, answers.length - 1)]!, { active: () => active });
    const seen: (string | null)[] = [];
    m.subscribe(() => seen.push(m.getSnapshot().store));
    const stop = m.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(m.getSnapshot()).toEqual({ store: 'ok', integrity: 'ok' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(storeBanners(m.getSnapshot()).map((b) => b.kind)).toEqual(['unwritable']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(3);
    active = false; // a hidden tab asks nothing
    await vi.advanceTimersByTimeAsync(20000);
    expect(calls).toBe(3);
    active = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(m.getSnapshot().store).toBe('ok');
    expect(seen).toEqual(['ok', 'disk full: test', 'ok']);
    stop();
    await vi.advanceTimersByTimeAsync(20000);
    expect(calls).toBe(4);
  });

  it('keeps the state when health fails, and reports the error', async () => {
    const errors: unknown[] = [];
    let fail = false;
    const m = new StoreMonitor(
      async () => {
        if (fail) throw new Error('down');
        return { store: 'disk full: test', store_integrity: 'ok' };
      },
      { onError: (e) => errors.push(e) },
    );
    await m.poll();
    fail = true;
    await m.poll();
    expect(m.getSnapshot().store).toBe('disk full: test');
    expect(errors).toHaveLength(1);
  });

  it('a listing that arrives while health is on its way is not undone by it', async () => {
    let answer: (h: { store_integrity: string }) => void = () => {};
    const m = new StoreMonitor(() => new Promise((r) => (answer = r)));
    const polled = m.poll();
    m.reportList('disk full: test');
    answer({ store_integrity: 'ok' }); // a health answer without `store`
    await polled;
    expect(m.getSnapshot()).toEqual({ store: 'disk full: test', integrity: 'ok' });
  });

  it('shows a listing’s "store" at once', () => {
    const m = new StoreMonitor(async () => ({ store: 'ok', store_integrity: 'ok' }));
    let n = 0;
    m.subscribe(() => n++);
    m.reportList('disk full: test');
    expect(storeBanners(m.getSnapshot())[0]!.text).toContain('(disk full: test)');
    expect(n).toBe(1);
  });
});
