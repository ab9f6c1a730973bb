// A readable transcript of a structured session. Each agent CLI, run headless, writes JSON lines to
// stdout (shapes: shared/reference/agents/*.jsonl): Claude Code stream-json, Codex `exec --json`,
// OpenCode `run --format json`, Gemini CLI `-o stream-json`, Copilot `--output-format json`. The
// parser picks the format by the session's tool and maps every CLI onto the same items.
// Chunks split lines (and UTF-8 characters) anywhere, so bytes are decoded per stream with a
// streaming decoder and cut at newlines. Lines that are not JSON (stderr, a crash), and JSON lines
// of a type the format does not know, stay as text.
import type { Chunk } from '../api/model';

export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
}

/** The tools whose autonomous sessions write JSON lines this parser reads. */
export const TRANSCRIPT_TOOLS = ['claude', 'codex', 'opencode', 'gemini', 'copilot'] as const;
export type TranscriptTool = (typeof TRANSCRIPT_TOOLS)[number];
export const isTranscriptTool = (tool: string): tool is TranscriptTool => (TRANSCRIPT_TOOLS as readonly string[]).includes(tool);

/** How the UI names each CLI. */
export const AGENT_NAMES: Record<TranscriptTool, string> = {
  claude: 'Claude Code',
  codex: 'Codex',
  opencode: 'OpenCode',
  gemini: 'Gemini CLI',
  copilot: 'Copilot CLI',
};

export type TranscriptItem =
  | { kind: 'init'; agent: string; model: string | null; cwd: string | null; tools: number; version: string | null; conversationId: string | null }
  | { kind: 'text'; role: 'assistant' | 'user'; text: string }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool_use'; id: string; name: string; input: unknown }
  | { kind: 'tool_result'; toolUseId: string; toolName: string | null; content: string; isError: boolean }
  | {
      kind: 'result';
      subtype: string;
      isError: boolean;
      numTurns: number | null;
      durationMs: number | null;
      costUsd: number | null;
      usage: Usage | null;
      text: string | null;
      conversationId: string | null;
      /** What the numbers mean when it is not obvious ("conversation so far"), or what else the CLI reported. */
      note?: string;
    }
  | { kind: 'system'; subtype: string; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'raw'; stream: 'stdout' | 'stderr' | 'pty'; text: string };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((b) => (isObj(b) ? (str(b.text) ?? (b.type === 'image' ? '[image]' : JSON.stringify(b))) : String(b)))
      .join('\n');
  }
  return content == null ? '' : JSON.stringify(content);
}

function usageOf(u: unknown): Usage | null {
  if (!isObj(u)) return null;
  return {
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadTokens: num(u.cache_read_input_tokens),
    cacheCreationTokens: num(u.cache_creation_input_tokens),
  };
}

const sum = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : a + b);

export class TranscriptParser {
  readonly items: TranscriptItem[] = [];
  readonly tool: TranscriptTool;
  private readonly toolNames = new Map<string, string>();
  private readonly decoders = new Map<string, TextDecoder>();
  private readonly partial = new Map<string, string>();
  /** Items added or replaced by the current push/flush. */
  private out: TranscriptItem[] = [];
  /** The text item that deltas of one message are joined into (key: the message). */
  private openText: { key: string; index: number } | null = null;
  /** Copilot: message id → index of its text item (deltas first, the full message replaces them). */
  private readonly messageIndex = new Map<string, number>();
  private readonly toolsSeen = new Set<string>();
  private seenConversation = false;
  private turns = 0;
  private stepUsage: Usage = { inputTokens: null, outputTokens: null, cacheReadTokens: null, cacheCreationTokens: null };
  private stepCost: number | null = null;

  /** `tool`: the session's tool; anything without a parser of its own reads as Claude Code. */
  constructor(tool: string = 'claude') {
    this.tool = isTranscriptTool(tool) ? tool : 'claude';
  }

