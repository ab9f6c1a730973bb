// HTTP client for the daemon's API (same origin). Every call sends the bearer token; every
// error comes back as an ApiError with the daemon's stable code and message.
import {
  checkpointFromWire,
  chunkFromWire,
  diffFromWire,
  eventFromWire,
  itemFromWire,
  sessionFromWire,
  specFromWire,
  toolFromWire,
  type Checkpoint,
  type Chunk,
  type Diff,
  type Session,
  type SessionEvent,
  type SessionStatus,
  type Spec,
  type Tool,
  type TranscriptItem,
} from './model';
import type {
  ContinueRequest,
  CreatePlanRequest,
  CreateSessionRequest,
  EventsPage,
  LogsPage,
  SessionsPage,
  SpecsPage,
  ToolsPage,
  TranscriptPage,
  WireError,
  WireHealth,
  WireSession,
} from './wire';
import type { CheckpointsPage, RestoreRequest, WireCheckpoint, WireDiff, WireMergeResult, WireRestoreResult } from './wireChanges';

export interface RestoreResult {
  restored: Checkpoint;
  changed: string[];
  /** The present, checkpointed before the restore: restoring it undoes this one. */
  undo: Checkpoint;
  /** With `continue`: the new running session. */
  session: Session | null;
}

export interface MergeResult {
  fastForward: boolean;
  commit: string;
  branch: string;
}

export interface LogPage {
  chunks: Chunk[];
  /** The last seq this page reached (its last chunk's, or where it started when empty). */
  lastSeq: number;
  /** The session's log_seq now. */
  logSeq: number;
  status: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface SessionFilter {
  status?: SessionStatus | '';
  tool?: string;
  spec?: string;
  project?: string;
  kind?: 'agent' | 'plan' | '';
  /** A plan's tasks, or what continues a session. */
  parentId?: string;
  /** Only sessions that need the user (issue 16; older daemons ignore it: filter the answer too). */
  attention?: boolean;
  limit?: number;
  cursor?: string | null;
}

type FetchFn = typeof fetch;

export class Api {
  private readonly storeListeners = new Set<(store: string) => void>();

