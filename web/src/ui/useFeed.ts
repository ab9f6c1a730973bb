// One session's live feed for a page: its own WebSocket connection (a log subscription must not
// share a queue with the list's watches), opened at the end of the log (data/logOpen.ts: the last
// lines over HTTP, then the stream from there), closed when the page goes.
import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../api/http';
import type { Session } from '../api/model';
import { StreamConnection, streamUrl, type ConnectionState } from '../api/stream';
import { openLog } from '../data/logOpen';
import { SessionFeed } from '../data/sessionFeed';
import { useApp } from './context';

export interface FeedState {
  feed: SessionFeed | null;
  /** The session as the stream says now (null until the feed exists). */
  session: Session | null;
  connState: ConnectionState;
  /** A stream error about the session ("This session was deleted."). */
  streamError: string | null;
  /** Opening the log failed. */
  error: ApiError | null;
}

/** The feed of `initial` (null: none); it follows the session's id, not its record's changes. */
export function useSessionFeed(initial: Session | null): FeedState {
  const { api, token } = useApp();
  const [feed, setFeed] = useState<SessionFeed | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [connState, setConnState] = useState<ConnectionState>('connecting');
  const [streamError, setStreamError] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const ref = useRef(initial);
  ref.current = initial;
  const id = initial?.id ?? null;

  useEffect(() => {
    const start = ref.current;
    if (!id || !start) return;
    let alive = true;
    // The connection opens while the log's end is fetched (a long log is never replayed whole).
    const conn = new StreamConnection({ url: streamUrl(), token });
    const offState = conn.onState(setConnState);
    let f: SessionFeed | null = null;
    let off = () => {};
    openLog(api, start)
      .then((opened) => {
        if (!alive) return;
        f = new SessionFeed(conn, id, start, opened);
        off = f.listen({
          onSession: setSession,
          onError: (code, message) => setStreamError(code === 'session_not_found' ? 'This session was deleted.' : message),
        });
        setFeed(f);
        setSession(f.session);
      })
      .catch((e: ApiError) => alive && setError(e));
    return () => {
      alive = false;
      off();
      offState();
      f?.dispose();
      conn.close();
      setFeed(null);
    };
  }, [api, id, token]);

  return { feed, session, connState, streamError, error };
}