  /** Feeds one chunk; returns the items it added or changed (a joined text grows in place). */
  push(chunk: Chunk): TranscriptItem[] {
    let dec = this.decoders.get(chunk.level);
    if (!dec) {
      dec = new TextDecoder('utf-8');
      this.decoders.set(chunk.level, dec);
    }
    const text = (this.partial.get(chunk.level) ?? '') + dec.decode(chunk.data, { stream: true });
    const lines = text.split('\n');
    this.partial.set(chunk.level, lines.pop() ?? '');
    this.out = [];
    for (const line of lines) this.line(chunk.level, line);
    return this.out;
  }

  /** The log ended: whatever is left without a final newline is a line too. */
  flush(): TranscriptItem[] {
    this.out = [];
    for (const [level, dec] of this.decoders) {
      const rest = (this.partial.get(level) ?? '') + dec.decode();
      this.partial.set(level, '');
      if (rest) this.line(level as Chunk['level'], rest);
    }
    return this.out;
  }

  private emit(item: TranscriptItem): void {
    // A stderr line may land between two deltas of one message (another pipe): it does not end the text.
    if (!(item.kind === 'raw' && item.stream === 'stderr')) this.openText = null;
    this.items.push(item);
    this.out.push(item);
  }

  private replace(index: number, item: TranscriptItem): void {
    this.items[index] = item;
    this.out.push(item);
  }

  /** Appends a piece of streamed text to the message `key`, starting a new item when another item came between. */
  private delta(key: string, role: 'assistant' | 'user', text: string): number {
    const open = this.openText;
    if (open && open.key === key) {
      const prev = this.items[open.index];
      if (prev && prev.kind === 'text') {
        this.replace(open.index, { ...prev, text: prev.text + text });
        return open.index;
      }
    }
    this.emit({ kind: 'text', role, text });
    const index = this.items.length - 1;
    this.openText = { key, index };
    return index;
  }

  private toolUse(id: string, name: string, input: unknown): void {
    if (id && this.toolsSeen.has(id)) return;
    if (id) this.toolsSeen.add(id);
    this.toolNames.set(id, name);
    this.emit({ kind: 'tool_use', id, name, input });
  }

  private toolResult(id: string, content: string, isError: boolean): void {
    this.emit({ kind: 'tool_result', toolUseId: id, toolName: this.toolNames.get(id) ?? null, content, isError });
  }

  private line(level: Chunk['level'], raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    let ev: unknown;
    if (level !== 'stderr' && line.trimStart().startsWith('{')) {
      try {
        ev = JSON.parse(line);
      } catch {
        ev = undefined;
      }
    }
    if (!isObj(ev) || typeof ev.type !== 'string') {
      this.emit({ kind: 'raw', stream: level, text: line });
      return;
    }
    let known: boolean;
    switch (this.tool) {
      case 'codex':
        known = this.codex(ev);
        break;
      case 'opencode':
        known = this.opencode(ev);
        break;
      case 'gemini':
        known = this.gemini(ev);
        break;
      case 'copilot':
        known = this.copilot(ev);
        break;
      default:
        known = this.claude(ev);
    }
    if (!known) this.emit({ kind: 'raw', stream: level, text: line });
  }