  constructor(
    private readonly token: string,
    private readonly base = '',
    private readonly fetchFn: FetchFn = (...a) => fetch(...a),
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the agentmux daemon (${(e as Error).message}); is it running?`);
    }
    const text = await res.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        throw new ApiError(res.status, 'bad_response', `the daemon answered ${res.status} with something that is not JSON`);
      }
    }
    if (!res.ok) {
      const err = (json as WireError | null)?.error;
      throw new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  /** Called with the reason whenever a sessions listing says the database cannot be written. */
  onStoreUnwritable(fn: (store: string) => void): () => void {
    this.storeListeners.add(fn);
    return () => this.storeListeners.delete(fn);
  }

  health(): Promise<WireHealth> {
    return this.request('GET', '/api/health');
  }

  async tools(): Promise<Tool[]> {
    const r = await this.request<ToolsPage>('GET', '/api/tools');
    return r.tools.map(toolFromWire);
  }

  async specs(project: string): Promise<{ project: string; specs: Spec[] }> {
    const r = await this.request<SpecsPage>('GET', `/api/specs?project=${encodeURIComponent(project)}`);
    return { project: r.project, specs: r.specs.map(specFromWire) };
  }

  async sessions(f: SessionFilter = {}): Promise<{ sessions: Session[]; nextCursor: string | null; store: string | null }> {
    const q = new URLSearchParams();
    if (f.status) q.set('status', f.status);
    if (f.tool) q.set('tool', f.tool);
    if (f.spec) q.set('spec', f.spec);
    if (f.project) q.set('project', f.project);
    if (f.kind) q.set('kind', f.kind);
    if (f.parentId) q.set('parent_id', f.parentId);
    if (f.attention) q.set('attention', 'true');
    if (f.limit) q.set('limit', String(f.limit));
    if (f.cursor) q.set('cursor', f.cursor);
    const qs = q.toString();
    const r = await this.request<SessionsPage>('GET', '/api/sessions' + (qs ? `?${qs}` : ''));
    const store = typeof r.store === 'string' && r.store ? r.store : null;
    if (store) for (const fn of this.storeListeners) fn(store);
    return { sessions: r.sessions.map(sessionFromWire), nextCursor: r.next_cursor ?? null, store };
  }

  async session(id: string, withContext = false): Promise<Session> {
    const w = await this.request<WireSession>('GET', `/api/sessions/${encodeURIComponent(id)}${withContext ? '?context' : ''}`);
    return sessionFromWire(w);
  }

  async create(req: CreateSessionRequest): Promise<Session> {
    return sessionFromWire(await this.request<WireSession>('POST', '/api/sessions', req));
  }

  /** A plan: its session (kind plan), started unless `start` is false. 422 invalid_plan says what is wrong. */
  async createPlan(req: CreatePlanRequest): Promise<Session> {
    return sessionFromWire(await this.request<WireSession>('POST', '/api/plans', req));
  }

  private async act(id: string, action: string, body: unknown = {}): Promise<Session> {
    return sessionFromWire(await this.request<WireSession>('POST', `/api/sessions/${encodeURIComponent(id)}/${action}`, body));
  }
  start(id: string) {
    return this.act(id, 'start');
  }
  pause(id: string) {
    return this.act(id, 'pause');
  }
  resume(id: string) {
    return this.act(id, 'resume');
  }
  stop(id: string, graceMs?: number) {
    return this.act(id, 'stop', graceMs === undefined ? {} : { grace_ms: graceMs });
  }

  /** A new running session with the same fields (parent_id = id). */
  async retry(id: string): Promise<Session> {
    return sessionFromWire(await this.request<WireSession>('POST', `/api/sessions/${encodeURIComponent(id)}/retry`, {}));
  }

  /** A new running session that resumes the agent's conversation with `prompt`. */
  async continueConversation(id: string, req: ContinueRequest): Promise<Session> {
    return sessionFromWire(await this.request<WireSession>('POST', `/api/sessions/${encodeURIComponent(id)}/continue`, req));
  }

  async remove(id: string): Promise<void> {
    await this.request('DELETE', `/api/sessions/${encodeURIComponent(id)}`);
  }

  async events(id: string, afterId?: number): Promise<SessionEvent[]> {
    const q = afterId ? `?after_id=${afterId}` : '';
    const r = await this.request<EventsPage>('GET', `/api/sessions/${encodeURIComponent(id)}/events${q}`);
    return r.events.map(eventFromWire);
  }

  /**
   * One page of the log: `tail` = the chunks covering the last N lines (the first one trimmed to
   * them), else the chunks after `afterSeq`, at most `limit`. Pages are capped (8 MiB):
   * `lastSeq < logSeq` means more follows.
   */
  async logs(id: string, q: { afterSeq?: number; tail?: number; limit?: number }): Promise<LogPage> {
    const p = new URLSearchParams({ format: 'json' });
    if (q.afterSeq) p.set('after_seq', String(q.afterSeq));
    if (q.tail !== undefined) p.set('tail', String(q.tail));
    if (q.limit) p.set('limit', String(q.limit));
    const page = await this.request<LogsPage>('GET', `/api/sessions/${encodeURIComponent(id)}/logs?${p}`);
    return { chunks: page.chunks.map(chunkFromWire), lastSeq: page.last_seq, logSeq: page.log_seq, status: page.status };
  }

  /** Raw log bytes after `afterSeq` (one capped page) and the seq they reach (X-Agentmux-Last-Seq). */
  async rawLogPage(id: string, afterSeq: number): Promise<{ data: ArrayBuffer; lastSeq: number }> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}/api/sessions/${encodeURIComponent(id)}/logs?format=raw&after_seq=${afterSeq}`, {
        headers: { Authorization: `Bearer ${this.token}` },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the agentmux daemon (${(e as Error).message}); is it running?`);
    }
    if (!res.ok) {
      const err = ((await res.json().catch(() => null)) as WireError | null)?.error;
      throw new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? `HTTP ${res.status}`);
    }
    const lastSeq = Number(res.headers.get('X-Agentmux-Last-Seq'));
    return { data: await res.arrayBuffer(), lastSeq: Number.isFinite(lastSeq) ? lastSeq : afterSeq };
  }

  /** The transcript items read from the whole log, and the last chunk read (subscribe from it). */
  async transcript(id: string): Promise<{ items: TranscriptItem[]; logSeq: number }> {
    const r = await this.request<TranscriptPage>('GET', `/api/sessions/${encodeURIComponent(id)}/transcript`);
    return { items: r.items.map(itemFromWire), logSeq: r.log_seq };
  }

  /** The user has seen it: attention becomes null (issue 16). */
  async ack(id: string): Promise<Session> {
    return sessionFromWire(await this.request<WireSession>('POST', `/api/sessions/${encodeURIComponent(id)}/ack`, {}));
  }

  /** Every chunk after `afterSeq`, page by page, until the page reaches the log's end. */
  async allLogs(id: string, afterSeq = 0, signal?: { cancelled: boolean }): Promise<Chunk[]> {
    const out: Chunk[] = [];
    let after = afterSeq;
    for (;;) {
      const page = await this.request<LogsPage>('GET', `/api/sessions/${encodeURIComponent(id)}/logs?after_seq=${after}&format=json`);
      if (signal?.cancelled) return out;
      for (const c of page.chunks) out.push(chunkFromWire(c));
      if (page.chunks.length === 0 || page.last_seq >= page.log_seq) return out;
      after = page.last_seq;
    }
  }

  /** What the session changed, with the unified patch. 422 not_a_git_repository, 409 no_checkpoints. */
  async diff(id: string): Promise<Diff> {
    return diffFromWire(await this.request<WireDiff>('GET', `/api/sessions/${encodeURIComponent(id)}/diff`));
  }

  /** Oldest first. */
  async checkpoints(id: string): Promise<Checkpoint[]> {
    const r = await this.request<CheckpointsPage>('GET', `/api/sessions/${encodeURIComponent(id)}/checkpoints`);
    return r.checkpoints.map(checkpointFromWire);
  }

  /** A manual checkpoint of the session's tree now. */
  async checkpoint(id: string, message?: string): Promise<Checkpoint> {
    const body = message ? { message } : {};
    return checkpointFromWire(await this.request<WireCheckpoint>('POST', `/api/sessions/${encodeURIComponent(id)}/checkpoints`, body));
  }

  /** Puts the tree back as the checkpoint has it (the present is checkpointed first). 409 session_running, worktree_gone. */
  async restore(checkpointId: string, req: RestoreRequest = {}): Promise<RestoreResult> {
    const r = await this.request<WireRestoreResult>('POST', `/api/checkpoints/${encodeURIComponent(checkpointId)}/restore`, req);
    return {
      restored: checkpointFromWire(r.restored),
      changed: Array.isArray(r.changed) ? r.changed : [],
      undo: checkpointFromWire(r.undo),
      session: r.session ? sessionFromWire(r.session) : null,
    };
  }

  /** Merges the session's worktree branch into the project's current branch. 409 merge_conflict. */
  async merge(id: string): Promise<MergeResult> {
    const r = await this.request<WireMergeResult>('POST', `/api/sessions/${encodeURIComponent(id)}/merge`, {});
    return { fastForward: r.fast_forward === true, commit: r.commit ?? '', branch: r.branch ?? '' };
  }

  /** Removes the session's worktree and branch. */
  async discard(id: string): Promise<void> {
    await this.request('POST', `/api/sessions/${encodeURIComponent(id)}/discard`, {});
  }
}
