// The wire types are checked against docs/api.md, the contract: if the docs gain or lose a
// field, this fails until wire.ts (and so model.ts) follow.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTENTION_REASONS, CREATE_PLAN_BUDGET_FIELDS, CREATE_PLAN_FIELDS, CREATE_PLAN_TASK_FIELDS, CREATE_SESSION_FIELDS, WIRE_PLAN_AMOUNTS_FIELDS, WIRE_PLAN_FIELDS, WIRE_PLAN_TASK_FIELDS, SESSION_STATUSES, WIRE_USAGE_FIELDS, WIRE_CHUNK_FIELDS, WIRE_EVENT_FIELDS, WIRE_HEALTH_FIELDS, WIRE_ITEM_USAGE_FIELDS, WIRE_SESSION_FIELDS, WIRE_SPEC_FIELDS, WIRE_TOOL_FIELDS, WIRE_TRANSCRIPT_FIELDS } from './wire';
import {
  CHECKPOINT_KINDS,
  DIFF_FILE_STATUSES,
  WIRE_CHANGES_FIELDS,
  WIRE_CHECKPOINT_FIELDS,
  WIRE_DIFF_FIELDS,
  WIRE_DIFF_FILE_FIELDS,
  WIRE_WORKTREE_FIELDS,
  WORKTREE_STATES,
} from './wireChanges';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');

