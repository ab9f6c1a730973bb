// Lifecycle events with their payloads. Loaded once, then extended when the stream says an
// event happened (GET with after_id: only what is new). Events the daemon cannot store (the
// database could not be written) are shown as they arrive.
import { useEffect, useRef, useState } from 'react';
import type { SessionEvent } from '../api/model';
import type { SessionFeed } from '../data/sessionFeed';
import { addEvents, describeEvent, LIVE_ONLY_EVENTS } from '../data/events';
import { absoluteTime } from '../data/format';
import { useApp } from './context';

export function EventsTimeline({ feed, hidden }: { feed: SessionFeed; hidden: boolean }) {
  const { api } = useApp();
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const lastId = useRef(0);
  const busy = useRef(false);
  const again = useRef(false);

  useEffect(() => {
    let alive = true;
    const fetchNew = async () => {
      if (busy.current) {
        again.current = true;
        return;
      }
      busy.current = true;
      try {
        do {
          again.current = false;
          const got = await api.events(feed.sessionId, lastId.current || undefined);
          if (!alive) return;
          if (got.length) {
            lastId.current = Math.max(lastId.current, ...got.map((e) => e.id ?? 0));
            setEvents((have) => addEvents(have, got));
          }
        } while (again.current && alive);
        setError(null);
      } catch (e) {
        if (alive) setError((e as Error).message);
      } finally {
        busy.current = false;
      }
    };
    void fetchNew();
    const off = feed.listen({
      onEvent: (e) => {
        if (LIVE_ONLY_EVENTS.has(e.eventType)) setEvents((have) => addEvents(have, [e]));
        else void fetchNew();
      },
    });
    return () => {
      alive = false;
      off();
    };
  }, [api, feed]);

  return (
    <div className="events" hidden={hidden}>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {events.length === 0 && !error && <p className="muted">No events yet.</p>}
      <ol className="timeline">
        {events.map((e) => {
          const v = describeEvent(e);
          return (
            <li key={e.id ?? e.timestamp + e.eventType} className={`ev ev-${e.eventType}${v.isError ? ' ev-is-error' : ''}`}>
              <time dateTime={e.timestamp} title={e.timestamp}>
                {absoluteTime(e.timestamp)}
              </time>{' '}
              {/* The space keeps "AM" and the name apart: capitalize works per word. */}
              <span className="ev-type">{v.title}</span>
              {(v.tool || v.detail) && (
                <span className="ev-detail">
                  {' · '}
                  {v.tool && <strong className="ev-tool">{v.tool}</strong>}
                  {v.tool && v.detail && ' '}
                  {v.detail && (v.tool ? <code>{v.detail}</code> : <span>{v.detail}</span>)}
                </span>
              )}
              <EventData data={v.rest} />
            </li>
          );
        })}
      </ol>
    </div>
  );
}

function EventData({ data }: { data: Record<string, unknown> | null }) {
  if (!data) return null;
  const entries = Object.entries(data).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (!entries.length) return null;
  return (
    <dl className="ev-data">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k.replace(/_/g, ' ')}</dt>
          <dd>{typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join(' ') : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
