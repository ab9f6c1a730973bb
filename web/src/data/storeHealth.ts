// Whether the daemon's database can be written, for the banner every page shows. Sources:
// GET /api/health every few seconds (`store`, `store_integrity`), and any sessions listing that
// carries `store` (only present while the database cannot be written), which shows it at once.
// Only health saying `store: "ok"` hides the unwritable banner again.
import type { WireHealth } from '../api/wire';

export interface StoreState {
  /** 'ok', or why the database cannot be written now; null until known. */
  store: string | null;
  /** 'ok', 'checking' or 'failed: …'; null until known. */
  integrity: string | null;
}

export const STORE_UNKNOWN: StoreState = { store: null, integrity: null };

export interface StoreBanner {
  kind: 'unwritable' | 'damaged';
  /** One sentence or two; `backquoted` parts are commands. */
  text: string;
}

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** The state after a health answer (a daemon without a field leaves that part as it was). */
export function storeFromHealth(prev: StoreState, h: Partial<Pick<WireHealth, 'store' | 'store_integrity'>>): StoreState {
  const store = nonEmpty(h.store) ?? prev.store;
  const integrity = nonEmpty(h.store_integrity) ?? prev.integrity;
  return store === prev.store && integrity === prev.integrity ? prev : { store, integrity };
}

/** The state after a sessions listing: its `store`, when there, says the database cannot be written. */
export function storeFromList(prev: StoreState, store: string | null | undefined): StoreState {
  const s = nonEmpty(store);
  if (!s || s === 'ok' || s === prev.store) return prev;
  return { ...prev, store: s };
}

export const isUnwritable = (s: StoreState): boolean => s.store !== null && s.store !== 'ok';
export const isDamaged = (s: StoreState): boolean => s.integrity !== null && s.integrity.startsWith('failed');

export function storeBanners(s: StoreState): StoreBanner[] {
  const out: StoreBanner[] = [];
  if (isUnwritable(s)) {
    const when = s.store!.startsWith('disk full') ? 'when space is freed' : 'once the database can be written again';
    out.push({
      kind: 'unwritable',
      text: `The database cannot be written (${s.store}). Agents' output is held back — nothing is lost; it resumes by itself ${when}.`,
    });
  }
  if (isDamaged(s))
    out.push({ kind: 'damaged', text: 'The database file is damaged: stop the daemon and run `agentmux doctor --repair`.' });
  return out;
}

type Timer = unknown;
export interface StoreMonitorOptions {
  intervalMs?: number;
  /** Whether to poll now (false while the tab is hidden). */
  active?: () => boolean;
  onError?: (e: unknown) => void;
  setInterval?: (fn: () => void, ms: number) => Timer;
  clearInterval?: (t: Timer) => void;
}

/** Polls health and keeps the StoreState, for useSyncExternalStore. */
export class StoreMonitor {
  private state: StoreState = STORE_UNKNOWN;
  private readonly listeners = new Set<() => void>();
  private inFlight = false;

  constructor(
    private readonly fetchHealth: () => Promise<Partial<Pick<WireHealth, 'store' | 'store_integrity'>>>,
    private readonly opts: StoreMonitorOptions = {},
  ) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): StoreState => this.state;

  /** Asks health now (at most one request at a time). Errors go to onError; the state stays. */
  async poll(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const h = await this.fetchHealth();
      this.set(storeFromHealth(this.state, h)); // the state now, not when the request left
    } catch (e) {
      this.opts.onError?.(e);
    } finally {
      this.inFlight = false;
    }
  }

  /** A sessions listing's `store` field. */
  reportList(store: string | null | undefined): void {
    this.set(storeFromList(this.state, store));
  }

  /** Polls now and then every intervalMs (default 5 s) while active(); returns the stop function. */
  start(): () => void {
    const every = this.opts.intervalMs ?? 5000;
    const set = this.opts.setInterval ?? ((fn, ms) => globalThis.setInterval(fn, ms));
    const clear = this.opts.clearInterval ?? ((t) => globalThis.clearInterval(t as ReturnType<typeof setInterval>));
    const tick = () => {
      if (this.opts.active?.() ?? true) void this.poll();
    };
    tick();
    const t = set(tick, every);
    return () => clear(t);
  }

  private set(next: StoreState): void {
    if (next === this.state) return;
    this.state = next;
    for (const fn of this.listeners) fn();
  }
}
