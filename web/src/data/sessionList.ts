// The sessions a page shows, kept current without polling: one GET per filter change (and
// "load more"), then status messages over the stream for every shown session that can still
// change. Watches ask for no log bytes (since_seq = STATUS_ONLY). A plan's watch also hears its
// events: when one starts or ends a task, its children (which the list folds under it) are
// fetched again (same filter, parent_id = the plan) and merged in.
import type { Api, SessionFilter } from '../api/http';
import type { Session } from '../api/model';
import { STATUS_ONLY, type StreamConnection } from '../api/stream';
import { CHILD_EVENTS } from './plan';
import { specMatches } from './format';
import { applyUpdate, isTerminal } from './status';

export interface ListState {
  sessions: Session[];
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
  /** HTTP status of the last error (401: the token was refused). */
  errorStatus: number | null;
  /** Bumped on every change (for useSyncExternalStore). */
  version: number;
}

/** Whether a session belongs in a listing with `f` (as the daemon filters GET /api/sessions). */
export function matchesFilter(s: Session, f: SessionFilter): boolean {
  if (f.status && s.status !== f.status) return false;
  if (f.tool && s.tool !== f.tool) return false;
  if (f.project && s.projectPath !== f.project) return false;
  if (f.kind && s.kind !== f.kind) return false;
  if (f.parentId && s.parentId !== f.parentId) return false;
  if (f.attention && !s.attention) return false;
  if (f.spec) {
    const spec = f.spec;
    if (!s.specIds.some((x) => x === spec || x.startsWith(spec) || specMatches(x, spec))) return false;
  }
  return true;
}

export class SessionListStore {
  private state: ListState = { sessions: [], nextCursor: null, loading: false, error: null, errorStatus: null, version: 0 };
  private readonly listeners = new Set<() => void>();
  private readonly watched = new Map<string, () => void>();
  private filter: SessionFilter = {};
  private generation = 0;

  constructor(
    private readonly api: Api,
    private readonly conn: StreamConnection,
  ) {}

  get snapshot(): ListState {
    return this.state;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): ListState => this.state;

  async load(filter: SessionFilter): Promise<void> {
    this.filter = { ...filter };
    const gen = ++this.generation;
    this.set({ loading: true, error: null, errorStatus: null });
    try {
      const page = await this.api.sessions(this.filter);
      if (gen !== this.generation) return;
      this.set({ sessions: page.sessions, nextCursor: page.nextCursor, loading: false });
    } catch (e) {
      if (gen !== this.generation) return;
      this.set({ loading: false, error: (e as Error).message, errorStatus: (e as { status?: number }).status ?? null });
    }
    this.syncWatches();
  }

  /** Fetches again with the same filter (window refocused, a session was created here). */
  refresh(): Promise<void> {
    return this.load(this.filter);
  }

  async loadMore(): Promise<void> {
    const cursor = this.state.nextCursor;
    if (!cursor || this.state.loading) return;
    const gen = this.generation;
    this.set({ loading: true });
    try {
      const page = await this.api.sessions({ ...this.filter, cursor });
      if (gen !== this.generation) return;
      const have = new Set(this.state.sessions.map((s) => s.id));
      this.set({
        sessions: [...this.state.sessions, ...page.sessions.filter((s) => !have.has(s.id))],
        nextCursor: page.nextCursor,
        loading: false,
      });
    } catch (e) {
      this.set({ loading: false, error: (e as Error).message, errorStatus: (e as { status?: number }).status ?? null });
    }
    this.syncWatches();
  }

  /** A session record from elsewhere (a status message, an action's answer). */
  update(s: Session): void {
    const i = this.state.sessions.findIndex((x) => x.id === s.id);
    if (i < 0) return;
    const next = applyUpdate(this.state.sessions[i], s);
    if (next === this.state.sessions[i]) return;
    const sessions = this.state.sessions.slice();
    sessions[i] = next;
    this.set({ sessions });
    if (isTerminal(next.status)) this.unwatch(next.id);
  }

  /**
   * A session the stream's watch reports (docs/api.md `watch`: every session created or changed):
   * updates it if listed, adds it in front if it is new and matches the filter, so sessions started
   * elsewhere (the CLI) show up without a reload.
   */
  seen(s: Session): void {
    if (this.state.sessions.some((x) => x.id === s.id)) {
      this.update(s);
      return;
    }
    if (this.state.loading && !this.state.sessions.length) return; // the listing will have it
    if (!matchesFilter(s, this.filter)) return;
    const newest = this.state.sessions[0];
    if (newest && s.createdAt < newest.createdAt) return; // an old session: it belongs further down
    this.set({ sessions: [s, ...this.state.sessions] });
    this.syncWatches();
  }

  /** Fetches a plan's children again (same filter) and merges them into the list. */
  async refreshChildren(planId: string): Promise<void> {
    const gen = this.generation;
    try {
      const page = await this.api.sessions({ ...this.filter, parentId: planId, cursor: null, limit: 1000 });
      if (gen !== this.generation) return;
      const byId = new Map(this.state.sessions.map((s, i) => [s.id, i]));
      const sessions = this.state.sessions.slice();
      const added: Session[] = [];
      for (const c of page.sessions) {
        if (c.parentId !== planId) continue;
        const i = byId.get(c.id);
        if (i === undefined) added.push(c);
        else sessions[i] = applyUpdate(sessions[i], c);
      }
      // Newest first, like the listing: new children are newer than what the page holds.
      this.set({ sessions: [...added.reverse(), ...sessions] });
    } catch {
      return; // the next event, or a refresh, tries again
    }
    this.syncWatches();
  }

  remove(id: string): void {
    this.unwatch(id);
    this.set({ sessions: this.state.sessions.filter((s) => s.id !== id) });
  }

  watchedIds(): string[] {
    return [...this.watched.keys()];
  }

  dispose(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    this.listeners.clear();
  }

  private syncWatches(): void {
    const live = this.state.sessions.filter((s) => !isTerminal(s.status));
    const want = new Set(live.map((s) => s.id));
    const plans = new Set(live.filter((s) => s.kind === 'plan').map((s) => s.id));
    for (const id of [...this.watched.keys()]) if (!want.has(id)) this.unwatch(id);
    for (const id of want) {
      if (this.watched.has(id)) continue;
      this.watched.set(
        id,
        this.conn.subscribe(id, {
          sinceSeq: () => STATUS_ONLY,
          onStatus: (s) => this.update(s),
          onEvent: plans.has(id) ? (e) => CHILD_EVENTS.has(e.eventType) && void this.refreshChildren(id) : undefined,
        }),
      );
    }
  }

  private unwatch(id: string): void {
    const off = this.watched.get(id);
    if (!off) return;
    this.watched.delete(id);
    off();
  }

  private set(patch: Partial<ListState>): void {
    this.state = { ...this.state, ...patch, version: this.state.version + 1 };
    for (const fn of this.listeners) fn();
  }
}
