// A readable transcript of a structured session: Claude Code headless writes stream-json to
// stdout, one JSON event per line (shapes: shared/reference/agents/claude-stream-json.jsonl).
// Chunks split lines (and UTF-8 characters) anywhere, so bytes are decoded per stream with a
// streaming decoder and cut at newlines. Lines that are not JSON (stderr, a crash) stay as text.
import type { Chunk } from '../api/model';

export interface Usage {
  inputTokens: number | null;
  outputTokens: number | null;
  cacheReadTokens: number | null;
  cacheCreationTokens: number | null;
}

export type TranscriptItem =
  | { kind: 'init'; model: string | null; cwd: string | null; tools: number; version: string | null; conversationId: string | null }
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
    }
  | { kind: 'system'; subtype: string; text: string }
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

export class TranscriptParser {
  readonly items: TranscriptItem[] = [];
  private readonly toolNames = new Map<string, string>();
  private readonly decoders = new Map<string, TextDecoder>();
  private readonly partial = new Map<string, string>();

  /** Feeds one chunk; returns the items it completed. */
  push(chunk: Chunk): TranscriptItem[] {
    let dec = this.decoders.get(chunk.level);
    if (!dec) {
      dec = new TextDecoder('utf-8');
      this.decoders.set(chunk.level, dec);
    }
    const text = (this.partial.get(chunk.level) ?? '') + dec.decode(chunk.data, { stream: true });
    const lines = text.split('\n');
    this.partial.set(chunk.level, lines.pop() ?? '');
    const out: TranscriptItem[] = [];
    for (const line of lines) this.line(chunk.level, line, out);
    this.items.push(...out);
    return out;
  }

  /** The log ended: whatever is left without a final newline is a line too. */
  flush(): TranscriptItem[] {
    const out: TranscriptItem[] = [];
    for (const [level, dec] of this.decoders) {
      const rest = (this.partial.get(level) ?? '') + dec.decode();
      this.partial.set(level, '');
      if (rest) this.line(level as Chunk['level'], rest, out);
    }
    this.items.push(...out);
    return out;
  }

  private line(level: Chunk['level'], raw: string, out: TranscriptItem[]): void {
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
      out.push({ kind: 'raw', stream: level, text: line });
      return;
    }
    this.event(ev, out);
  }

  private event(ev: Json, out: TranscriptItem[]): void {
    switch (ev.type) {
      case 'system': {
        const subtype = str(ev.subtype) ?? 'system';
        if (subtype === 'init') {
          out.push({
            kind: 'init',
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
          out.push({ kind: 'system', subtype: 'API retry', text: bits.join(' · ') });
        } else if (subtype !== 'status') {
          // "status: requesting" is noise between turns; everything else is worth a line.
          out.push({ kind: 'system', subtype, text: str(ev.status) ?? str(ev.message) ?? '' });
        }
        return;
      }
      case 'assistant':
      case 'user': {
        const msg = isObj(ev.message) ? ev.message : {};
        const role = ev.type;
        const content = msg.content;
        if (typeof content === 'string') {
          if (content.trim()) out.push({ kind: 'text', role, text: content });
          return;
        }
        if (!Array.isArray(content)) return;
        for (const b of content) {
          if (!isObj(b)) continue;
          if (b.type === 'text' && str(b.text)) out.push({ kind: 'text', role, text: String(b.text) });
          else if (b.type === 'thinking' && str(b.thinking)) out.push({ kind: 'thinking', text: String(b.thinking) });
          else if (b.type === 'tool_use') {
            const id = str(b.id) ?? '';
            const name = str(b.name) ?? 'tool';
            this.toolNames.set(id, name);
            out.push({ kind: 'tool_use', id, name, input: b.input });
          } else if (b.type === 'tool_result') {
            const id = str(b.tool_use_id) ?? '';
            out.push({
              kind: 'tool_result',
              toolUseId: id,
              toolName: this.toolNames.get(id) ?? null,
              content: contentText(b.content),
              isError: b.is_error === true,
            });
          }
        }
        return;
      }
      case 'result': {
        out.push({
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
        return;
      }
      default:
        // stream_event (partial messages) and future types: the full message follows anyway.
        return;
    }
  }
}

/** One-line summary of a tool call's input: the file, command or pattern it is about. */
export function toolSummary(name: string, input: unknown): string {
  if (!isObj(input)) return '';
  for (const k of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'description', 'prompt']) {
    const v = str(input[k]);
    if (v) return v.length > 160 ? v.slice(0, 157) + '…' : v;
  }
  void name;
  return '';
}
