// Choices the create dialogs make: the tool to offer first, and the order of picked specs.
import type { Tool } from '../api/model';

/** The tool a dialog starts on: claude if installed, else the first installed one, else the first (shell when none). */
export function defaultTool(tools: readonly Pick<Tool, 'name' | 'available'>[]): string {
  return tools.find((t) => t.name === 'claude' && t.available)?.name ?? tools.find((t) => t.available)?.name ?? tools[0]?.name ?? 'shell';
}

/** `list` with `item` added at the end, or taken out when it is there. */
export function toggled<T>(list: readonly T[], item: T): T[] {
  return list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
}

/** `list` with the item at `i` moved by `d` places; the same list when that would leave it. */
export function moved<T>(list: T[], i: number, d: number): T[] {
  const j = i + d;
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return list;
  const next = list.slice();
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}
