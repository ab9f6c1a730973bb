// Sessions that need the user (issue 16): the agent waits at its input prompt, asks a permission
// question, or ended and nobody has looked yet (Session.attention). The list sorts them first, the
// tab title counts them, and "Notify me" tells of each one that newly needs the user. The app
// keeps one AttentionStore: GET /api/sessions?attention=true once, then every session's status
// messages (the stream's `watch`). A daemon without the field simply never has any.
import type { Attention, Session } from '../api/model';
import type { Watcher } from '../api/stream';
import { isLive } from './status';

const LABEL: Record<string, string> = { input: 'needs input', permission: 'permission?', ended: 'done' };
const BODY: Record<string, string> = { input: 'Waiting for your input', permission: 'Asks for your permission', ended: 'Ended: have a look' };

/** The badge's words: "needs input", "permission?", "done" (an unknown reason as it is). */
export function attentionLabel(a: Pick<Attention, 'reason'>): string {
  return LABEL[a.reason] ?? a.reason.replace(/_/g, ' ');
}

/** A notification's body: what the session waits for, and the agent's message when it gave one. */
export function attentionBody(a: Pick<Attention, 'reason' | 'message'>): string {
  const what = BODY[a.reason] ?? attentionLabel(a);
  return a.message ? `${what}: ${a.message}` : what;
}

/** 0: needs the user; 1: running (or paused); 2: the rest. */
export function attentionRank(s: Pick<Session, 'attention' | 'status'>): number {
  if (s.attention) return 0;
  return isLive(s.status) ? 1 : 2;
}

/**
 * The list's order: rows needing the user first, then running ones, then the rest, each group
 * in the order it had (newest first). A row ranks as its best session (a plan by its tasks too).
 */
export function sortByAttention<R>(rows: readonly R[], sessionsOf: (row: R) => readonly Pick<Session, 'attention' | 'status'>[]): R[] {
  const ranked = rows.map((row, i) => ({ row, i, rank: Math.min(...sessionsOf(row).map(attentionRank)) }));
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  return ranked.map((r) => r.row);
}

/** "(2) agentmux": the tab says how many sessions need the user. */
export function titleWithCount(count: number, base: string): string {
  return count > 0 ? `(${count}) ${base}` : base;
}

/** Whether going from `prev` to `next` is a new call for the user (not the same one seen again). */
export function newlyNeeds(prev: Attention | null | undefined, next: Attention | null): boolean {
  if (!next) return false;
  return !prev || prev.reason !== next.reason || prev.since !== next.since;
}

export interface AttentionApi {
  sessions(f: { attention: true; limit: number }): Promise<{ sessions: Session[] }>;
}
export interface AttentionStream {
  watchAll(w: Watcher): () => void;
}

export class AttentionStore {
  private readonly needing = new Map<string, Session>();
  private readonly listeners = new Set<() => void>();
  private readonly gainListeners = new Set<(s: Session) => void>();
  private loaded = false;
  private snapshot: Session[] = [];

  constructor(
    private readonly api: AttentionApi,
    private readonly stream: AttentionStream,
  ) {}

  /** Loads, then follows every session's changes; returns the stop. */
  start(): () => void {
    const off = this.stream.watchAll({ onStatus: (s) => this.update(s), onDeleted: (id) => this.remove(id) });
    let alive = true;
    this.api
      .sessions({ attention: true, limit: 200 })
      .then(({ sessions }) => {
        if (!alive) return;
        // Older daemons ignore `attention=true`: keep only those that say so.
        for (const s of sessions) if (s.attention && !this.needing.has(s.id)) this.needing.set(s.id, s);
        this.loaded = true;
        this.changed();
      })
      .catch(() => {
        this.loaded = true; // what the stream says still counts
      });
    return () => {
      alive = false;
      off();
    };
  }

  /** A session record from anywhere (a watch status, an ack's answer). */
  update(s: Session): void {
    const had = this.needing.get(s.id);
    if (s.attention) {
      if (had && had.updatedAt > s.updatedAt) return;
      this.needing.set(s.id, s);
      if (this.loaded && newlyNeeds(had?.attention, s.attention)) for (const fn of this.gainListeners) fn(s);
      this.changed();
    } else if (had) {
      if (had.updatedAt > s.updatedAt) return;
      this.remove(s.id);
    }
  }

  remove(id: string): void {
    if (this.needing.delete(id)) this.changed();
  }

  /** Each session that newly needs the user (not those that did when the page loaded). */
  onGain(fn: (s: Session) => void): () => void {
    this.gainListeners.add(fn);
    return () => this.gainListeners.delete(fn);
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): Session[] => this.snapshot;

  get count(): number {
    return this.needing.size;
  }

  private changed(): void {
    this.snapshot = [...this.needing.values()];
    for (const fn of this.listeners) fn();
  }
}
