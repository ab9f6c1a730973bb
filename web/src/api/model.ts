// The app's types, and the one place that maps the wire's snake_case to them (seed 000: a
// session has `specIds: string[]`, always an array, and `prompt?: string | null`; `specId` stays
// as a deprecated alias for one release cycle).
import { decodeBase64 } from '../data/base64';
import { shortId } from '../data/format';
import type {
  LogLevel,
  PlanEndReason,
  SessionKind,
  SessionMode,
  SessionStatus,
  WireChunk,
  WireEvent,
  WirePlan,
  WirePlanAmounts,
  WireSession,
  WireSpec,
  WireTool,
  WireTranscriptItem,
  WireTranscriptUpdate,
  AttentionReason,
  WireAttention,
} from './wire';
import type { WireChanges, WireWorktree, WorktreeState } from './wireChanges';

export type { AttentionReason, LogLevel, PlanEndReason, SessionKind, SessionMode, SessionStatus } from './wire';
export type { WorktreeState } from './wireChanges';
export * from './modelChanges';

export interface Session {
  id: string;
  projectPath: string;
  specIds: string[];
  prompt?: string | null;
  /** @deprecated use specIds; the first attached spec, or undefined (seed 000). */
  readonly specId: string | undefined;
  tool: string;
  mode: SessionMode;
  status: SessionStatus;
  exitCode: number | null;
  signal: string | null;
  pid: number | null;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  tokenCount: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
  costUsd: number | null;
  /** Running total of the agent conversation (parents' runs included), or null. */
  conversation: Usage | null;
  numTurns: number | null;
  agentSessionId: string | null;
  /** The session this one continues or retries, or the plan it is a task of. */
  parentId: string | null;
  /** 'agent', or 'plan': a parent whose tasks are agent sessions (docs/api.md "Plan"). */
  kind: SessionKind;
  /** Its task's index under its plan (0-based), or null. */
  position: number | null;
  /** A plan session's plan; null for agent sessions. */
  plan: Plan | null;
  /** Null, or the git worktree of its own it runs in. */
  worktree: Worktree | null;
  /** Null, or what it changed in its project (known once it ended). */
  changes: Changes | null;
  command: string[];
  env: Record<string, string>;
  metadata: Record<string, string>;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
  logSeq: number;
  logBytes: number;
  /** The daemon serves its transcript items (an autonomous session of an agent CLI). */
  transcript: boolean;
  context?: string | null;
  /** A name unique among live sessions ("brave-otter"); null from daemons before issue 16. */
  name: string | null;
  /** The id's random end, 8 hex digits (the daemon's short_id, else the same rule here). */
  shortId: string;
  /** Null, or why it waits for the user (issue 16). */
  attention: Attention | null;
}

export interface Attention {
  reason: AttentionReason;
  /** RFC 3339 */
  since: string;
  message: string | null;
}

export interface PlanTask {
  prompt: string | null;
  spec: string | null;
  command: string | null;
  tool: string | null;
  verify: string | null;
  maxAttempts: number | null;
}

/** A budget's limits (null = no limit), or what was spent. */
export interface PlanAmounts {
  tokens: number | null;
  costUsd: number | null;
  timeMs: number | null;
}

export interface Plan {
  name: string;
  tasks: PlanTask[];
  /** The index of the task being worked on; null before the start and after the end. */
  current: number | null;
  conversationId: string | null;
  budget: PlanAmounts | null;
  spent: PlanAmounts | null;
  endReason: PlanEndReason | null;
}

export interface Worktree {
  path: string;
  branch: string;
  baseCommit: string;
  state: WorktreeState;
}

export interface Changes {
  files: number;
  additions: number;
  deletions: number;
}

export interface Usage {
  tokenCount: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
  costUsd: number | null;
}

export interface Chunk {
  seq: number;
  offset: number;
  timestamp: string;
  tsMs: number;
  level: LogLevel;
  data: Uint8Array;
}

export interface Tool {
  name: string;
  available: boolean;
  binaryPath: string | null;
  version: string | null;
  installHint: string;
  notes: string[];
  /** Its autonomous sessions have a transcript. */
  transcript: boolean;
}

export interface ItemUsage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
}

