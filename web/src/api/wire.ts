// The daemon's wire format (docs/api.md, protocol 1), exactly as it arrives: snake_case, nulls
// for absent values. Nothing outside src/api/ reads these types; model.ts maps them to the app's
// camelCase types in one place. The *_FIELDS lists below are checked against docs/api.md by
// wire.test.ts, and against the interfaces at compile time (SameKeys), so the docs, the types
// and the mapping cannot drift apart silently. What a session changed (worktree, checkpoints,
// diffs) is in wireChanges.ts.
import type { WireChanges, WireWorktree } from './wireChanges';

export const SESSION_STATUSES = [
  'pending',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export type SessionMode = 'autonomous' | 'guided' | 'ralph' | (string & {});
export type SessionKind = 'agent' | 'plan';
export type LogLevel = 'pty' | 'stdout' | 'stderr';

export interface WireSession {
  id: string;
  project_path: string;
  spec_ids: string[];
  prompt: string | null;
  tool: string;
  mode: SessionMode;
  status: SessionStatus;
  exit_code: number | null;
  signal: string | null;
  pid: number | null;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  token_count: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_creation_tokens: number | null;
  cost_usd: number | null;
  /** Running total of the agent conversation this session belongs to (its parents' runs included). */
  conversation: WireUsage | null;
  num_turns: number | null;
  agent_session_id: string | null;
  /** The session this one continues or retries, or the plan it is a task of. */
  parent_id: string | null;
  /** 'agent' (a process of its own) or 'plan' (a parent of ordered tasks, docs/api.md "Plan"). */
  kind: SessionKind;
  /** Its task's index under its plan (0-based), or null. */
  position: number | null;
  /** Null for agent sessions. */
  plan: WirePlan | null;
  /** Null, or the git worktree of its own it runs in (`"worktree": true` at create). */
  worktree: WireWorktree | null;
  /** Null, or what it changed in its project, known once it ended. */
  changes: WireChanges | null;
  command: string[];
  env: Record<string, string>;
  metadata: Record<string, string>;
  error: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  log_seq: number;
  log_bytes: number;
  /** The daemon serves transcript items for it (an autonomous session of an agent CLI). */
  transcript: boolean;
  /** The session's short handle ("brave-otter", or the one given); unique among live sessions. */
  name: string | null;
  /** The first 8 hex digits of the id's last group (its random end); resolves like an id prefix. */
  short_id: string | null;
  /** Null, or why the session waits for a person. (Daemons before issue 16 send none of these three.) */
  attention: WireAttention | null;
  /** Only with GET /api/sessions/:id?context. */
  context?: string | null;
}

export const ATTENTION_REASONS = ['input', 'permission', 'ended'] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number] | (string & {});
/** A guided agent idle at its input prompt, one asking whether it may act, or one that ended and nobody has looked at. */
export interface WireAttention {
  reason: AttentionReason;
  since: string;
  /** The question (permission); may be empty. */
  message?: string | null;
}

export interface WireUsage {
  token_count: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_creation_tokens: number | null;
  cost_usd: number | null;
}
export const WIRE_USAGE_FIELDS = [
  'token_count',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
  'cost_usd',
] as const;

/** One task of a plan, as the plan was given (docs/api.md "Plan"). */
export interface WirePlanTask {
  prompt: string | null;
  spec: string | null;
  command: string | null;
  tool: string | null;
  verify: string | null;
  max_attempts: number | null;
}
export const WIRE_PLAN_TASK_FIELDS = ['prompt', 'spec', 'command', 'tool', 'verify', 'max_attempts'] as const;

/** A budget's limits (null = no limit), or what was spent. */
export interface WirePlanAmounts {
  tokens: number | null;
  cost_usd: number | null;
  time_ms: number | null;
}
export const WIRE_PLAN_AMOUNTS_FIELDS = ['tokens', 'cost_usd', 'time_ms'] as const;

export type PlanEndReason = 'completed' | 'task_failed' | 'verify_failed' | 'budget' | 'stopped' | (string & {});