  // ------------------------------------------------------------------ Claude Code stream-json
  private claude(ev: Json): boolean {
    switch (ev.type) {
      case 'system': {
        const subtype = str(ev.subtype) ?? 'system';
        if (subtype === 'init') {
          this.emit({
            kind: 'init',
            agent: AGENT_NAMES.claude,
            model: str(ev.model),
            cwd: str(ev.cwd),
            tools: Array.isArray(ev.tools) ? ev.tools.length : 0,
            version: str(ev.claude_code_version),
            conversationId: str(ev.session_id),
          });
        } else if (subtype === 'api_retry') {
          const bits = [`attempt ${num(ev.attempt) ?? '?'} of ${num(ev.max_retries) ?? '?'}`];
          if (ev.error_status != null) bits.push(`HTTP ${String(ev.error_status)}`);
          if (str(ev.error)) bits.push(String(ev.error));
          const delay = num(ev.retry_delay_ms);
          if (delay !== null) bits.push(`retrying in ${(delay / 1000).toFixed(1)} s`);
          this.emit({ kind: 'system', subtype: 'API retry', text: bits.join(' · ') });
        } else if (subtype !== 'status') {
          // "status: requesting" is noise between turns; everything else is worth a line.
          this.emit({ kind: 'system', subtype, text: str(ev.status) ?? str(ev.message) ?? '' });
        }
        return true;
      }
      case 'assistant':
      case 'user': {
        const msg = isObj(ev.message) ? ev.message : {};
        const role = ev.type;
        const content = msg.content;
        if (typeof content === 'string') {
          if (content.trim()) this.emit({ kind: 'text', role, text: content });
          return true;
        }
        if (!Array.isArray(content)) return true;
        for (const b of content) {
          if (!isObj(b)) continue;
          if (b.type === 'text' && str(b.text)) this.emit({ kind: 'text', role, text: String(b.text) });
          else if (b.type === 'thinking' && str(b.thinking)) this.emit({ kind: 'thinking', text: String(b.thinking) });
          else if (b.type === 'tool_use') {
            const id = str(b.id) ?? '';
            const name = str(b.name) ?? 'tool';
            this.toolNames.set(id, name);
            this.emit({ kind: 'tool_use', id, name, input: b.input });
          } else if (b.type === 'tool_result') {
            this.toolResult(str(b.tool_use_id) ?? '', contentText(b.content), b.is_error === true);
          }
        }
        return true;
      }
      case 'result': {
        this.emit({
          kind: 'result',
          subtype: str(ev.subtype) ?? 'result',
          isError: ev.is_error === true,
          numTurns: num(ev.num_turns),
          durationMs: num(ev.duration_ms),
          costUsd: num(ev.total_cost_usd),
          usage: usageOf(ev.usage),
          text: str(ev.result),
          conversationId: str(ev.session_id),
        });
        return true;
      }
      default:
        // stream_event (partial messages) and future types: the full message follows anyway.
        return true;
    }
  }

  // ------------------------------------------------------------------ Codex exec --json
  private codex(ev: Json): boolean {
    switch (ev.type) {
      case 'thread.started':
        this.emit({ kind: 'init', agent: AGENT_NAMES.codex, model: null, cwd: null, tools: 0, version: null, conversationId: str(ev.thread_id) });
        return true;
      case 'turn.started':
        this.turns++;
        return true;
      case 'turn.completed': {
        const u = isObj(ev.usage) ? ev.usage : {};
        this.emit({
          kind: 'result',
          subtype: 'success',
          isError: false,
          numTurns: null,
          durationMs: null,
          costUsd: null,
          usage: {
            inputTokens: num(u.input_tokens),
            outputTokens: sum(num(u.output_tokens), num(u.reasoning_output_tokens)),
            cacheReadTokens: num(u.cached_input_tokens),
            cacheCreationTokens: num(u.cache_write_input_tokens),
          },
          text: null,
          conversationId: null,
          note: 'Codex counts the whole conversation so far, earlier runs included',
        });
        return true;
      }
      case 'turn.failed': {
        const message = (isObj(ev.error) ? str(ev.error.message) : null) ?? 'the turn failed';
        const last = this.items.at(-1);
        this.emit({
          kind: 'result',
          subtype: 'error',
          isError: true,
          numTurns: null,
          durationMs: null,
          costUsd: null,
          usage: null,
          // The same words usually came as an error line just before.
          text: last?.kind === 'error' && last.text === message ? null : message,
          conversationId: null,
        });
        return true;
      }
      case 'error':
        this.emit({ kind: 'error', text: str(ev.message) ?? 'error' });
        return true;
      case 'item.started':
      case 'item.updated':
      case 'item.completed':
        return this.codexItem(ev.type, isObj(ev.item) ? ev.item : {});
      default:
        return false;
    }
  }

