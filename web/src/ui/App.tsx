import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { forgetToken } from '../api/auth';
import { Api, ApiError } from '../api/http';
import type { Tool } from '../api/model';
import { StreamConnection, streamUrl, type ConnectionState } from '../api/stream';
import { AttentionStore } from '../data/attention';
import { StoreMonitor, storeBanners, type StoreBanner } from '../data/storeHealth';
import { NotifyToggle, useAttention } from './Attention';
import { AppContext, type AppContextValue, type CreatePrefill } from './context';
import { CreateDialog } from './CreateDialog';
import { PlanDialog } from './PlanDialog';
import { href, navigate, useRoute } from './router';
import { SessionDetailPage } from './SessionDetail';
import { SessionsPage } from './SessionsPage';
import { SpecsPage } from './SpecsPage';
import { setThemeChoice, useThemeChoice, type ThemeChoice } from './theme';

const PROJECTS_KEY = 'agentmux.projects';

export function NoToken({ rejected = false }: { rejected?: boolean }) {
  return (
    <main className="no-token" id="main">
      <h1>
        <Logo /> agentmux
      </h1>
      <p>{rejected ? 'The daemon did not accept this page’s token.' : 'This page needs the daemon’s access token.'}</p>
      <p>Open the address the daemon prints, which carries the token once:</p>
      <pre>
        <code>agentmux ui-url</code>
      </pre>
      <p className="muted">The token is kept only for this browser tab and is removed from the address bar.</p>
    </main>
  );
}

function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="6" />
      <path d="M7 10l6 6-6 6" className="logo-chevron" />
      <path d="M16 22h9" className="logo-line" />
    </svg>
  );
}

function ConnectionDot({ conn }: { conn: StreamConnection }) {
  const state = useSyncExternalStore(
    (fn) => conn.onState(fn),
    () => conn.state,
  );
  const label: Record<ConnectionState, string> = {
    connecting: 'Connecting…',
    open: 'Live',
    reconnecting: 'Reconnecting…',
    closed: 'Offline',
  };
  return (
    <span className={`conn conn-${state}`} role="status" title={`Live updates: ${label[state]}`}>
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{label[state]}</span>
    </span>
  );
}

function ThemeToggle() {
  const choice = useThemeChoice();
  const next: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
  const icon: Record<ThemeChoice, string> = { system: '◐', light: '☀', dark: '☾' };
  return (
    <button
      type="button"
      className="btn btn-ghost theme-toggle"
      onClick={() => setThemeChoice(next[choice])}
      title={`Theme: ${choice} (click for ${next[choice]})`}
      aria-label={`Theme: ${choice}. Switch to ${next[choice]}`}
    >
      <span aria-hidden="true">{icon[choice]}</span>
      <span className="theme-label">{choice === 'system' ? 'Auto' : choice === 'light' ? 'Light' : 'Dark'}</span>
    </button>
  );
}

/** `backquoted` parts as code. */
function withCode(text: string) {
  return text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part));
}

/** While the database cannot be written, or is damaged: on every page, under the top bar. */
function StoreBanners({ monitor }: { monitor: StoreMonitor }) {
  const state = useSyncExternalStore(monitor.subscribe, monitor.getSnapshot);
  const banners: StoreBanner[] = useMemo(() => storeBanners(state), [state]);
  if (!banners.length) return null;
  return (
    <div className="banners">
      {banners.map((b) => (
        <p key={b.kind} className={`alert banner ${b.kind === 'damaged' ? 'alert-error' : 'alert-warn'}`} role="alert" data-testid={`store-banner-${b.kind}`}>
          <span className="banner-icon" aria-hidden="true">
            ⚠
          </span>
          <span>{withCode(b.text)}</span>
        </p>
      ))}
    </div>
  );
}

interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
}

/**
 * The height of what stands above a page (top bar, banners) as --chrome-h: the session page
 * fills exactly the rest of the window, so its terminal fits the screen.
 */