/** A plan session's `plan`. */
export interface WirePlan {
  name: string;
  tasks: WirePlanTask[];
  /** The index of the task being worked on; null before the start and after the end. */
  current: number | null;
  conversation_id: string | null;
  budget: WirePlanAmounts | null;
  spent: WirePlanAmounts | null;
  end_reason: PlanEndReason | null;
}
export const WIRE_PLAN_FIELDS = ['name', 'tasks', 'current', 'conversation_id', 'budget', 'spent', 'end_reason'] as const;

/** POST /api/plans (docs/api.md "CreatePlan"). */
export interface CreatePlanTask {
  prompt?: string;
  spec?: string;
  command?: string;
  tool?: string;
  verify?: string;
  max_attempts?: number;
}
export interface CreatePlanBudget {
  tokens?: number;
  cost_usd?: number;
  /** "2h", "90m", … */
  time?: string;
  time_ms?: number;
}
export interface CreatePlanRequest {
  name?: string;
  tool?: string;
  project_path?: string;
  spec_ids?: string[];
  budget?: CreatePlanBudget;
  tasks?: CreatePlanTask[];
  env?: Record<string, string>;
  /** The environment the tasks start from (the CLI sends its caller's); the daemon keeps it in memory only. */
  environment?: Record<string, string>;
  /** Per task attempt. */
  timeout?: string;
  /** Instead of the fields above: a plan file's YAML or JSON text, and its name for errors. */
  source?: string;
  file?: string;
  start?: boolean;
}
export const CREATE_PLAN_FIELDS = ['name', 'tool', 'project_path', 'spec_ids', 'budget', 'tasks', 'env', 'environment', 'timeout', 'source', 'file', 'start'] as const;
export const CREATE_PLAN_TASK_FIELDS = ['prompt', 'spec', 'command', 'tool', 'verify', 'max_attempts'] as const;
export const CREATE_PLAN_BUDGET_FIELDS = ['tokens', 'cost_usd', 'time', 'time_ms'] as const;

export const WIRE_SESSION_FIELDS = [
  'id',
  'project_path',
  'spec_ids',
  'prompt',
  'tool',
  'mode',
  'status',
  'exit_code',
  'signal',
  'pid',
  'started_at',
  'ended_at',
  'duration_ms',
  'token_count',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_creation_tokens',
  'cost_usd',
  'conversation',
  'num_turns',
  'agent_session_id',
  'parent_id',
  'kind',
  'position',
  'plan',
  'worktree',
  'changes',
  'command',
  'env',
  'metadata',
  'error',
  'created_at',
  'updated_at',
  'archived_at',
  'log_seq',
  'log_bytes',
  'transcript',
  'name',
  'short_id',
  'attention',
] as const;

export interface WireChunk {
  seq: number;
  offset: number;
  timestamp: string;
  ts_ms: number;
  level: LogLevel;
  /** base64 */
  data: string;
}
export const WIRE_CHUNK_FIELDS = ['seq', 'offset', 'timestamp', 'ts_ms', 'level', 'data'] as const;

export interface CreateSessionRequest {
  tool?: string;
  mode?: SessionMode;
  project_path: string;
  spec_ids?: string[];
  /** @deprecated alias of spec_ids: [spec_id] (seed 000); this UI never sends it. */
  spec_id?: string;
  prompt?: string;
  command?: string[];
  env?: Record<string, string>;
  /** The environment to start from (the CLI sends its caller's); kept in memory only. This UI never sends it. */
  environment?: Record<string, string>;
  /** Letters, digits, - _ . (1–40); unique among live sessions (409 name_taken); default generated. */
  name?: string;
  cols?: number;
  rows?: number;
  /** "30m", "90s", …; then SIGTERM, SIGKILL 5 s later, status failed. */
  timeout?: string;
  timeout_ms?: number;
  /** Run in a new git worktree on branch agentmux/<short id>. */
  worktree?: boolean;
  /** With worktree: the commit to start from (default: HEAD). */
  base?: string;
  start?: boolean;
}