const section = (title: string) => {
  const i = doc.indexOf(`### ${title}`);
  expect(i, `docs/api.md has a "### ${title}" section`).toBeGreaterThanOrEqual(0);
  const rest = doc.slice(i + 4 + title.length);
  const end = rest.search(/\n##/);
  return end < 0 ? rest : rest.slice(0, end);
};
const route = (path: string) => {
  const line = doc.split('\n').find((l) => l.includes('`' + path + '`'));
  expect(line, `docs/api.md documents ${path}`).toBeDefined();
  return line!;
};
const names = (braced: string) =>
  braced
    .split(',')
    .map((s) => s.trim().replace(/\[\]|\{\}/g, ''))
    .filter(Boolean);

describe('wire types match docs/api.md', () => {
  it('Session', () => {
    const body = section('Session');
    const list = body.slice(0, body.indexOf('. Times')).replace(/`/g, ' ').replace(/\n/g, ' ');
    expect(names(list).sort()).toEqual([...WIRE_SESSION_FIELDS].sort());
  });

  it('attention: its fields and reasons, the short id, the attention event', () => {
    const body = section('Session').replace(/\n/g, ' ');
    expect(body).toContain('`attention` is null or `{reason, since, message}`');
    for (const r of ATTENTION_REASONS) expect(body).toContain(`\`${r}\``);
    expect(body).toContain("`short_id` the first 8 hex digits of the id's last group");
    expect(section('Event types').replace(/\n/g, ' ')).toContain('`attention {reason, message?}`');
  });

  it('session statuses', () => {
    const m = /`status` is one of\s+`([^`]+)`/.exec(section('Session'));
    expect(m).not.toBeNull();
    expect(names(m![1]!)).toEqual([...SESSION_STATUSES]);
  });

  it('Chunk', () => {
    const m = /`\{([^}]+)\}`/.exec(section('Chunk'));
    expect(names(m![1]!)).toEqual([...WIRE_CHUNK_FIELDS]);
  });

  it('CreateSession', () => {
    const json = /```json\n([\s\S]*?)```/.exec(section('CreateSession'))![1]!;
    // Every quoted key in the example, comments included ("timeout_ms"), but not env's "KEY".
    const keys = [...json.matchAll(/"(\w+)":/g)].map((m) => m[1]!).filter((k) => k !== k.toUpperCase());
    expect([...new Set(keys)].sort()).toEqual([...CREATE_SESSION_FIELDS].sort());
  });

  it('CreatePlan', () => {
    const json = /```json\n([\s\S]*?)```/.exec(section('CreatePlan'))![1]!;
    const lines = json.split('\n');
    const keysOf = (text: string) => [...text.matchAll(/"(\w+)":/g)].map((m) => m[1]!).filter((k) => k !== k.toUpperCase());
    // Top-level keys start a line two spaces in; the budget's and the tasks' are inside their braces.
    const top = lines.map((l) => /^  "(\w+)":/.exec(l)?.[1]).filter((k): k is string => !!k);
    expect([...new Set(top)].sort()).toEqual([...CREATE_PLAN_FIELDS].sort());
    const budget = lines.find((l) => l.startsWith('  "budget"'))!;
    expect(budget).toContain('"time_ms" also accepted');
    expect([...keysOf(budget).filter((k) => k !== 'budget'), 'time_ms'].sort()).toEqual([...CREATE_PLAN_BUDGET_FIELDS].sort());
    const tasks = lines.filter((l) => /^\s{4}\{/.test(l)).join('\n');
    expect([...new Set(keysOf(tasks))].sort()).toEqual(['command', 'max_attempts', 'prompt', 'spec', 'tool', 'verify']);
    for (const k of keysOf(tasks)) expect(CREATE_PLAN_TASK_FIELDS).toContain(k);
  });

  it('Plan', () => {
    const body = section('Plan').replace(/\n/g, ' ');
    const plan = /`plan`: `\{([^}]+)\}`/.exec(body);
    expect(plan).not.toBeNull();
    expect(names(plan![1]!.replace(/: \[\w+\]/g, ''))).toEqual([...WIRE_PLAN_FIELDS]);
    const task = /`PlanTask` is `\{([^}]+)\}`/.exec(body);
    expect(names(task![1]!)).toEqual([...WIRE_PLAN_TASK_FIELDS]);
    const budget = /`budget` `\{([^}]+)\}`/.exec(body);
    expect(names(budget![1]!)).toEqual([...WIRE_PLAN_AMOUNTS_FIELDS]);
    const spent = /`spent` `\{([^}]+)\}`/.exec(body);
    expect(names(spent![1]!)).toEqual([...WIRE_PLAN_AMOUNTS_FIELDS]);
    for (const r of ['completed', 'task_failed', 'verify_failed', 'budget', 'stopped']) expect(body).toMatch(new RegExp('`end_reason` null or one of [^.]*`' + r + '`'));
    // The plan's events the plan page reads.
    for (const e of [
      'task_started {task, attempt, session_id, role}',
      'task_completed {task, session_id, attempts}',
      'verify_passed {task, attempt, session_id}',
      'verify_failed {task, attempt, exit_code, output, session_id, will_retry}',
      'budget_exceeded {what, limit, spent}',
    ])
      expect(body).toContain(e);
    expect(body).toContain('`metadata.plan_role` `task`');
    expect(body).toContain('`metadata.attempt` 1, 2, …');
    expect(body).toContain('(`metadata.plan_role` `verify`)');
    expect(section('Session')).toMatch(/`kind` is `agent` [^.]*or `plan`/);
  });

  it('a session\'s worktree and changes', () => {
    const body = section('Session').replace(/\s+/g, ' ');
    const worktree = /`worktree` is null, or `\{([^}]+)\}`/.exec(body);
    expect(worktree).not.toBeNull();
    expect(names(worktree![1]!)).toEqual([...WIRE_WORKTREE_FIELDS]);
    const states = /`state` is `(\w+)`, `(\w+)` or `(\w+)`/.exec(body);
    expect(states?.slice(1)).toEqual([...WORKTREE_STATES]);
    const changes = /`changes` is null, or `\{([^}]+)\}`/.exec(body);
    expect(names(changes![1]!)).toEqual([...WIRE_CHANGES_FIELDS]);
  });

  it('Checkpoint and Diff', () => {
    const cp = section('Checkpoint').replace(/\s+/g, ' ');
    expect(names(/`\{([^}]+)\}`/.exec(cp)![1]!)).toEqual([...WIRE_CHECKPOINT_FIELDS]);
    for (const k of CHECKPOINT_KINDS) expect(cp).toMatch(new RegExp('`kind`: [^.]*`' + k + '`'));
    const diff = section('Diff').replace(/\s+/g, ' ');
    expect(names(/`\{([^}]+)\}`/.exec(diff)![1]!.replace(/: \[\w+\]/g, ''))).toEqual([...WIRE_DIFF_FIELDS]);
    expect(names(/`DiffFile` is `\{([^}]+)\}`/.exec(diff)![1]!)).toEqual([...WIRE_DIFF_FILE_FIELDS]);
    expect(names(/`status` one of `([^`]+)`/.exec(diff)![1]!)).toEqual([...DIFF_FILE_STATUSES]);
  });

  it('conversation usage', () => {
    const m = /`conversation` \(`\{([^}]+)\}`/.exec(doc.replace(/\n/g, ' '));
    expect(m).not.toBeNull();
    expect(names(m![1]!)).toEqual([...WIRE_USAGE_FIELDS]);
  });

  it('every route the client calls', () => {
    for (const r of [
      'GET /api/health',
      'GET /api/tools',
      'GET /api/specs?project=PATH',
      'GET /api/sessions',
      'POST /api/sessions',
      'POST /api/plans',
      'GET /api/sessions/:id',
      'POST /api/sessions/:id/start',
      'POST /api/sessions/:id/pause',
      'POST /api/sessions/:id/resume',
      'POST /api/sessions/:id/stop',
      'POST /api/sessions/:id/ack',
      'POST /api/sessions/:id/continue',
      'POST /api/sessions/:id/retry',
      'DELETE /api/sessions/:id',
      'GET /api/sessions/:id/logs',
      'GET /api/sessions/:id/events',
      'GET /api/sessions/:id/diff',
      'GET /api/sessions/:id/checkpoints',
      'POST /api/sessions/:id/checkpoints',
      'POST /api/checkpoints/:id/restore',
      'POST /api/sessions/:id/merge',
      'POST /api/sessions/:id/discard',
    ])
      route(r);
    // The Changes tab's states and errors.
    expect(route('GET /api/sessions/:id/diff')).toMatch(/\*\*422\*\* `not_a_git_repository`, \*\*409\*\* `no_checkpoints`/);
    expect(route('GET /api/sessions/:id/checkpoints')).toContain('`{session_id, checkpoints: [Checkpoint]}` oldest first');
    expect(route('POST /api/sessions/:id/checkpoints')).toContain('`{"message": "…"}`');
    const restore = route('POST /api/checkpoints/:id/restore');
    expect(restore).toContain('`{"continue": true, "prompt": "…"}`');
    expect(restore).toContain('`{restored: Checkpoint, undo: Checkpoint, changed, session}`');
    expect(restore).toMatch(/\*\*409\*\* `session_running`[^|]*\*\*409\*\* `worktree_gone`/);
    expect(route('POST /api/sessions/:id/merge')).toMatch(/`\{merged: true, fast_forward, commit, branch\}`[^|]*\*\*409\*\* `merge_conflict`/);
    expect(route('POST /api/sessions/:id/discard')).toContain('`{discarded: true}`');
    expect(route('POST /api/sessions/:id/continue')).toContain('"fallback": "fresh"');
    expect(route('GET /api/sessions')).toContain('`kind` (`agent`, `plan`), `attention` (`true`: only sessions waiting for a person), `parent_id`');
    expect(route('POST /api/sessions/:id/ack')).toContain('`Session` with `attention` null');
    expect(route('POST /api/plans')).toContain('**422** `invalid_plan`');
  });

  it('tools, specs, events, health', () => {
    const inner = (line: string, key: string) => {
      const m = new RegExp(key + ': \\[\\{([^}]+)\\}\\]').exec(line);
      expect(m, `${key} in ${line}`).not.toBeNull();
      return names(m![1]!);
    };
    expect(inner(route('GET /api/tools'), 'tools')).toEqual([...WIRE_TOOL_FIELDS]);
    expect(inner(route('GET /api/specs?project=PATH'), 'specs')).toEqual([...WIRE_SPEC_FIELDS]);
    expect(inner(route('GET /api/sessions/:id/events'), 'events')).toEqual([...WIRE_EVENT_FIELDS]);
    const health = /`\{([^}]+)\}`/.exec(route('GET /api/health'))!;
    expect(names(health[1]!)).toEqual([...WIRE_HEALTH_FIELDS]);
    // SessionsPage.store: only while the database cannot be written.
    expect(route('GET /api/sessions')).toContain('`{sessions: [Session], next_cursor, store?}`');
  });

  it('the events and errors the UI words', () => {
    const events = section('Event types').replace(/\n/g, ' ');
    for (const e of ['parse_error {message, line?}', 'store_unavailable {reason}', 'store_stalled {reason, stalled_ms, from, to}'])
      expect(events).toContain(e);
    expect(doc).toMatch(/\| 400 \|[^\n]*`bad_field`/);
    expect(doc).toMatch(/\| 503 \|[^\n]*`store_corrupt`/);
  });

  it('transcript items, kind by kind', () => {
    const rows = section('Transcript items')
      .split('\n')
      .map((l) => /^\| `(\w+)` \| (.*) \|$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    const documented = Object.fromEntries(
      rows.map((m) => [m[1]!, [...m[2]!.replace(/\([^)]*\)/g, '').matchAll(/`(\w+)`/g)].map((f) => f[1]!)]),
    );
    const expected = Object.fromEntries(Object.entries(WIRE_TRANSCRIPT_FIELDS).map(([k, v]) => [k, [...v]]));
    expect(documented).toEqual(expected);
    const usage = /`usage` \(`\{([^}]+)\}`/.exec(section('Transcript items'));
    expect(names(usage![1]!)).toEqual([...WIRE_ITEM_USAGE_FIELDS]);
  });

  it('stream messages the client relies on', () => {
    for (const m of ['"type":"subscribe","session_id":ID,"since_seq":N', '"type":"input"', '"type":"resize"', '"type":"log"', '"type":"status"', '"type":"resync"', '"type":"event"', '"type":"transcript","session_id","seq","updates":[{"index","item"}]', '`"transcript": true`'])
      expect(doc).toContain(m);
    expect(doc).toContain('["agentmux.v1", "bearer." + token]');
  });
});
