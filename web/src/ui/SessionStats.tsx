// The session page's figures, on one compact line (the terminal below gets the rest of the
// screen), and what it was asked (prompt, command) on another. Session cost and conversation cost
// are labelled as such when both show.
import type { Session } from '../api/model';
import { absoluteTime, costParts, formatBytes, formatDuration, formatTokens, relativeTime, sessionDuration, sessionTitle, sessionTokens, shellQuote, shortId } from '../data/format';
import type { SessionFeed } from '../data/sessionFeed';
import { href } from './router';

export function SessionStats({ s, now, feed }: { s: Session; now: number; feed: SessionFeed }) {
  // The record's log size is as of its last status change; the stream knows better while live.
  const logBytes = Math.max(s.logBytes, feed.endOffset);
  const logSeq = Math.max(s.logSeq, feed.lastSeq);
  const tokens = sessionTokens(s);
  const tokenDetail = [
    s.inputTokens != null ? `${formatTokens(s.inputTokens)} in` : null,
    s.outputTokens != null ? `${formatTokens(s.outputTokens)} out` : null,
    s.cacheReadTokens ? `${formatTokens(s.cacheReadTokens)} cache read` : null,
    s.cacheCreationTokens ? `${formatTokens(s.cacheCreationTokens)} cache write` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const exit = s.signal ? s.signal : s.exitCode !== null ? String(s.exitCode) : s.status === 'running' ? 'running' : '—';
  const costs = costParts(s);
  const conv = s.conversation;
  return (
    <dl className="stats stats-line" data-testid="stats">
      <div title={absoluteTime(s.startedAt)}>
        <dt>Started</dt>
        <dd>{s.startedAt ? relativeTime(s.startedAt, now) : 'not started'}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd data-testid="stat-duration">{formatDuration(sessionDuration(s, now))}</dd>
      </div>
      <div>
        <dt>Exit</dt>
        <dd className={(s.exitCode && s.exitCode !== 0) || s.signal ? 'bad' : ''} data-testid="stat-exit" title={s.signal ? `Ended by signal ${s.signal}` : undefined}>
          {exit}
        </dd>
      </div>
      <div title={tokenDetail || undefined}>
        <dt>Tokens</dt>
        <dd>{formatTokens(tokens)}</dd>
      </div>
      {costs.map((c) => (
        <div
          key={c.label ?? 'cost'}
          className="stat-cost"
          data-testid={c.label === 'conversation' ? 'stat-conversation-cost' : 'stat-cost'}
          title={c.label === 'conversation' ? `The whole agent conversation, earlier sessions included${conv ? ` (${formatTokens(conv.tokenCount)} tokens)` : ''}` : 'What this session itself used'}
        >
          <dt>{c.label === 'session' ? 'Session cost' : c.label === 'conversation' ? 'Conversation cost' : 'Cost'}</dt>
          <dd>{c.text}</dd>
        </div>
      ))}
      {s.numTurns != null && (
        <div>
          <dt>Turns</dt>
          <dd>{s.numTurns}</dd>
        </div>
      )}
      <div title={`${logBytes.toLocaleString('en-US')} bytes in ${logSeq.toLocaleString('en-US')} chunks`}>
        <dt>Output</dt>
        <dd data-testid="stat-output">{formatBytes(logBytes)}</dd>
      </div>
      {s.agentSessionId && (
        <div className="stat-minor" title={s.agentSessionId}>
          <dt>Conversation</dt>
          <dd>
            <code>{s.agentSessionId}</code>
          </dd>
        </div>
      )}
      {s.pid != null && (
        <div className="stat-minor">
          <dt>PID</dt>
          <dd>{s.pid}</dd>
        </div>
      )}
      {s.parentId && (
        <div>
          <dt>{s.position !== null ? `Plan · task ${s.position + 1}` : 'Parent'}</dt>
          <dd>
            <a href={href(`/sessions/${s.parentId}`)} title={s.parentId} data-testid="parent-link">
              {shortId(s.parentId)}
            </a>
          </dd>
        </div>
      )}
    </dl>
  );
}

/** The prompt (folded) and the command line, unless the header already says it all. */
export function SessionWhat({ s }: { s: Session }) {
  const command = s.command.map(shellQuote).join(' ');
  // The header shows sessionTitle(s): the prompt's first 90 characters, else the command's.
  const said = sessionTitle(s);
  const showPrompt = !!s.prompt && s.prompt !== said;
  const showCommand = !!command && command !== said;
  if (!showPrompt && !showCommand) return null;
  return (
    <div className="detail-what">
      {showPrompt && (
        <details>
          <summary>Prompt</summary>
          <pre className="prompt">{s.prompt}</pre>
        </details>
      )}
      {showCommand && (
        <div className="command" title={command}>
          <span className="muted small">Command</span> <code>{command}</code>
        </div>
      )}
    </div>
  );
}
