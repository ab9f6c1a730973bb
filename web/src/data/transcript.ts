// A structured session's transcript, as the daemon serves it: items it reads from each agent
// CLI's output (docs/api.md "Transcript items"; one parser per CLI, in the daemon's
// src/agents/<cli>.cc). Here: applying the daemon's updates, and what the view shows of an item.
// No agent's output format is read in the browser.
import type { TranscriptItem, TranscriptUpdate } from '../api/model';

export type { TranscriptItem, TranscriptUpdate } from '../api/model';

/**
 * Applies updates in order: index == items.length appends, a smaller index replaces (a streamed
 * message grows in place). The same updates applied twice change nothing; one beyond the end
 * (which a healthy daemon never sends) is dropped. Returns whether anything was applied.
 */
export function applyUpdates(items: TranscriptItem[], updates: readonly TranscriptUpdate[]): boolean {
  let changed = false;
  for (const u of updates) {
    if (!Number.isInteger(u.index) || u.index < 0 || u.index > items.length) continue;
    items[u.index] = u.item;
    changed = true;
  }
  return changed;
}

/** A tool result too long to show open: over 400 characters or 8 lines. */
export const isLongResult = (content: string): boolean => content.length > 400 || content.split('\n').length > 8;

/** The list item's CSS classes: its kind, a text's role, a failed result. */
export function itemClass(it: TranscriptItem): string {
  let c = `tx tx-${it.kind}`;
  if (it.kind === 'text') c += ` tx-${it.role}`;
  if (it.kind === 'result' && it.isError) c += ' tx-result-error';
  return c;
}
