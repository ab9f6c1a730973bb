// The transcript view's data: the daemon's updates applied as the daemon means them, and what the
// list shows of each item. (Reading each agent CLI's output is the daemon's job, tested there:
// src/agents/transcript_test.cc against tests/fixtures/transcripts.)
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TranscriptList } from '../ui/Transcript';
import { applyUpdates, isLongResult, itemClass, type TranscriptItem } from './transcript';

const text = (t: string): TranscriptItem => ({ kind: 'text', role: 'assistant', text: t });

describe('applyUpdates', () => {
  it('appends at the end and replaces below it: a streamed message grows in place', () => {
    const items: TranscriptItem[] = [];
    expect(applyUpdates(items, [{ index: 0, item: text('Hel') }])).toBe(true);
    applyUpdates(items, [{ index: 0, item: text('Hello') }, { index: 1, item: { kind: 'error', text: 'x' } }]);
    expect(items).toEqual([text('Hello'), { kind: 'error', text: 'x' }]);
  });

  it('changes nothing when the same updates come again (a resubscribe replays from the last seq)', () => {
    const updates = [{ index: 0, item: text('a') }, { index: 1, item: text('b') }, { index: 1, item: text('bc') }];
    const once: TranscriptItem[] = [];
    applyUpdates(once, updates);
    const twice = once.slice();
    applyUpdates(twice, updates);
    expect(twice).toEqual(once);
    expect(once).toEqual([text('a'), text('bc')]);
  });

  it('drops an update beyond the end rather than leaving a hole', () => {
    const items: TranscriptItem[] = [text('a')];
    expect(applyUpdates(items, [{ index: 3, item: text('z') }, { index: -1, item: text('z') }])).toBe(false);
    expect(items).toEqual([text('a')]);
  });
});

describe('TranscriptList', () => {
  const render = (items: TranscriptItem[]) => renderToStaticMarkup(createElement(TranscriptList, { items }));

  it('shows a tool call by the summary the daemon made, and its result open when short', () => {
    const html = render([
      { kind: 'tool_use', id: 't1', name: 'Write', input: { file_path: '/p/hello.txt', content: 'hi' }, summary: '/p/hello.txt' },
      { kind: 'tool_result', toolUseId: 't1', toolName: 'Write', content: 'File created', isError: false },
    ]);
    expect(html).toContain('<strong>Write</strong> <code class="tx-summary">/p/hello.txt</code>');
    expect(html).toMatch(/<details open="">[^]*Tool result[^]*Write[^]*File created/);
  });

  it('shows the end of a run with its figures, and errors as errors', () => {
    const html = render([
      {
        kind: 'result', subtype: 'success', isError: false, numTurns: 2, durationMs: null, costUsd: 0.019775,
        usage: { inputTokens: 3460, outputTokens: 99, cacheReadTokens: 0, cacheCreationTokens: null },
        text: null, conversationId: 'c', note: 'summed over the run’s steps',
      },
      { kind: 'error', text: '401 Unauthorized' },
      { kind: 'raw', stream: 'stderr', text: 'warning' },
    ]);
    expect(html).toContain('Finished');
    expect(html).toMatch(/<dt>Turns<\/dt><dd>2<\/dd>/);
    expect(html).toContain('summed over the run’s steps');
    expect(html).toMatch(/tx-error">Error<\/div><div class="tx-text">401 Unauthorized/);
    expect(html).toContain('<pre class="tx-raw tx-error">warning</pre>');
  });

  it('names its rows by kind, role and failure', () => {
    expect(itemClass(text('x'))).toBe('tx tx-text tx-assistant');
    expect(itemClass({ kind: 'error', text: '' })).toBe('tx tx-error');
    expect(isLongResult('a\n'.repeat(9))).toBe(true);
    expect(isLongResult('short')).toBe(false);
  });
});