  private codexItem(phase: string, item: Json): boolean {
    const id = str(item.id) ?? '';
    const done = phase === 'item.completed';
    const failed = item.status === 'failed';
    switch (item.type) {
      case 'agent_message':
        if (done && str(item.text)) this.emit({ kind: 'text', role: 'assistant', text: String(item.text) });
        return true;
      case 'reasoning':
        if (done && str(item.text)) this.emit({ kind: 'thinking', text: String(item.text) });
        return true;
      case 'command_execution': {
        this.toolUse(id, 'shell', { command: item.command });
        if (!done) return true;
        const code = num(item.exit_code);
        const output = str(item.aggregated_output) ?? '';
        this.toolResult(id, output || (code !== null ? `exit code ${code}` : String(item.status ?? '')), failed || (code !== null && code !== 0));
        return true;
      }
      case 'file_change': {
        const changes = Array.isArray(item.changes) ? item.changes : [];
        this.toolUse(id, 'patch', { changes });
        if (!done) return true;
        const lines = changes.filter(isObj).map((c) => `${str(c.kind) ?? 'change'} ${str(c.path) ?? ''}`);
        this.toolResult(id, [str(item.status) ?? '', ...lines].filter(Boolean).join('\n'), failed);
        return true;
      }
      case 'mcp_tool_call': {
        const name = [str(item.server), str(item.tool)].filter(Boolean).join('.') || 'mcp';
        this.toolUse(id, name, item.arguments);
        if (!done) return true;
        const err = isObj(item.error) ? str(item.error.message) : null;
        const res = isObj(item.result) ? contentText(item.result.content) : '';
        this.toolResult(id, err ?? res, failed || err !== null);
        return true;
      }
      case 'web_search':
        this.toolUse(id, 'web_search', { query: item.query });
        return true;
      case 'todo_list': {
        if (!done && phase !== 'item.updated') return true;
        const todo = Array.isArray(item.items) ? item.items.filter(isObj) : [];
        this.emit({ kind: 'system', subtype: 'Plan', text: todo.map((t) => `${t.completed === true ? '☑' : '☐'} ${str(t.text) ?? ''}`).join(' · ') });
        return true;
      }
      case 'error':
        // e.g. "Model metadata for … not found. Defaulting to fallback metadata": the run goes on.
        if (done) this.emit({ kind: 'system', subtype: 'Warning', text: str(item.message) ?? '' });
        return true;
      default:
        return false;
    }
  }

  // ------------------------------------------------------------------ OpenCode run --format json
  private opencode(ev: Json): boolean {
    const conversation = str(ev.sessionID);
    if (conversation && !this.seenConversation) {
      // OpenCode has no init event: every event carries the session id.
      this.seenConversation = true;
      this.emit({ kind: 'init', agent: AGENT_NAMES.opencode, model: null, cwd: null, tools: 0, version: null, conversationId: conversation });
    }
    const part = isObj(ev.part) ? ev.part : {};
    switch (ev.type) {
      case 'step_start':
        return true;
      case 'text':
        if (str(part.text)) this.emit({ kind: 'text', role: 'assistant', text: String(part.text) });
        return true;
      case 'reasoning':
        if (str(part.text)) this.emit({ kind: 'thinking', text: String(part.text) });
        return true;
      case 'tool_use': {
        const id = str(part.callID) ?? str(part.id) ?? '';
        const state = isObj(part.state) ? part.state : {};
        this.toolUse(id, str(part.tool) ?? 'tool', state.input);
        if (state.status === 'completed') this.toolResult(id, contentText(state.output), false);
        else if (state.status === 'error') this.toolResult(id, contentText(state.error), true);
        return true;
      }
      case 'step_finish': {
        this.turns++;
        const t = isObj(part.tokens) ? part.tokens : {};
        const cache = isObj(t.cache) ? t.cache : {};
        const u = this.stepUsage;
        u.inputTokens = sum(u.inputTokens, num(t.input));
        u.outputTokens = sum(u.outputTokens, sum(num(t.output), num(t.reasoning)));
        u.cacheReadTokens = sum(u.cacheReadTokens, num(cache.read));
        u.cacheCreationTokens = sum(u.cacheCreationTokens, num(cache.write));
        this.stepCost = sum(this.stepCost, num(part.cost));
        // A step that ends in tool calls goes on; any other reason ends the run.
        if (part.reason === 'tool-calls') return true;
        this.emit({
          kind: 'result',
          subtype: str(part.reason) ?? 'stop',
          isError: false,
          numTurns: this.turns,
          durationMs: null,
          costUsd: this.stepCost,
          usage: { ...u },
          text: null,
          conversationId: conversation,
          note: 'summed over the run’s steps',
        });
        return true;
      }
      case 'error': {
        const e = isObj(ev.error) ? ev.error : {};
        const data = isObj(e.data) ? e.data : {};
        const status = num(data.statusCode);
        const text = str(data.message) ?? str(e.message) ?? str(e.name) ?? 'error';
        this.emit({ kind: 'error', text: status !== null ? `${text} (HTTP ${status})` : text });
        return true;
      }
      default:
        return false;
    }
  }

