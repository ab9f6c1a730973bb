// A structured session's conversation, readable: assistant text, tool calls with their results,
// and the final usage — the transcript items the daemon reads from the agent's output, kept current
// by the session's feed (one WebSocket subscription with the log).
import { useEffect, useRef, useState } from 'react';
import type { SessionFeed } from '../data/sessionFeed';
import { formatCost, formatDuration, formatTokens } from '../data/format';
import { isLongResult, itemClass, type TranscriptItem } from '../data/transcript';

export function Transcript({ feed, hidden }: { feed: SessionFeed; hidden: boolean }) {
  const [items, setItems] = useState<TranscriptItem[]>(() => feed.transcript.slice());
  const box = useRef<HTMLDivElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    setItems(feed.transcript.slice());
    let scheduled = false;
    const off = feed.listen({
      onTranscript: () => {
        if (scheduled) return;
        scheduled = true;
        requestAnimationFrame(() => {
          scheduled = false;
          setItems(feed.transcript.slice());
        });
      },
    });
    return () => {
      off();
    };
  }, [feed]);

  useEffect(() => {
    const el = box.current;
    if (el && follow.current && !hidden) el.scrollTop = el.scrollHeight;
  }, [items, hidden]);

  return (
    <div
      className="transcript"
      hidden={hidden}
      ref={box}
      tabIndex={0}
      aria-label="Transcript"
      onScroll={(e) => {
        const el = e.currentTarget;
        follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {items.length === 0 && <p className="muted">Nothing yet. The agent’s messages, tool calls and results appear here as they happen.</p>}
      <TranscriptList items={items} />
    </div>
  );
}

/** The items as a list (also rendered on its own by tests). */
export function TranscriptList({ items }: { items: TranscriptItem[] }) {
  return (
    <ol className="tx-list">
      {items.map((it, i) => (
        <li key={i} className={itemClass(it)}>
          <Item it={it} />
        </li>
      ))}
    </ol>
  );
}

function Item({ it }: { it: TranscriptItem }) {
  switch (it.kind) {
    case 'init':
      return (
        <div className="tx-meta">
          <span className="tx-label">Session started</span>
          {it.model && <span>model {it.model}</span>}
          <span>{it.version ? `${it.agent} ${it.version}` : it.agent}</span>
          {it.tools > 0 && <span>{it.tools} tools</span>}
          {it.cwd && <code>{it.cwd}</code>}
          {it.conversationId && (
            <span>
              conversation <code>{it.conversationId}</code>
            </span>
          )}
        </div>
      );
    case 'text':
      return (
        <>
          <div className="tx-label">{it.role === 'assistant' ? 'Assistant' : 'User'}</div>
          <div className="tx-text">{it.text}</div>
        </>
      );
    case 'thinking':
      return (
        <details>
          <summary className="tx-label">Thinking</summary>
          <div className="tx-text muted">{it.text}</div>
        </details>
      );
    case 'tool_use': {
      const summary = it.summary;
      return (
        <details>
          <summary>
            <span className="tx-label">Tool call</span> <strong>{it.name}</strong> {summary && <code className="tx-summary">{summary}</code>}
          </summary>
          <pre className="tx-pre">{JSON.stringify(it.input, null, 2)}</pre>
        </details>
      );
    }
    case 'tool_result': {
      const long = isLongResult(it.content);
      return (
        <details open={!long || it.isError}>
          <summary>
            <span className={`tx-label ${it.isError ? 'tx-error' : ''}`}>{it.isError ? 'Tool error' : 'Tool result'}</span>
            {it.toolName && <span className="muted"> · {it.toolName}</span>}
            {long && <span className="muted"> · {it.content.length.toLocaleString()} chars</span>}
          </summary>
          <pre className="tx-pre">{it.content}</pre>
        </details>
      );
    }
    case 'result':
      return (
        <div>
          <div className="tx-label">{it.isError ? 'Finished with an error' : 'Finished'}</div>
          {it.text && <div className="tx-text">{it.text}</div>}
          <dl className="tx-usage">
            {it.numTurns !== null && (
              <>
                <dt>Turns</dt>
                <dd>{it.numTurns}</dd>
              </>
            )}
            {it.durationMs !== null && (
              <>
                <dt>Time</dt>
                <dd>{formatDuration(it.durationMs)}</dd>
              </>
            )}
            {it.usage && (
              <>
                <dt>Input</dt>
                <dd>{formatTokens(it.usage.inputTokens)}</dd>
                <dt>Output</dt>
                <dd>{formatTokens(it.usage.outputTokens)}</dd>
                {!!it.usage.cacheReadTokens && (
                  <>
                    <dt>Cache read</dt>
                    <dd>{formatTokens(it.usage.cacheReadTokens)}</dd>
                  </>
                )}
              </>
            )}
            {it.costUsd !== null && (
              <>
                <dt>Cost</dt>
                <dd>{formatCost(it.costUsd)}</dd>
              </>
            )}
          </dl>
          {it.note && <div className="muted small">{it.note}</div>}
        </div>
      );
    case 'error':
      return (
        <>
          <div className="tx-label tx-error">Error</div>
          <div className="tx-text">{it.text}</div>
        </>
      );
    case 'system':
      return (
        <div className="tx-meta">
          <span className="tx-label">{it.subtype}</span> {it.text}
        </div>
      );
    case 'raw':
      return <pre className={`tx-raw ${it.stream === 'stderr' ? 'tx-error' : ''}`}>{it.text}</pre>;
  }
}