export interface ContinueRequest {
  prompt?: string;
  /** "fresh": if the agent lost the conversation, start a fresh one seeded with the earlier context. */
  fallback?: 'fresh' | 'none';
}
export const CREATE_SESSION_FIELDS = [
  'tool',
  'mode',
  'project_path',
  'spec_ids',
  'spec_id',
  'prompt',
  'command',
  'env',
  'environment',
  'name',
  'cols',
  'rows',
  'timeout',
  'timeout_ms',
  'worktree',
  'base',
  'start',
] as const;

export interface WireTool {
  name: string;
  available: boolean;
  binary_path: string | null;
  version: string | null;
  install_hint: string;
  notes: string[];
  /** Its autonomous sessions have transcript items. */
  transcript: boolean;
}
export const WIRE_TOOL_FIELDS = ['name', 'available', 'binary_path', 'version', 'install_hint', 'notes', 'transcript'] as const;

/** Transcript items (docs/api.md "Transcript items"): every agent CLI's output in the same words. */
export interface WireItemUsage {
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_creation_tokens: number | null;
}
export type WireTranscriptItem =
  | { kind: 'init'; agent: string; model: string | null; cwd: string | null; tools: number; version: string | null; conversation_id: string | null }
  | { kind: 'text'; role: 'assistant' | 'user'; text: string }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: unknown; summary: string }
  | { kind: 'tool_result'; tool_use_id: string; tool_name: string | null; content: string; is_error: boolean }
  | {
      kind: 'result';
      subtype: string;
      is_error: boolean;
      num_turns: number | null;
      duration_ms: number | null;
      cost_usd: number | null;
      usage: WireItemUsage | null;
      text: string | null;
      conversation_id: string | null;
      note: string | null;
    }
  | { kind: 'system'; subtype: string; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'raw'; stream: LogLevel; text: string };
export const WIRE_TRANSCRIPT_FIELDS = {
  init: ['agent', 'model', 'cwd', 'tools', 'version', 'conversation_id'],
  text: ['role', 'text'],
  thinking: ['text'],
  tool_use: ['id', 'name', 'input', 'summary'],
  tool_result: ['tool_use_id', 'tool_name', 'content', 'is_error'],
  result: ['subtype', 'is_error', 'num_turns', 'duration_ms', 'cost_usd', 'usage', 'text', 'conversation_id', 'note'],
  system: ['subtype', 'text'],
  error: ['text'],
  raw: ['stream', 'text'],
} as const;
export const WIRE_ITEM_USAGE_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens'] as const;
/** Item `index` is now `item`: index == items.length appends, a smaller one replaces. */
export interface WireTranscriptUpdate {
  index: number;
  item: WireTranscriptItem;
}

export interface WireSpec {
  id: string;
  title: string;
  status: string | null;
  path: string;
}
export const WIRE_SPEC_FIELDS = ['id', 'title', 'status', 'path'] as const;

export interface WireEvent {
  id: number;
  session_id: string;
  event_type: string;
  data: Record<string, unknown> | null;
  timestamp: string;
}
export const WIRE_EVENT_FIELDS = ['id', 'session_id', 'event_type', 'data', 'timestamp'] as const;

export interface WireHealth {
  status: string;
  version: string;
  protocol: number;
  pid: number;
  uptime_ms: number;
  sessions_live: number;
  schema_version: number;
  /** 'ok', 'checking' (after an unclean shutdown, in the background) or 'failed: …' */
  store_integrity: string;
  /** 'ok', or why the database cannot be written now ('disk full: …', 'I/O error: …', 'locked by
   * another process: …', 'damaged: …'): agents' output is then held back, not lost. */
  store: string;
}
export const WIRE_HEALTH_FIELDS = [
  'status',
  'version',
  'protocol',
  'pid',
  'uptime_ms',
  'sessions_live',
  'schema_version',
  'store_integrity',
  'store',
] as const;