  // ------------------------------------------------------------------ Gemini CLI -o stream-json
  private gemini(ev: Json): boolean {
    switch (ev.type) {
      case 'init':
        this.emit({ kind: 'init', agent: AGENT_NAMES.gemini, model: str(ev.model), cwd: null, tools: 0, version: null, conversationId: str(ev.session_id) });
        return true;
      case 'message': {
        const role = ev.role === 'user' ? 'user' : 'assistant';
        const text = contentText(ev.content);
        if (ev.delta === true) this.delta(`gemini:${role}`, role, text);
        else if (text.trim()) this.emit({ kind: 'text', role, text });
        return true;
      }
      case 'tool_use':
        this.toolUse(str(ev.tool_id) ?? '', str(ev.tool_name) ?? 'tool', ev.parameters);
        return true;
      case 'tool_result': {
        const ok = ev.status === 'success';
        const err = isObj(ev.error) ? str(ev.error.message) : null;
        const content = ev.output != null ? contentText(ev.output) : (err ?? String(ev.status ?? ''));
        this.toolResult(str(ev.tool_id) ?? '', content, !ok);
        return true;
      }
      case 'error': {
        const text = str(ev.message) ?? 'error';
        if (ev.severity === 'warning') this.emit({ kind: 'system', subtype: 'Warning', text });
        else this.emit({ kind: 'error', text });
        return true;
      }
      case 'result': {
        const stats = isObj(ev.stats) ? ev.stats : {};
        const err = isObj(ev.error) ? str(ev.error.message) : null;
        this.emit({
          kind: 'result',
          subtype: str(ev.status) ?? 'result',
          isError: ev.status !== 'success',
          numTurns: null,
          durationMs: num(stats.duration_ms),
          costUsd: null,
          usage: {
            inputTokens: num(stats.input_tokens),
            outputTokens: num(stats.output_tokens),
            cacheReadTokens: num(stats.cached),
            cacheCreationTokens: null,
          },
          text: err,
          conversationId: null,
        });
        return true;
      }
      default:
        return false;
    }
  }

