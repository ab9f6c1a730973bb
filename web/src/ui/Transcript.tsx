// A structured session's conversation, readable: assistant text, tool calls with their results,
// and the final usage — the transcript items the daemon reads from the agent's output, kept current
// by the session's feed (one WebSocket subscription with the log). On the session page (`session`
// given) the earlier sessions of the same agent conversation come first, each after the prompt
// the user gave it, and an ended session has a follow-up box under it (Conversation.tsx).
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Session } from '../api/model';
import type { SessionFeed } from '../data/sessionFeed';
import { formatCost, formatDuration, formatTokens } from '../data/format';
import { stitch, promptOf } from '../data/stitch';
import { isLongResult, itemClass, type TranscriptItem } from '../data/transcript';
import { FollowUp, PartHead, useConversation } from './Conversation';

export function Transcript({ feed, hidden, session }: { feed: SessionFeed; hidden: boolean; session?: Session }) {
  const [items, setItems] = useState<TranscriptItem[]>(() => feed.transcript.slice());
  const box = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const conv = useConversation(session ?? null);

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

  // Follows the end (unless the user scrolled up), also when earlier sessions are put above.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow.current && !hidden) el.scrollTop = el.scrollHeight;
  }, [items, hidden, conv.earlier]);

  const earlier = conv.earlier.length > 0;
  const prompt = session ? promptOf({ session, items }) : null;
  return (
    <div className="tx-wrap" hidden={hidden}>
      <div
        className="transcript"
        ref={box}
        tabIndex={0}
        aria-label="Transcript"
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {earlier && <EarlierParts parts={conv.earlier} />}
        {earlier && session && <PartHead s={session} current />}
        {items.length === 0 && !prompt && <p className="muted">Nothing yet. The agent’s messages, tool calls and results appear here as they happen.</p>}
        <TranscriptList items={items} prompt={prompt} />
      </div>
      {session && <FollowUp s={session} next={conv.next} />}
    </div>
  );
}

/** The earlier sessions of the conversation, each with the user's prompt before its items. */
function EarlierParts({ parts }: { parts: Parameters<typeof stitch>[0] }) {
  return (
    <ol className="tx-list tx-earlier" aria-label="Earlier in this conversation">
      {stitch(parts).map((e, i) =>
        e.kind === 'session' ? (
          <li key={i} className="tx-part">
            <PartHead s={e.session} current={false} />
          </li>
        ) : e.kind === 'prompt' ? (
          <PromptItem key={i} text={e.text} />
        ) : (
          <li key={i} className={itemClass(e.item)}>
            <Item it={e.item} />
          </li>
        ),
      )}
    </ol>
  );
}

function PromptItem({ text }: { text: string }) {
  return (
    <li className="tx tx-prompt tx-user">
      <div className="tx-label">You</div>
      <div className="tx-text">{text}</div>
    </li>
  );
}

/** The items as a list (also rendered on its own by tests), after the user's `prompt` if given. */
export function TranscriptList({ items, prompt = null }: { items: TranscriptItem[]; prompt?: string | null }) {
  return (
    <ol className="tx-list tx-current">
      {prompt && <PromptItem text={prompt} />}
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
