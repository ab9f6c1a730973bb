import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../api/model';
import { TranscriptParser, toolSummary, type TranscriptItem } from './transcript';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../test/${name}`, import.meta.url)));

/** Cuts bytes into chunks of `size` (splitting lines and UTF-8 characters anywhere). */
function chunks(bytes: Uint8Array, size: number, level: Chunk['level'] = 'stdout'): Chunk[] {
  const out: Chunk[] = [];
  for (let i = 0, seq = 1; i < bytes.length; i += size, seq++)
    out.push({ seq, offset: i, timestamp: '', tsMs: seq, level, data: bytes.subarray(i, i + size) });
  return out;
}

describe('TranscriptParser on Claude Code stream-json', () => {
  for (const size of [7, 64, 100000]) {
    it(`reads the reference transcript cut into ${size}-byte chunks`, () => {
      const p = new TranscriptParser();
      for (const c of chunks(fixture('claude-stream-json.jsonl'), size)) p.push(c);
      p.flush();
      expect(p.items.map((i) => i.kind)).toEqual(['init', 'text', 'tool_use', 'tool_result', 'text', 'result']);
      const [init, text, use, result, , final] = p.items;
      expect(init).toMatchObject({ kind: 'init', model: 'claude-opus-4-8[1m]', conversationId: 'e254051f-ca00-4c11-a542-cef57e7dcd50' });
      expect(text).toEqual({ kind: 'text', role: 'assistant', text: "I'll create hello.txt." });
      expect(use).toMatchObject({ kind: 'tool_use', name: 'Write', input: { file_path: '/home/dev/lab/repo1/hello.txt' } });
      // The em dash straddles chunk boundaries at 7 bytes and must survive.
      expect(result).toMatchObject({ kind: 'tool_result', toolName: 'Write', isError: false });
      expect((result as { content: string }).content).toContain('file state is current in your context — no need');
      expect(final).toMatchObject({ kind: 'result', subtype: 'success', isError: false, numTurns: 2, costUsd: 0.019775, usage: { inputTokens: 3460, outputTokens: 99 } });
    });
  }

  it('shows API retries and keeps non-JSON lines and stderr as text', () => {
    const p = new TranscriptParser();
    for (const c of chunks(fixture('claude-err-500-retries1.jsonl'), 50)) p.push(c);
    p.push({ seq: 100, offset: 0, timestamp: '', tsMs: 0, level: 'stderr', data: new TextEncoder().encode('warning: something\n') });
    p.push({ seq: 101, offset: 0, timestamp: '', tsMs: 0, level: 'stdout', data: new TextEncoder().encode('not json') });
    p.flush();
    const kinds = p.items.map((i) => i.kind);
    expect(kinds).toContain('system');
    expect(p.items.find((i) => i.kind === 'system')).toMatchObject({ subtype: 'API retry' });
    expect(p.items).toContainEqual({ kind: 'raw', stream: 'stderr', text: 'warning: something' });
    expect(p.items.at(-1)).toEqual({ kind: 'raw', stream: 'stdout', text: 'not json' });
  });

  it('summarises tool inputs', () => {
    expect(toolSummary('Bash', { command: 'make test' })).toBe('make test');
    expect(toolSummary('Write', { file_path: '/x/hello.txt', content: '…' })).toBe('/x/hello.txt');
    expect(toolSummary('X', null)).toBe('');
  });
});

/** Reads a fixture through a parser for `tool`, fed in `size`-byte chunks. */
function read(tool: string, name: string, size = 100000) {
  const p = new TranscriptParser(tool);
  for (const c of chunks(fixture(name), size)) p.push(c);
  p.flush();
  return p.items;
}
const find = <K extends TranscriptItem['kind']>(items: TranscriptItem[], kind: K) =>
  items.filter((i): i is Extract<TranscriptItem, { kind: K }> => i.kind === kind);

describe('TranscriptParser on the other agent CLIs', () => {
  it('Codex exec --json: thread, patch that adds hello.txt, reply, usage', () => {
    const items = read('codex', 'codex-exec.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['init', 'tool_use', 'tool_result', 'text', 'result']);
    expect(items[0]).toMatchObject({ agent: 'Codex', conversationId: '01a20120-d21a-75b1-9d21-b19019d30b59' });
    const [use] = find(items, 'tool_use');
    expect(use).toMatchObject({ id: 'item_0', name: 'patch' });
    expect(toolSummary(use!.name, use!.input)).toBe('add /home/dev/lab/crepo2/hello.txt');
    expect(find(items, 'tool_result')[0]).toMatchObject({ toolUseId: 'item_0', toolName: 'patch', isError: false, content: 'completed\nadd /home/dev/lab/crepo2/hello.txt' });
    expect(find(items, 'text')[0]!.text).toContain('Success. Updated the following files:\nA hello.txt');
    expect(items.at(-1)).toMatchObject({ kind: 'result', isError: false, usage: { inputTokens: 13960, outputTokens: 72, cacheReadTokens: 0 } });
  });

  it('Codex: a shell command and the model-metadata warning', () => {
    const items = read('codex', 'codex-exec-shell-fake-model.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['init', 'system', 'tool_use', 'tool_result', 'text', 'result']);
    expect(items[1]).toMatchObject({ subtype: 'Warning' });
    const [use] = find(items, 'tool_use');
    expect(use).toMatchObject({ name: 'shell' });
    expect(toolSummary(use!.name, use!.input)).toContain('> hello.txt');
    expect(find(items, 'tool_result')[0]).toMatchObject({ toolName: 'shell', isError: false, content: 'exit code 0' });
  });

  it('Codex with a wrong key shows the 401 and a failed result', () => {
    const items = read('codex', 'codex-err-wrong-key.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['init', 'error', 'result']);
    expect(find(items, 'error')[0]!.text).toContain('401 Unauthorized: Incorrect API key provided');
    expect(items.at(-1)).toMatchObject({ kind: 'result', isError: true, text: null });
  });

  it('OpenCode run --format json: session, write tool with its output, reply, summed step usage', () => {
    const items = read('opencode', 'opencode-run.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['init', 'tool_use', 'tool_result', 'text', 'result']);
    expect(items[0]).toMatchObject({ agent: 'OpenCode', conversationId: 'ses_dfedc54bdffeX13o4mX8WU0bq8' });
    const [use] = find(items, 'tool_use');
    expect(use).toMatchObject({ id: 'call_fake_0003', name: 'write', input: { filePath: '/home/dev/lab/orepo1/hello.txt' } });
    expect(toolSummary(use!.name, use!.input)).toBe('/home/dev/lab/orepo1/hello.txt');
    expect(find(items, 'tool_result')[0]).toMatchObject({ toolName: 'write', content: 'Wrote file successfully.', isError: false });
    expect(find(items, 'text')[0]!.text).toBe('Done. The tool said: Wrote file successfully.');
    expect(items.at(-1)).toMatchObject({
      kind: 'result',
      subtype: 'stop',
      isError: false,
      numTurns: 2,
      costUsd: 0,
      usage: { inputTokens: 2445 + 2528, outputTokens: 33 + 14 },
      conversationId: 'ses_dfedc54bdffeX13o4mX8WU0bq8',
    });
  });

  it('OpenCode with a wrong key shows the API error', () => {
    const items = read('opencode', 'opencode-err-wrong-key.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['init', 'error']);
    expect(items[1]).toEqual({ kind: 'error', text: 'Incorrect API key provided (fake) (HTTP 401)' });
  });

  it('Gemini stream-json: prompt, write_file, its result, the deltas joined, stats', () => {
    const items = read('gemini', 'gemini-stream-json.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['init', 'text', 'tool_use', 'tool_result', 'text', 'result']);
    expect(items[0]).toMatchObject({ agent: 'Gemini CLI', model: 'auto', conversationId: '7da7b70b-a790-48ec-8ca5-edbe35896bb7' });
    expect(items[1]).toEqual({ kind: 'text', role: 'user', text: 'create hello.txt' });
    expect(items[2]).toMatchObject({ name: 'write_file', input: { file_path: '/home/dev/lab/grepo1/hello.txt' } });
    expect(items[3]).toMatchObject({ toolUseId: 'write_file__write_file_1795315609039_0', toolName: 'write_file', isError: false, content: 'success' });
    expect(items[4]).toEqual({
      kind: 'text',
      role: 'assistant',
      text: 'Done. The tool said: {"output": "Successfully created and wrote to new file: /tmp/agentlab/grepo1/hello.txt. Here is the updated code:\\nHello from the fake model!\\n"}',
    });
    expect(items[5]).toMatchObject({ kind: 'result', isError: false, durationMs: 138, usage: { inputTokens: 25001, outputTokens: 99, cacheReadTokens: 0 } });
  });

  it('Gemini with a wrong key: the result carries the API error', () => {
    const items = read('gemini', 'gemini-err-wrong-key.jsonl');
    expect(items.at(-1)).toMatchObject({ kind: 'result', subtype: 'error', isError: true });
    expect((items.at(-1) as { text: string }).text).toContain('API key not valid. (fake)');
  });

  it('Copilot json: prompt, create tool, its result, the reply once, turns and code changes', () => {
    const items = read('copilot', 'copilot-output-json.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['text', 'tool_use', 'system', 'tool_result', 'text', 'result']);
    expect(items[0]).toEqual({ kind: 'text', role: 'user', text: 'create hello.txt' });
    expect(items[1]).toMatchObject({ id: 'call_fake_0002', name: 'create', input: { path: '/home/dev/lab/prepo1/hello.txt' } });
    expect(items[2]).toMatchObject({ kind: 'system', subtype: 'file created' });
    expect(items[3]).toMatchObject({ toolName: 'create', isError: false, content: 'Created file /home/dev/lab/prepo1/hello.txt with 27 characters' });
    // The deltas, then the whole message in its place.
    expect(items[4]).toEqual({ kind: 'text', role: 'assistant', text: 'Done. The tool said: Created file /home/dev/lab/prepo1/hello.txt with 27 characters' });
    expect(items[5]).toMatchObject({ kind: 'result', isError: false, numTurns: 2, durationMs: 255, conversationId: 'e625ac21-0900-43d9-95d3-461f88ce16e1' });
    expect((items[5] as { note: string }).note).toContain('1 file changed (+1 −0)');
  });

  it('Copilot with a wrong key: retries, the authentication error, exit code 1', () => {
    const items = read('copilot', 'copilot-err-wrong-key.jsonl');
    expect(items.map((i) => i.kind)).toEqual(['text', 'system', 'system', 'error', 'result']);
    expect(items[1]).toMatchObject({ subtype: 'Retry' });
    expect(find(items, 'error')[0]!.text).toContain('Authentication failed with provider at http://127.0.0.1:8766/v1 (HTTP 401)');
    expect(items.at(-1)).toMatchObject({ kind: 'result', isError: true, text: 'exit code 1' });
  });

  it('streamed deltas grow one item in place, and push reports the change', () => {
    const p = new TranscriptParser('gemini');
    const line = (o: object) => ({ seq: 1, offset: 0, timestamp: '', tsMs: 0, level: 'stdout' as const, data: new TextEncoder().encode(JSON.stringify(o) + '\n') });
    expect(p.push(line({ type: 'message', role: 'assistant', content: 'Hel', delta: true }))).toHaveLength(1);
    p.push({ ...line({}), level: 'stderr', data: new TextEncoder().encode('Ripgrep is not available.\n') });
    const changed = p.push(line({ type: 'message', role: 'assistant', content: 'lo', delta: true }));
    expect(changed).toEqual([{ kind: 'text', role: 'assistant', text: 'Hello' }]);
    p.push(line({ type: 'tool_use', tool_name: 'x', tool_id: '1', parameters: {} }));
    p.push(line({ type: 'message', role: 'assistant', content: 'again', delta: true }));
    expect(p.items.map((i) => (i.kind === 'text' ? i.text : i.kind))).toEqual(['Hello', 'raw', 'tool_use', 'again']);
  });

  it('keeps unknown JSON lines and non-JSON lines as text; Copilot drops its ephemeral progress', () => {
    const text = (s: string) => ({ seq: 1, offset: 0, timestamp: '', tsMs: 0, level: 'stdout' as const, data: new TextEncoder().encode(s) });
    for (const tool of ['codex', 'opencode', 'gemini', 'copilot']) {
      const p = new TranscriptParser(tool);
      p.push(text('{"type":"brand.new","x":1}\nnot json\n{"no":"type"}\n'));
      expect(p.items).toEqual([
        { kind: 'raw', stream: 'stdout', text: '{"type":"brand.new","x":1}' },
        { kind: 'raw', stream: 'stdout', text: 'not json' },
        { kind: 'raw', stream: 'stdout', text: '{"no":"type"}' },
      ]);
    }
    const p = new TranscriptParser('copilot');
    p.push(text('{"type":"model.call_start","ephemeral":true,"data":{}}\n'));
    expect(p.items).toEqual([]);
  });

  it('reads an unknown tool as Claude Code', () => {
    expect(new TranscriptParser('something').tool).toBe('claude');
  });
});

describe('split anywhere', () => {
  const cases: [string, string][] = [
    ['claude', 'claude-stream-json.jsonl'],
    ['claude', 'claude-err-500-retries1.jsonl'],
    ['codex', 'codex-exec.jsonl'],
    ['codex', 'codex-err-wrong-key.jsonl'],
    ['opencode', 'opencode-run.jsonl'],
    ['gemini', 'gemini-stream-json.jsonl'],
    ['copilot', 'copilot-output-json.jsonl'],
    ['copilot', 'copilot-err-wrong-key.jsonl'],
  ];
  /** A small deterministic PRNG, so a failure can be reproduced. */
  function rng(seed: number) {
    return () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  }
  for (const [tool, name] of cases) {
    it(`${name}: chunks cut at random byte positions give the same items`, () => {
      const whole = read(tool, name);
      const bytes = fixture(name);
      for (let seed = 1; seed <= 25; seed++) {
        const r = rng(seed);
        const p = new TranscriptParser(tool);
        let seq = 1;
        for (let i = 0; i < bytes.length; ) {
          const n = 1 + Math.floor(r() * (seed % 2 ? 12 : 400));
          p.push({ seq: seq++, offset: i, timestamp: '', tsMs: seq, level: 'stdout', data: bytes.subarray(i, i + n) });
          i += n;
        }
        p.flush();
        expect(p.items).toEqual(whole);
      }
      // …and one byte at a time.
      expect(read(tool, name, 1)).toEqual(whole);
    });
  }
});
