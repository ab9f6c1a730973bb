// Session states as docs/architecture.md draws them, and what the UI offers in each. TRANSITIONS is
// checked against the daemon's state machine (src/model/state_test.cc).
//
//   pending ─start→ running ─pause→ paused ─resume→ running
//   running ─exit 0→ completed     running|paused ─exit≠0/signal/agent error→ failed
//   pending|running|paused ─stop→ cancelled      running|paused ─daemon lost it→ interrupted
//   interrupted ─resume (conversation resume)→ running
import type { Session, SessionStatus } from '../api/model';

const TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  pending: ['running', 'cancelled'],
  running: ['paused', 'completed', 'failed', 'cancelled', 'interrupted'],
  paused: ['running', 'failed', 'cancelled', 'interrupted'],
  completed: [],
  failed: [],
  cancelled: [],
  interrupted: ['running'],
};

export const TERMINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

/** Nothing more will happen unless someone acts (an interrupted session can be resumed). */
export function isTerminal(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** A process exists (running or stopped): output may still come. */
export function isLive(status: SessionStatus): boolean {
  return status === 'running' || status === 'paused';
}

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export type Action = 'start' | 'pause' | 'resume' | 'stop' | 'continue' | 'retry' | 'delete';

/** The controls that match a session's status, in display order. */
export function actionsFor(s: Pick<Session, 'status' | 'agentSessionId'>): Action[] {
  switch (s.status) {
    case 'pending':
      return ['start', 'stop', 'delete'];
    case 'running':
      return ['pause', 'stop'];
    case 'paused':
      return ['resume', 'stop'];
    case 'interrupted':
      // Resuming an interrupted session relaunches its agent on the same conversation; without
      // a conversation id there is nothing to resume or continue.
      return s.agentSessionId ? ['resume', 'continue', 'retry', 'delete'] : ['retry', 'delete'];
    case 'completed':
    case 'failed':
    case 'cancelled':
      // Continue: a new session that resumes the agent's conversation with a new prompt.
      return s.agentSessionId ? ['continue', 'retry', 'delete'] : ['retry', 'delete'];
  }
}

export const ACTION_LABEL: Record<Action, string> = {
  start: '▶ Start',
  pause: '❚❚ Pause',
  resume: '▶ Resume',
  stop: '■ Stop',
  continue: '↪ Continue',
  retry: '↻ Retry',
  delete: 'Delete',
};

/** The button look of a control: stop and delete warn, pause is plain, the rest move things on. */
export function actionClass(a: Action): string {
  if (a === 'stop') return 'btn-danger';
  if (a === 'delete') return 'btn-ghost btn-danger-text';
  return a === 'pause' ? '' : 'btn-primary';
}

/**
 * Applies a status update for a session we hold. Updates are ordered per connection, but a
 * page can hold a snapshot from a GET that is newer than a message still in flight (or the
 * other way round): keep whichever is newer by updated_at, and never move a finished session
 * back to a live state unless the state machine allows it (interrupted → running).
 */
export function applyUpdate(current: Session | undefined, next: Session): Session {
  if (!current || current.id !== next.id) return next;
  if (next.updatedAt < current.updatedAt) return current;
  if (next.status !== current.status && !canTransition(current.status, next.status)) {
    // A skipped intermediate (running → paused → running seen as one step) is fine; a move
    // out of a final state is not, unless the newer record says so by a strictly later time.
    if (isTerminal(current.status) && next.updatedAt === current.updatedAt) return current;
  }
  return next;
}

export const STATUS_LABEL: Record<SessionStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};