function useChromeHeight() {
  useEffect(() => {
    const measure = () => {
      const main = document.getElementById('main');
      if (main) document.documentElement.style.setProperty('--chrome-h', `${Math.round(main.getBoundingClientRect().top + window.scrollY)}px`);
    };
    const ro = new ResizeObserver(measure);
    for (const el of document.querySelectorAll('.topbar, .banners-slot')) ro.observe(el);
    measure();
    window.addEventListener('resize', measure);
    return () => {
      ro.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, []);
}

export function App({ token }: { token: string }) {
  const api = useMemo(() => new Api(token), [token]);
  const [watch] = useState(() => new StreamConnection({ url: streamUrl(), token }));
  const [rejected, setRejected] = useState(false);
  const [createPrefill, setCreatePrefill] = useState<CreatePrefill | null>(null);
  const [planOpen, setPlanOpen] = useState(false);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const toolsPromise = useRef<Promise<Tool[]> | null>(null);
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);

  useEffect(() => () => watch.close(), [watch]);
  const attention = useMemo(() => new AttentionStore(api, watch), [api, watch]);
  useAttention(attention);
  useChromeHeight();

  // Health every 5 s (while the tab is visible): the banner says when the database cannot be
  // written. A sessions listing that says so shows it at once.
  const storeMonitor = useMemo(
    () =>
      new StoreMonitor(() => api.health(), {
        active: () => document.visibilityState !== 'hidden',
        onError: (e) => {
          if (e instanceof ApiError && e.status === 401) setRejected(true);
        },
      }),
    [api],
  );
  useEffect(() => api.onStoreUnwritable((store) => storeMonitor.reportList(store)), [api, storeMonitor]);
  useEffect(() => {
    if (rejected) return;
    const stop = storeMonitor.start();
    const onVisible = () => {
      if (document.visibilityState === 'visible') void storeMonitor.poll();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      stop();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [storeMonitor, rejected]);

  const notify = useCallback((message: string, kind: 'info' | 'error' = 'info') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t.slice(-3), { id, message, kind }]);
    window.setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);

  const ctx: AppContextValue = useMemo(
    () => ({
      api,
      token,
      watch,
      openCreate: (prefill = {}) => setCreatePrefill(prefill),
      openPlan: () => setPlanOpen(true),
      notify,
      tools: () => {
        if (!toolsPromise.current) {
          toolsPromise.current = api.tools().catch((e) => {
            toolsPromise.current = null;
            throw e;
          });
        }
        return toolsPromise.current;
      },
      knownProjects: () => {
        try {
          return JSON.parse(window.localStorage.getItem(PROJECTS_KEY) ?? '[]') as string[];
        } catch {
          return [];
        }
      },
      rememberProjects: (paths: string[]) => {
        let have: string[] = [];
        try {
          have = JSON.parse(window.localStorage.getItem(PROJECTS_KEY) ?? '[]') as string[];
        } catch {
          /* reset */
        }
        const merged = [...new Set([...paths.filter(Boolean), ...have])].slice(0, 30);
        if (merged.join('\n') !== have.join('\n')) window.localStorage.setItem(PROJECTS_KEY, JSON.stringify(merged));
      },
      onAuthError: () => setRejected(true),
      attention,
    }),
    [api, token, watch, notify, attention],
  );

  // "n" opens the create dialog from anywhere but a text field or the terminal.
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.key !== 'n' || e.ctrlKey || e.metaKey || e.altKey || createPrefill || planOpen) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.closest('input, textarea, select, [contenteditable], .xterm') || t.isContentEditable)) return;
      e.preventDefault();
      setCreatePrefill({});
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [createPrefill, planOpen]);

  useEffect(() => {
    if (rejected) {
      forgetToken();
      watch.close();
    }
  }, [rejected, watch]);

  if (rejected) return <NoToken rejected />;

  let page;
  const [first, second] = route.segments;
  let section: 'sessions' | 'specs' = 'sessions';
  if (first === 'sessions' && second) {
    page = <SessionDetailPage key={second} id={second} tab={route.query.get('tab')} />;
  } else if (first === 'specs') {
    section = 'specs';
    page = <SpecsPage project={route.query.get('project') ?? ''} />;
  } else {
    page = <SessionsPage query={route.query} />;
  }

  return (
    <AppContext.Provider value={ctx}>
      <button type="button" className="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <header className="topbar">
        <a className="brand" href={href('/')} aria-label="agentmux: all sessions">
          <Logo />
          <span>agentmux</span>
        </a>
        <nav className="nav" aria-label="Main">
          <a href={href('/')} aria-current={section === 'sessions' ? 'page' : undefined}>
            Sessions
          </a>
          <a href={href('/specs')} aria-current={section === 'specs' ? 'page' : undefined}>
            Specs
          </a>
        </nav>
        <div className="topbar-right">
          <ConnectionDot conn={watch} />
          <NotifyToggle />
          <ThemeToggle />
          <button type="button" className="btn new-plan" onClick={() => setPlanOpen(true)} title="New plan: tasks run in order in one agent conversation">
            <span aria-hidden="true">+</span> New plan
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setCreatePrefill({})} aria-keyshortcuts="n" title="New session (n)">
            <span aria-hidden="true">+</span> New session
          </button>
        </div>
      </header>
      <div className="banners-slot">
        <StoreBanners monitor={storeMonitor} />
      </div>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {page}
      </main>
      {createPrefill && (
        <CreateDialog
          prefill={createPrefill}
          onClose={() => setCreatePrefill(null)}
          onCreated={(s) => {
            setCreatePrefill(null);
            ctx.rememberProjects([s.projectPath]);
            navigate(href(`/sessions/${s.id}`));
          }}
        />
      )}
      {planOpen && (
        <PlanDialog
          onClose={() => setPlanOpen(false)}
          onCreated={(s) => {
            setPlanOpen(false);
            ctx.rememberProjects([s.projectPath]);
            navigate(href(`/sessions/${s.id}`));
          }}
        />
      )}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            {t.message}
          </div>
        ))}
      </div>
    </AppContext.Provider>
  );
}