/** One transcript item, as the daemon built it from the agent CLI's output (docs/api.md). */
export type TranscriptItem =
  | { kind: 'init'; agent: string; model: string | null; cwd: string | null; tools: number; version: string | null; conversationId: string | null }
  | { kind: 'text'; role: 'assistant' | 'user'; text: string }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: unknown; summary: string }
  | { kind: 'tool_result'; toolUseId: string; toolName: string | null; content: string; isError: boolean }
  | {
      kind: 'result';
      subtype: string;
      isError: boolean;
      numTurns: number | null;
      durationMs: number | null;
      costUsd: number | null;
      usage: ItemUsage | null;
      text: string | null;
      conversationId: string | null;
      /** What the numbers mean when it is not obvious ("conversation so far"), or what else the CLI reported. */
      note: string | null;
    }
  | { kind: 'system'; subtype: string; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'raw'; stream: LogLevel; text: string };

export interface TranscriptUpdate {
  index: number;
  item: TranscriptItem;
}

export interface Spec {
  id: string;
  title: string;
  status: string | null;
  path: string;
}

export interface SessionEvent {
  id: number | null; // null for events that came over the stream (they carry no id)
  sessionId: string;
  eventType: string;
  data: Record<string, unknown> | null;
  timestamp: string;
}

function specIdAlias(this: Session): string | undefined {
  return this.specIds[0];
}

/** Adds the deprecated, non-enumerable `specId` getter (JSON and spreads leave it out). */
export function withSpecIdAlias<T extends Omit<Session, 'specId'>>(s: T): T & Session {
  if (!Object.getOwnPropertyDescriptor(s, 'specId')) {
    Object.defineProperty(s, 'specId', { get: specIdAlias, enumerable: false, configurable: true });
  }
  return s as T & Session;
}

const arr = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);
const obj = (v: Record<string, string> | null | undefined): Record<string, string> =>
  v && typeof v === 'object' ? v : {};

export function sessionFromWire(w: WireSession & { spec_id?: string | null }): Session {
  // spec_ids is always an array on protocol 1; a seed-000-era payload may carry only spec_id.
  const specIds = Array.isArray(w.spec_ids) ? [...w.spec_ids] : w.spec_id ? [w.spec_id] : [];
  const s: Omit<Session, 'specId'> = {
    id: w.id,
    projectPath: w.project_path,
    specIds,
    prompt: w.prompt ?? null,
    tool: w.tool,
    mode: w.mode,
    status: w.status,
    exitCode: w.exit_code ?? null,
    signal: w.signal ?? null,
    pid: w.pid ?? null,
    startedAt: w.started_at ?? null,
    endedAt: w.ended_at ?? null,
    durationMs: w.duration_ms ?? null,
    tokenCount: w.token_count ?? null,
    inputTokens: w.input_tokens ?? null,
    outputTokens: w.output_tokens ?? null,
    cacheReadTokens: w.cache_read_tokens ?? null,
    cacheCreationTokens: w.cache_creation_tokens ?? null,
    costUsd: w.cost_usd ?? null,
    conversation: w.conversation
      ? {
          tokenCount: w.conversation.token_count ?? null,
          inputTokens: w.conversation.input_tokens ?? null,
          outputTokens: w.conversation.output_tokens ?? null,
          cacheReadTokens: w.conversation.cache_read_tokens ?? null,
          cacheCreationTokens: w.conversation.cache_creation_tokens ?? null,
          costUsd: w.conversation.cost_usd ?? null,
        }
      : null,
    numTurns: w.num_turns ?? null,
    agentSessionId: w.agent_session_id ?? null,
    parentId: w.parent_id ?? null,
    kind: w.kind === 'plan' ? 'plan' : 'agent',
    position: typeof w.position === 'number' ? w.position : null,
    plan: w.plan ? planFromWire(w.plan) : null,
    worktree: worktreeFromWire(w.worktree),
    changes: changesFromWire(w.changes),
    command: arr(w.command),
    env: obj(w.env),
    metadata: obj(w.metadata),
    error: w.error ?? null,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
    archivedAt: w.archived_at ?? null,
    logSeq: w.log_seq ?? 0,
    logBytes: w.log_bytes ?? 0,
    transcript: w.transcript === true,
    name: typeof w.name === 'string' && w.name ? w.name : null,
    shortId: typeof w.short_id === 'string' && w.short_id ? w.short_id : shortId(w.id),
    attention: attentionFromWire(w.attention),
  };
  if (w.context !== undefined) s.context = w.context;
  return withSpecIdAlias(s);
}

function attentionFromWire(w: WireAttention | null | undefined): Attention | null {
  if (!w || typeof w !== 'object' || typeof w.reason !== 'string') return null;
  return { reason: w.reason, since: typeof w.since === 'string' ? w.since : '', message: typeof w.message === 'string' && w.message ? w.message : null };
}

