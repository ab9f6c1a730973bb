import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../api/model';
import { TranscriptParser, toolSummary } from './transcript';

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