export interface SessionsPage {
  sessions: WireSession[];
  next_cursor: string | null;
  /** Only while the database cannot be written: why (as WireHealth.store). */
  store?: string;
}
export interface LogsPage {
  session_id: string;
  status: SessionStatus;
  chunks: WireChunk[];
  last_seq: number;
  log_seq: number;
}
export interface EventsPage {
  session_id: string;
  events: WireEvent[];
}
export interface SpecsPage {
  project: string;
  specs: WireSpec[];
}
export interface ToolsPage {
  tools: WireTool[];
}
export interface TranscriptPage {
  session_id: string;
  items: WireTranscriptItem[];
  log_seq: number;
}
export interface WireError {
  error: { code: string; message: string };
}

// WebSocket stream, server → client.
export type ServerMessage =
  | { type: 'hello'; protocol: number; version: string }
  | ({ type: 'log'; session_id: string } & WireChunk)
  | {
      type: 'status';
      session_id: string;
      status: SessionStatus;
      log_seq: number;
      exit_code: number | null;
      signal: string | null;
      session: WireSession;
    }
  | { type: 'event'; session_id: string; event_type: string; data: Record<string, unknown> | null; timestamp: string }
  | { type: 'resync'; session_id: string; from_seq: number }
  | { type: 'transcript'; session_id: string; seq: number; updates: WireTranscriptUpdate[] }
  | { type: 'deleted'; session_id: string }
  | { type: 'pong' }
  | { type: 'error'; session_id?: string; error: { code: string; message: string } };

// WebSocket stream, client → server.
export type ClientMessage =
  | { type: 'subscribe'; session_id: string; since_seq: number; transcript?: boolean }
  | { type: 'unsubscribe'; session_id: string }
  | { type: 'input'; session_id: string; data: string }
  | { type: 'input'; session_id: string; data_b64: string }
  | { type: 'resize'; session_id: string; cols: number; rows: number }
  | { type: 'watch' }
  | { type: 'unwatch' }
  | { type: 'ping' };

// Compile-time proof that each field list names exactly the interface's keys.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const proofs: [
  SameKeys<Exclude<keyof WireSession, 'context'>, (typeof WIRE_SESSION_FIELDS)[number]>,
  SameKeys<keyof WireChunk, (typeof WIRE_CHUNK_FIELDS)[number]>,
  SameKeys<keyof WireUsage, (typeof WIRE_USAGE_FIELDS)[number]>,
  SameKeys<keyof CreateSessionRequest, (typeof CREATE_SESSION_FIELDS)[number]>,
  SameKeys<keyof WireTool, (typeof WIRE_TOOL_FIELDS)[number]>,
  SameKeys<keyof WireSpec, (typeof WIRE_SPEC_FIELDS)[number]>,
  SameKeys<keyof WireEvent, (typeof WIRE_EVENT_FIELDS)[number]>,
  SameKeys<keyof WireHealth, (typeof WIRE_HEALTH_FIELDS)[number]>,
  SameKeys<keyof WireItemUsage, (typeof WIRE_ITEM_USAGE_FIELDS)[number]>,
  SameKeys<keyof WirePlan, (typeof WIRE_PLAN_FIELDS)[number]>,
  SameKeys<keyof WirePlanTask, (typeof WIRE_PLAN_TASK_FIELDS)[number]>,
  SameKeys<keyof WirePlanAmounts, (typeof WIRE_PLAN_AMOUNTS_FIELDS)[number]>,
  SameKeys<keyof CreatePlanRequest, (typeof CREATE_PLAN_FIELDS)[number]>,
  SameKeys<keyof CreatePlanTask, (typeof CREATE_PLAN_TASK_FIELDS)[number]>,
  SameKeys<keyof CreatePlanBudget, (typeof CREATE_PLAN_BUDGET_FIELDS)[number]>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void proofs;
type ItemKind = WireTranscriptItem['kind'];
const itemProofs: {
  [K in ItemKind]: SameKeys<Exclude<keyof Extract<WireTranscriptItem, { kind: K }>, 'kind'>, (typeof WIRE_TRANSCRIPT_FIELDS)[K][number]>;
} = { init: true, text: true, thinking: true, tool_use: true, tool_result: true, result: true, system: true, error: true, raw: true };
void itemProofs;