  // ------------------------------------------------------------------ Copilot --output-format json
  private copilot(ev: Json): boolean {
    const data = isObj(ev.data) ? ev.data : {};
    switch (ev.type) {
      case 'user.message':
        if (str(data.content)) this.emit({ kind: 'text', role: 'user', text: String(data.content) });
        return true;
      case 'assistant.turn_start':
        this.turns++;
        return true;
      case 'assistant.message_delta': {
        const id = str(data.messageId) ?? '';
        const text = str(data.deltaContent) ?? '';
        if (text) this.messageIndex.set(id, this.delta(`copilot:${id}`, 'assistant', text));
        return true;
      }
      case 'assistant.message': {
        const id = str(data.messageId) ?? '';
        const text = str(data.content) ?? '';
        const at = this.messageIndex.get(id);
        const prev = at !== undefined ? this.items[at] : undefined;
        // The whole message replaces its deltas.
        if (prev && prev.kind === 'text') {
          if (text && text !== prev.text) this.replace(at!, { ...prev, text });
        } else if (text.trim()) this.emit({ kind: 'text', role: 'assistant', text });
        this.openText = null;
        for (const r of Array.isArray(data.toolRequests) ? data.toolRequests : []) {
          if (isObj(r)) this.toolUse(str(r.toolCallId) ?? '', str(r.name) ?? 'tool', r.arguments);
        }
        return true;
      }
      case 'assistant.reasoning':
        if (str(data.content)) this.emit({ kind: 'thinking', text: String(data.content) });
        return true;
      case 'tool.execution_start':
        this.toolUse(str(data.toolCallId) ?? '', str(data.toolName) ?? 'tool', data.arguments);
        return true;
      case 'tool.execution_complete': {
        const result = isObj(data.result) ? data.result : {};
        const err = isObj(data.error) ? str(data.error.message) : str(data.error);
        const content = result.content != null ? contentText(result.content) : (err ?? '');
        this.toolResult(str(data.toolCallId) ?? '', content, data.success === false);
        return true;
      }
      case 'session.error':
        this.emit({ kind: 'error', text: str(data.message) ?? str(data.errorType) ?? 'error' });
        return true;
      case 'session.warning':
        this.emit({ kind: 'system', subtype: 'Warning', text: str(data.message) ?? '' });
        return true;
      case 'session.info': {
        const info = str(data.infoType) ?? 'info';
        this.emit({ kind: 'system', subtype: info === 'model_retry' ? 'Retry' : info.replace(/_/g, ' '), text: str(data.message) ?? '' });
        return true;
      }
      case 'result': {
        const u = isObj(ev.usage) ? ev.usage : {};
        const code = num(ev.exitCode);
        const changes = isObj(u.codeChanges) ? u.codeChanges : {};
        const files = Array.isArray(changes.filesModified) ? changes.filesModified.length : null;
        const notes: string[] = [];
        if (files) notes.push(`${files} file${files === 1 ? '' : 's'} changed (+${num(changes.linesAdded) ?? 0} −${num(changes.linesRemoved) ?? 0})`);
        if (num(u.premiumRequests) !== null) notes.push(`${num(u.premiumRequests)} premium requests`);
        notes.push('no token counts on stdout');
        this.emit({
          kind: 'result',
          subtype: code === 0 ? 'success' : 'error',
          isError: code !== null && code !== 0,
          numTurns: this.turns || null,
          durationMs: num(u.sessionDurationMs),
          costUsd: null,
          usage: null,
          text: code !== null && code !== 0 ? `exit code ${code}` : null,
          conversationId: str(ev.sessionId),
          note: notes.join(' · '),
        });
        return true;
      }
      default:
        // Progress that the lasting events repeat (model calls, deltas of tool calls, loaded skills…)
        // is marked ephemeral; anything else unknown stays visible as text.
        return ev.ephemeral === true || COPILOT_QUIET.has(String(ev.type));
    }
  }
}

const COPILOT_QUIET = new Set(['assistant.turn_end', 'assistant.idle', 'assistant.turn_retry', 'assistant.message_start', 'session.skills_loaded', 'session.mcp_servers_loaded', 'session.tools_updated']);

/** One-line summary of a tool call's input: the file, command or pattern it is about. */
export function toolSummary(name: string, input: unknown): string {
  const clip = (v: string) => (v.length > 160 ? v.slice(0, 157) + '…' : v);
  if (typeof input === 'string') return clip(input);
  if (!isObj(input)) return '';
  for (const k of ['command', 'file_path', 'filePath', 'path', 'pattern', 'url', 'query', 'description', 'prompt']) {
    const v = input[k];
    if (typeof v === 'string' && v) return clip(v);
    if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'string')) return clip(v.join(' '));
  }
  // Codex file_change: {changes: [{path, kind}]}
  if (Array.isArray(input.changes)) {
    const files = input.changes.filter(isObj).map((c) => [str(c.kind), str(c.path)].filter(Boolean).join(' '));
    if (files.length) return clip(files.join(', '));
  }
  void name;
  return '';
}
