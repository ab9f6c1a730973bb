// The token arrives once, in the URL `agentmux ui-url` prints (/?token=…). It is moved to
// sessionStorage at once and removed from the address bar, so it is not left in history,
// bookmarks or screenshots; later requests carry it as a header (WebSocket: a subprotocol).

const KEY = 'agentmux.token';

export function takeTokenFromUrl(loc: Location = window.location, storage: Storage = window.sessionStorage): string | null {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    storage.setItem(KEY, fromUrl);
    url.searchParams.delete('token');
    const clean = url.pathname + (url.searchParams.size ? `?${url.searchParams}` : '') + url.hash;
    window.history.replaceState(window.history.state, '', clean);
    return fromUrl;
  }
  return storage.getItem(KEY);
}

export function forgetToken(storage: Storage = window.sessionStorage): void {
  storage.removeItem(KEY);
}
