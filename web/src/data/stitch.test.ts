import { describe, expect, it } from 'vitest';
import { sessionFromWire, type Session, type TranscriptItem } from '../api/model';
import type { WireSession } from '../api/wire';
import { wireSession } from '../test/fakes';
import { continuations, continues, conversationBefore, stitch, type ChainApi } from './stitch';

const mk = (id: string, over: Partial<WireSession> = {}) =>
  sessionFromWire(wireSession({ id, tool: 'claude', transcript: true, created_at: `2026-11-22T04:00:0${id.slice(-1)}.000Z`, ...over }));
const say = (text: string): TranscriptItem => ({ kind: 'text', role: 'assistant', text });
const resume = { resume_conversation: 'conv-1' };

describe('a conversation as one transcript', () => {
  it('puts each session\'s prompt as the user\'s message before its items', () => {
    const first = mk('s1', { prompt: 'Please create hello.txt' });
    const second = mk('s2', { prompt: 'And what now?', parent_id: 's1', metadata: resume });
    const entries = stitch([
      { session: first, items: [say("I'll create hello.txt.")] },
      { session: second, items: [say('I see 6 messages in this conversation.')] },
    ]);
    expect(entries.map((e) => (e.kind === 'session' ? `[${e.session.id}]` : e.kind === 'prompt' ? `user: ${e.text}` : `agent: ${(e.item as { text: string }).text}`))).toEqual([
      '[s1]',
      'user: Please create hello.txt',
      "agent: I'll create hello.txt.",
      '[s2]',
      'user: And what now?',
      'agent: I see 6 messages in this conversation.',
    ]);
  });

  it('does not repeat a prompt the agent\'s items already start with, nor show an empty one', () => {
    const s = mk('s1', { prompt: 'hi' });
    const e1 = stitch([{ session: s, items: [{ kind: 'text', role: 'user', text: 'hi' }, say('hello')] }]);
    expect(e1.filter((e) => e.kind === 'prompt')).toEqual([]);
    const e2 = stitch([{ session: mk('s2', { prompt: null }), items: [say('x')] }]);
    expect(e2.map((e) => e.kind)).toEqual(['session', 'item']);
  });

  it('a continue is part of the conversation; a retry is not', () => {
    const parent = mk('s1');
    expect(continues(mk('s2', { parent_id: 's1', metadata: resume }), parent)).toBe(true);
    expect(continues(mk('s3', { parent_id: 's1' }), parent)).toBe(false);
    expect(continuations(parent, [mk('s2', { parent_id: 's1', metadata: resume }), mk('s3', { parent_id: 's1' })]).map((s) => s.id)).toEqual(['s2']);
  });

  function fakeApi(all: Session[]): ChainApi & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      session: async (id) => (calls.push(`get ${id}`), all.find((s) => s.id === id)!),
      sessions: async ({ parentId }) => (calls.push(`list ${parentId}`), { sessions: all.filter((s) => s.parentId === parentId).reverse() }),
    };
  }

  it('walks up the continue chain, stopping at a retry', async () => {
    const all = [mk('s1'), mk('s2', { parent_id: 's1' }) /* a retry */, mk('s3', { parent_id: 's2', metadata: resume }), mk('s4', { parent_id: 's3', metadata: resume })];
    expect((await conversationBefore(fakeApi(all), all[3]!)).map((s) => s.id)).toEqual(['s2', 's3']);
    expect(await conversationBefore(fakeApi(all), all[0]!)).toEqual([]);
  });

  it('a plan\'s task reads after the plan\'s earlier tasks (not their verify runs), and a continue of it after those', async () => {
    const plan = mk('p0', { kind: 'plan', transcript: false });
    const t1 = mk('t1', { parent_id: 'p0', position: 0, metadata: { plan_role: 'task', attempt: '1' } });
    const v1 = mk('v2', { parent_id: 'p0', position: 0, tool: 'shell', transcript: false, metadata: { plan_role: 'verify' } });
    const t2 = mk('t3', { parent_id: 'p0', position: 1, metadata: { plan_role: 'task', attempt: '1', ...resume } });
    const t3 = mk('t4', { parent_id: 'p0', position: 2, metadata: { plan_role: 'task', attempt: '1', ...resume } });
    const cont = mk('c5', { parent_id: 't3', metadata: resume });
    const all = [plan, t1, v1, t2, t3, cont];
    expect((await conversationBefore(fakeApi(all), t3)).map((s) => s.id)).toEqual(['t1', 't3']);
    expect((await conversationBefore(fakeApi(all), cont)).map((s) => s.id)).toEqual(['t1', 't3']);
  });
});
