// The browser tab's title: the page's (a session's status and name) with the count of sessions
// that need the user in front, "(2) running · brave-otter — agentmux".
import { titleWithCount } from '../data/attention';

const APP = 'agentmux';
let page = APP;
let count = 0;

const apply = () => {
  document.title = titleWithCount(count, page);
};

export function setPageTitle(title: string | null): void {
  page = title ?? APP;
  apply();
}

export function setAttentionCount(n: number): void {
  count = n;
  apply();
}