function worktreeFromWire(w: WireWorktree | null | undefined): Worktree | null {
  if (!w || typeof w !== 'object') return null;
  return { path: w.path ?? '', branch: w.branch ?? '', baseCommit: w.base_commit ?? '', state: w.state ?? 'active' };
}

function changesFromWire(w: WireChanges | null | undefined): Changes | null {
  if (!w || typeof w !== 'object') return null;
  return { files: w.files ?? 0, additions: w.additions ?? 0, deletions: w.deletions ?? 0 };
}

const amounts = (a: WirePlanAmounts | null | undefined): PlanAmounts | null =>
  a ? { tokens: a.tokens ?? null, costUsd: a.cost_usd ?? null, timeMs: a.time_ms ?? null } : null;

export function planFromWire(w: WirePlan): Plan {
  return {
    name: w.name ?? '',
    tasks: arr(w.tasks).map((t) => ({
      prompt: t.prompt ?? null,
      spec: t.spec ?? null,
      command: t.command ?? null,
      tool: t.tool ?? null,
      verify: t.verify ?? null,
      maxAttempts: t.max_attempts ?? null,
    })),
    current: typeof w.current === 'number' ? w.current : null,
    conversationId: w.conversation_id ?? null,
    budget: amounts(w.budget),
    spent: amounts(w.spent),
    endReason: w.end_reason ?? null,
  };
}

export function chunkFromWire(w: WireChunk): Chunk {
  return {
    seq: w.seq,
    offset: w.offset,
    timestamp: w.timestamp,
    tsMs: w.ts_ms,
    level: w.level,
    data: decodeBase64(w.data),
  };
}

export function toolFromWire(w: WireTool): Tool {
  return {
    name: w.name,
    available: w.available,
    binaryPath: w.binary_path ?? null,
    version: w.version ?? null,
    installHint: w.install_hint ?? '',
    notes: arr(w.notes),
    transcript: w.transcript === true,
  };
}

export function itemFromWire(w: WireTranscriptItem): TranscriptItem {
  switch (w.kind) {
    case 'init':
      return { kind: 'init', agent: w.agent, model: w.model, cwd: w.cwd, tools: w.tools, version: w.version, conversationId: w.conversation_id };
    case 'tool_use':
      return { kind: 'tool_use', id: w.id, name: w.name, input: w.input, summary: w.summary ?? '' };
    case 'tool_result':
      return { kind: 'tool_result', toolUseId: w.tool_use_id, toolName: w.tool_name, content: w.content, isError: w.is_error };
    case 'result':
      return {
        kind: 'result',
        subtype: w.subtype,
        isError: w.is_error,
        numTurns: w.num_turns,
        durationMs: w.duration_ms,
        costUsd: w.cost_usd,
        usage: w.usage
          ? {
              inputTokens: w.usage.input_tokens,
              outputTokens: w.usage.output_tokens,
              cacheReadTokens: w.usage.cache_read_tokens,
              cacheCreationTokens: w.usage.cache_creation_tokens,
            }
          : null,
        text: w.text,
        conversationId: w.conversation_id,
        note: w.note,
      };
    default:
      // text, thinking, system, error, raw: the same names on both sides.
      return { ...w };
  }
}

export function updateFromWire(w: WireTranscriptUpdate): TranscriptUpdate {
  return { index: w.index, item: itemFromWire(w.item) };
}

export function specFromWire(w: WireSpec): Spec {
  return { id: w.id, title: w.title, status: w.status ?? null, path: w.path };
}

export function eventFromWire(w: Omit<WireEvent, 'id'> & { id?: number }): SessionEvent {
  return {
    id: w.id ?? null,
    sessionId: w.session_id,
    eventType: w.event_type,
    data: w.data ?? null,
    timestamp: w.timestamp,
  };
}

/** The PTY size the session was started with (the daemon's default is 120×40). */
export function ptySize(s: Session): { cols: number; rows: number } {
  const cols = Number.parseInt(s.metadata.pty_cols ?? '', 10);
  const rows = Number.parseInt(s.metadata.pty_rows ?? '', 10);
  return { cols: cols > 0 ? cols : 120, rows: rows > 0 ? rows : 40 };
}

/**
 * An agent CLI run headless: its stdout is JSON lines (pipes, not a PTY) that the daemon reads
 * into transcript items — the daemon says which sessions these are.
 */
export function isStructured(s: Pick<Session, 'transcript'>): boolean {
  return s.transcript;
}
