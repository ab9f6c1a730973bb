// One agent conversation read as one transcript: the sessions that continued it (parent_id +
// metadata.resume_conversation, docs/api.md "continue") and a plan's tasks (which share one
// conversation) each bring their items, with the prompt the user gave each one shown as a user
// message before them. The current session's items stay live (its feed); earlier ones are read
// once (GET …/transcript).
import type { Session, TranscriptItem } from '../api/model';
import { byCreation } from './planTree';

export interface TranscriptPart {
  session: Session;
  items: TranscriptItem[];
}

export type StitchedEntry =
  | { kind: 'session'; session: Session; first: boolean }
  | { kind: 'prompt'; session: Session; text: string }
  | { kind: 'item'; session: Session; item: TranscriptItem };

/** The session `child` resumes `parent`'s agent conversation (a continue, not a retry). */
export function continues(child: Pick<Session, 'parentId' | 'metadata' | 'kind'>, parent: Pick<Session, 'id' | 'kind'>): boolean {
  return child.parentId === parent.id && parent.kind === 'agent' && !!child.metadata.resume_conversation;
}

/** The prompt to show as the user's message, unless the agent's own items already start with it. */
export function promptOf(part: TranscriptPart): string | null {
  const p = part.session.prompt?.trim();
  if (!p) return null;
  const firstUser = part.items.find((i) => i.kind === 'text' && i.role === 'user');
  if (firstUser && firstUser.kind === 'text' && firstUser.text.trim() === p) return null;
  return p;
}

/** The parts in order, each: a header (which session), the user's prompt, the session's items. */
export function stitch(parts: readonly TranscriptPart[]): StitchedEntry[] {
  const out: StitchedEntry[] = [];
  parts.forEach((part, i) => {
    out.push({ kind: 'session', session: part.session, first: i === 0 });
    const prompt = promptOf(part);
    if (prompt) out.push({ kind: 'prompt', session: part.session, text: prompt });
    for (const item of part.items) out.push({ kind: 'item', session: part.session, item });
  });
  return out;
}

/** A plan's earlier task sessions in the conversation before `current`: its tasks' tries, not the verify runs. */
export function earlierTasks(current: Session, siblings: readonly Session[]): Session[] {
  return siblings
    .filter((s) => s.id !== current.id && s.parentId === current.parentId && s.kind === 'agent' && s.metadata.plan_role !== 'verify' && s.transcript)
    .filter((s) => byCreation(s, current) < 0)
    .sort(byCreation);
}

export interface ChainApi {
  session(id: string): Promise<Session>;
  sessions(f: { parentId: string; limit: number }): Promise<{ sessions: Session[] }>;
}

/** At most this many earlier sessions are stitched in (the oldest beyond it are left out). */
export const MAX_CHAIN = 30;

/**
 * The sessions of the conversation before `s`, oldest first: up the continue chain, and for a
 * plan's task the plan's earlier tasks (whose own continues are not followed: a plan is one chain).
 */
export async function conversationBefore(api: ChainApi, s: Session): Promise<Session[]> {
  const chain: Session[] = [];
  let cur = s;
  while (chain.length < MAX_CHAIN && cur.parentId) {
    if (cur.position !== null || cur.metadata.plan_role) {
      const { sessions } = await api.sessions({ parentId: cur.parentId, limit: 1000 });
      return [...earlierTasks(cur, sessions).slice(-(MAX_CHAIN - chain.length)), ...chain.reverse()];
    }
    const parent = await api.session(cur.parentId);
    if (!continues(cur, parent) || !parent.transcript) break;
    chain.push(parent);
    cur = parent;
  }
  return chain.reverse();
}

/** Sessions that continued `s` (newest first, as listed). */
export function continuations(s: Session, children: readonly Session[]): Session[] {
  return children.filter((c) => continues(c, s));
}
