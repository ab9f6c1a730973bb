import { describe, expect, it } from 'vitest';
import { sessionFromWire } from '../api/model';
import { wirePlan, wireSession } from '../test/fakes';
import { listKey, matchesSearch, moveSelection, searchRows } from './listNav';

const s = (over: Parameters<typeof wireSession>[0]) => sessionFromWire(wireSession(over));
const key = (k: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) => ({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...mods });

describe('list search', () => {
  const otter = s({ id: '0193a1b2-c3d4-7e5f-a6b7-8c3f9a2c1b7e', name: 'brave-otter', prompt: 'Fix the lint errors', tool: 'claude', project_path: '/home/me/shop' });

  it('finds a session by its name, short or long id, prompt, tool or project, every word', () => {
    for (const q of ['otter', '8c3f9a2c', '0193a1b2', 'LINT errors', 'claude', 'shop', 'brave claude']) expect(matchesSearch(otter, q), q).toBe(true);
    for (const q of ['codex', 'otter codex', 'zzz']) expect(matchesSearch(otter, q), q).toBe(false);
    expect(matchesSearch(otter, '  ')).toBe(true);
  });

  it('keeps a plan whose task matches, and drops rows that do not', () => {
    const plan = s({ id: 'p', kind: 'plan', plan: wirePlan({ name: 'add-login' }), command: [] });
    const task = s({ id: 't', parent_id: 'p', prompt: 'Create the User model' });
    const other = s({ id: 'o', prompt: 'something else' });
    const rows = [
      { session: plan, children: [task] },
      { session: other, children: [] },
    ];
    expect(searchRows(rows, 'user model').map((r) => r.session.id)).toEqual(['p']);
    expect(searchRows(rows, 'add-login').map((r) => r.session.id)).toEqual(['p']);
    expect(searchRows(rows, '').map((r) => r.session.id)).toEqual(['p', 'o']);
  });
});

describe('list keys', () => {
  it('j and k move the selection, starting at the first row and stopping at the ends', () => {
    const ids = ['a', 'b', 'c'];
    expect(moveSelection(ids, null, 1)).toBe('a');
    expect(moveSelection(ids, null, -1)).toBe('a');
    expect(moveSelection(ids, 'a', 1)).toBe('b');
    expect(moveSelection(ids, 'c', 1)).toBe('c');
    expect(moveSelection(ids, 'a', -1)).toBe('a');
    expect(moveSelection(ids, 'gone', 1)).toBe('a'); // a row filtered away: start again
    expect(moveSelection([], null, 1)).toBeNull();
  });

  it('keys mean nothing while typing in a field (Escape still leaves it), or with modifiers', () => {
    expect(listKey(key('j'), false)).toBe('down');
    expect(listKey(key('k'), false)).toBe('up');
    expect(listKey(key('Enter'), false)).toBe('open');
    expect(listKey(key('/'), false)).toBe('search');
    expect(listKey(key('?'), false)).toBe('help');
    expect(listKey(key('j'), true)).toBeNull();
    expect(listKey(key('/'), true)).toBeNull();
    expect(listKey(key('Escape'), true)).toBe('close');
    expect(listKey(key('j', { ctrlKey: true }), false)).toBeNull();
    expect(listKey(key('k', { metaKey: true }), false)).toBeNull();
    expect(listKey(key('x'), false)).toBeNull();
  });
});
