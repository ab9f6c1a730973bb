// The sessions list from the keyboard: the search box's matching (name, id, prompt, tool,
// project, command), j/k moving a selection over the rows shown, and which keys the list takes.
import type { Session } from '../api/model';
import { shortId } from './format';
import type { ListRow } from './planTree';

/** Every word of `query` is somewhere in the session's name, id, short id, prompt, tool, project or command. */
export function matchesSearch(s: Pick<Session, 'id' | 'name' | 'prompt' | 'tool' | 'projectPath' | 'command' | 'plan'>, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = [s.name ?? '', s.id, shortId(s.id), s.prompt ?? '', s.tool, s.projectPath, s.command.join(' '), s.plan?.name ?? ''].join('\n').toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** The rows whose session, or one of whose plan tasks, matches. */
export function searchRows(rows: readonly ListRow[], query: string): ListRow[] {
  if (!query.trim()) return rows.slice();
  return rows.filter((r) => matchesSearch(r.session, query) || r.children.some((c) => matchesSearch(c, query)));
}

/** The selection after j (+1) or k (−1): from none, either starts at the first row; it stops at the ends. */
export function moveSelection(ids: readonly string[], current: string | null, delta: 1 | -1): string | null {
  if (!ids.length) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  if (i < 0) return ids[0]!;
  return ids[Math.max(0, Math.min(ids.length - 1, i + delta))]!;
}

export type ListKey = 'down' | 'up' | 'open' | 'search' | 'help' | 'close';

/**
 * What a key press means to the list, or null: not while typing in a field or the terminal, nor
 * with Ctrl/Alt/Meta (the browser's and the system's).
 */
export function listKey(e: { key: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean }, typing: boolean): ListKey | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.key === 'Escape') return 'close';
  if (typing) return null;
  switch (e.key) {
    case 'j':
      return 'down';
    case 'k':
      return 'up';
    case 'Enter':
      return 'open';
    case '/':
      return 'search';
    case '?':
      return 'help';
    default:
      return null;
  }
}

/** The keys the help overlay lists. */
export const LIST_KEYS: readonly [string, string][] = [
  ['j / k', 'Select the next / previous session'],
  ['Enter', 'Open the selected session'],
  ['/', 'Search by name, id, prompt, tool or project'],
  ['n', 'New session'],
  ['?', 'Show these keys'],
  ['Esc', 'Close this help, or leave the search box'],
];
