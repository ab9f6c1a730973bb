// Everything a plan's page shows, kept current without polling: the plan session (status and
// `plan` from its feed's status messages), its children (GET ?parent_id=, again on each event
// that starts or ends one; live statuses from status-only watches) and its events (GET, then
// only the new ones, after_id, when the stream says one happened).
import type { Api } from '../api/http';
import type { Session, SessionEvent } from '../api/model';
import { STATUS_ONLY, type StreamConnection } from '../api/stream';
import { addEvents } from './events';
import { CHILD_EVENTS } from './plan';
import { byCreation } from './planTree';
import type { SessionFeed } from './sessionFeed';
import { applyUpdate, isTerminal } from './status';

export interface PlanState {
  plan: Session;
  children: Session[];
  events: SessionEvent[];
  /** The children have been fetched once. */
  loaded: boolean;
  error: string | null;
  version: number;
}

/** Runs `fn` once at a time; a call while it runs makes it run once more after. */
function serial(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await fn();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

export class PlanStore {
  private state: PlanState;
  private readonly listeners = new Set<() => void>();
  private readonly watched = new Map<string, () => void>();
  private lastEventId = 0;
  private disposed = false;
  private offFeed: (() => void) | null = null;
  readonly fetchChildren: () => Promise<void>;
  readonly fetchEvents: () => Promise<void>;

  constructor(
    private readonly api: Pick<Api, 'sessions' | 'events'>,
    private readonly conn: StreamConnection,
    private readonly feed: SessionFeed,
    initial: Session,
  ) {
    this.state = { plan: feed.session ?? initial, children: [], events: [], loaded: false, error: null, version: 0 };
    this.fetchChildren = serial(async () => {
      try {
        const page = await this.api.sessions({ parentId: this.state.plan.id, limit: 1000 });
        if (this.disposed) return;
        const have = new Map(this.state.children.map((c) => [c.id, c]));
        const children = page.sessions.filter((c) => c.parentId === this.state.plan.id).map((c) => applyUpdate(have.get(c.id), c));
        this.set({ children: children.sort(byCreation), loaded: true, error: null });
        this.syncWatches();
      } catch (e) {
        if (!this.disposed) this.set({ error: (e as Error).message, loaded: true });
      }
    });
    this.fetchEvents = serial(async () => {
      try {
        const got = await this.api.events(this.state.plan.id, this.lastEventId || undefined);
        if (this.disposed || !got.length) return;
        this.lastEventId = Math.max(this.lastEventId, ...got.map((e) => e.id ?? 0));
        this.set({ events: addEvents(this.state.events, got) });
      } catch (e) {
        if (!this.disposed) this.set({ error: (e as Error).message });
      }
    });
  }

  /** Listens to the plan's feed and loads children and events. */
  start(): Promise<void> {
    this.offFeed = this.feed.listen({
      onSession: (s) => {
        const was = this.state.plan;
        this.set({ plan: s });
        // The plan ended or moved on: the children's final records.
        if (s.status !== was.status || s.plan?.current !== was.plan?.current) void this.fetchChildren();
      },
      onEvent: (e) => {
        void this.fetchEvents();
        if (CHILD_EVENTS.has(e.eventType)) void this.fetchChildren();
      },
    });
    return Promise.all([this.fetchChildren(), this.fetchEvents()]).then(() => undefined);
  }

  get snapshot(): PlanState {
    return this.state;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): PlanState => this.state;

  /** A plan record from elsewhere (an action's answer). */
  updatePlan(s: Session): void {
    this.feed.updateSession(s);
  }

  watchedIds(): string[] {
    return [...this.watched.keys()];
  }

  dispose(): void {
    this.disposed = true;
    this.offFeed?.();
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    this.listeners.clear();
  }

  private updateChild(s: Session): void {
    const i = this.state.children.findIndex((c) => c.id === s.id);
    if (i < 0) return;
    const next = applyUpdate(this.state.children[i], s);
    if (next === this.state.children[i]) return;
    const children = this.state.children.slice();
    children[i] = next;
    this.set({ children });
    if (isTerminal(next.status)) this.unwatch(next.id);
  }

  private syncWatches(): void {
    const want = new Set(this.state.children.filter((c) => !isTerminal(c.status)).map((c) => c.id));
    for (const id of [...this.watched.keys()]) if (!want.has(id)) this.unwatch(id);
    for (const id of want) {
      if (this.watched.has(id)) continue;
      this.watched.set(id, this.conn.subscribe(id, { sinceSeq: () => STATUS_ONLY, onStatus: (s) => this.updateChild(s) }));
    }
  }

  private unwatch(id: string): void {
    const off = this.watched.get(id);
    if (!off) return;
    this.watched.delete(id);
    off();
  }

  private set(patch: Partial<PlanState>): void {
    if (this.disposed) return;
    this.state = { ...this.state, ...patch, version: this.state.version + 1 };
    for (const fn of this.listeners) fn();
  }
}
