import { describe, expect, it } from 'vitest';
import { sessionFromWire, type Session } from '../api/model';
import type { Watcher } from '../api/stream';
import type { WireAttention, WireSession } from '../api/wire';
import { wireSession } from '../test/fakes';
import { attentionBody, attentionLabel, AttentionStore, newlyNeeds, sortByAttention, titleWithCount } from './attention';

const at = (reason: string, since = '2026-11-22T04:00:00.000Z', message?: string): WireAttention => ({ reason, since, ...(message ? { message } : {}) });
const mk = (id: string, over: Partial<WireSession> = {}) => sessionFromWire(wireSession({ id, ...over }));

describe('attention', () => {
  it('reads the daemon field when present, and nothing from an older daemon', () => {
    expect(mk('a', { attention: at('input', undefined, 'Continue?'), name: 'brave-otter' })).toMatchObject({
      name: 'brave-otter',
      attention: { reason: 'input', since: '2026-11-22T04:00:00.000Z', message: 'Continue?' },
    });
    const old = mk('b');
    expect(old.attention).toBeNull();
    expect(old.name).toBeNull();
  });

  it('badges and notification bodies say what the session waits for', () => {
    expect(attentionLabel({ reason: 'input' })).toBe('needs input');
    expect(attentionLabel({ reason: 'permission' })).toBe('permission?');
    expect(attentionLabel({ reason: 'ended' })).toBe('done');
    expect(attentionLabel({ reason: 'rate_limited' })).toBe('rate limited');
    expect(attentionBody({ reason: 'permission', message: 'Allow Bash(rm -rf build)?' })).toBe('Asks for your permission: Allow Bash(rm -rf build)?');
    expect(attentionBody({ reason: 'ended', message: null })).toBe('Ended: have a look');
  });

  it('sorts sessions needing the user first, then running ones, then the rest, keeping newest first within each', () => {
    const rows = [
      mk('done-new', { status: 'completed' }),
      mk('run-new', { status: 'running' }),
      mk('wait-new', { status: 'running', attention: at('input') }),
      mk('done-old', { status: 'failed' }),
      mk('ended-old', { status: 'completed', attention: at('ended') }),
      mk('paused-old', { status: 'paused' }),
    ];
    expect(sortByAttention(rows, (s) => [s]).map((s) => s.id)).toEqual(['wait-new', 'ended-old', 'run-new', 'paused-old', 'done-new', 'done-old']);
  });

  it('a plan ranks by its tasks: one waiting for input brings the plan up', () => {
    const plan = { session: mk('plan', { status: 'running', kind: 'plan' }), children: [mk('task', { status: 'running', attention: at('permission') })] };
    const other = { session: mk('other', { status: 'running', attention: null }), children: [] };
    const sorted = sortByAttention([other, plan], (r) => [r.session, ...r.children]);
    expect(sorted.map((r) => r.session.id)).toEqual(['plan', 'other']);
  });

  it('the tab title carries the count', () => {
    expect(titleWithCount(2, 'agentmux')).toBe('(2) agentmux');
    expect(titleWithCount(0, 'agentmux')).toBe('agentmux');
  });

  it('a call for the user is new when none was there, or its reason or time changed', () => {
    const a = sessionFromWire(wireSession({ attention: at('input') })).attention;
    const again = sessionFromWire(wireSession({ attention: at('input') })).attention;
    const later = sessionFromWire(wireSession({ attention: at('input', '2026-11-22T05:00:00.000Z') })).attention;
    const perm = sessionFromWire(wireSession({ attention: at('permission') })).attention;
    expect(newlyNeeds(null, a)).toBe(true);
    expect(newlyNeeds(a, again)).toBe(false);
    expect(newlyNeeds(a, later)).toBe(true);
    expect(newlyNeeds(a, perm)).toBe(true);
    expect(newlyNeeds(a, null)).toBe(false);
  });
});

describe('AttentionStore', () => {
  function setup(listed: Session[]) {
    let watcher: Watcher | null = null;
    let resolve: () => void = () => {};
    const loaded = new Promise<void>((r) => (resolve = r));
    const store = new AttentionStore(
      { sessions: async () => (setTimeout(resolve, 0), { sessions: listed }) },
      {
        watchAll: (w) => {
          watcher = w;
          return () => (watcher = null);
        },
      },
    );
    const gained: string[] = [];
    store.onGain((s) => gained.push(`${s.id}:${s.attention?.reason}`));
    const stop = store.start();
    return { store, gained, stop, loaded, watch: () => watcher! };
  }

  it('counts what the listing says needs the user, ignoring sessions an older daemon lists without the filter', async () => {
    const { store, gained, loaded } = setup([mk('a', { attention: at('ended') }), mk('b'), mk('c', { attention: at('input') })]);
    await loaded;
    expect(store.count).toBe(2);
    expect(gained).toEqual([]); // needing the user at load is not news
  });

  it('tells of each session that newly needs the user, once; an ack (attention null) removes it', async () => {
    const { store, gained, watch, loaded, stop } = setup([]);
    await loaded;
    watch().onStatus(mk('s1', { status: 'completed', attention: at('ended'), updated_at: '2026-11-22T04:00:01.000Z' }));
    watch().onStatus(mk('s1', { status: 'completed', attention: at('ended'), updated_at: '2026-11-22T04:00:02.000Z' })); // the same call again
    watch().onStatus(mk('s2', { status: 'running' })); // nothing to do
    expect(gained).toEqual(['s1:ended']);
    expect(store.count).toBe(1);
    store.update(mk('s1', { status: 'completed', attention: null, updated_at: '2026-11-22T04:00:03.000Z' }));
    expect(store.count).toBe(0);
    watch().onStatus(mk('s3', { attention: at('input') }));
    watch().onDeleted?.('s3');
    expect(store.count).toBe(0);
    stop();
  });
});
