// What every page needs: the API client, the shared status stream, the create dialog, and
// a few things learned along the way (projects seen, tools).
import { createContext, useContext } from 'react';
import type { Api } from '../api/http';
import type { Tool } from '../api/model';
import type { StreamConnection } from '../api/stream';
import type { AttentionStore } from '../data/attention';

export interface CreatePrefill {
  tool?: string;
  mode?: string;
  projectPath?: string;
  specIds?: string[];
  prompt?: string;
  command?: string[];
}

export interface AppContextValue {
  api: Api;
  token: string;
  /** One connection for status watches (lists); detail pages open their own for logs. */
  watch: StreamConnection;
  openCreate: (prefill?: CreatePrefill) => void;
  /** The "New plan" dialog. */
  openPlan: () => void;
  notify: (message: string, kind?: 'info' | 'error') => void;
  tools: () => Promise<Tool[]>;
  knownProjects: () => string[];
  rememberProjects: (paths: string[]) => void;
  onAuthError: () => void;
  /** Sessions that need the user, app-wide (the title's count, notifications, the list's badges). */
  attention: AttentionStore;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside AppContext');
  return v;
}
