#!/usr/bin/env node
// How long a finished session of 1,000,000 lines (~70 MB of log) takes to open: ms from navigation
// to its last line shown in the terminal. Usage: node e2e/biglog.mjs
//   env: AGENTMUX_BIN (default ../build/agentmux), BIGLOG_LINES (1000000), BIGLOG_RUNS (3),
//        BIGLOG_OLD_DIST=<dir>: also time another build of the UI (e.g. the one before issue 16),
//        served by the same daemon restarted on the same home; E2E_KEEP=1 keeps the temp dir.
// It starts a daemon like run.mjs does, makes the session through the API (the shell tool, under
// a PTY), waits for it to finish, then loads /#/sessions/<id> in a fresh document each run and
// waits (on animation frames) until the terminal's rows show the last line. The figure is the
// page's own performance.now() then: time since its navigation started. Target: < 1000 ms.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, KEEP, daemonEnv, launchBrowser, preflight, startDaemon, until } from './harness.mjs';

const LINES = Number(process.env.BIGLOG_LINES || 1_000_000);
const RUNS = Number(process.env.BIGLOG_RUNS || 3);
const OLD = process.env.BIGLOG_OLD_DIST || null;

preflight();
const TMP = mkdtempSync('/tmp/amx-biglog-');
const HOME = join(TMP, 'h');
const USERHOME = join(TMP, 'u');
for (const d of [HOME, USERHOME, join(TMP, 'chromium')]) mkdirSync(d, { recursive: true });
let daemon = null;
let context = null;
const cleanup = async () => {
  await context?.close().catch(() => {});
  await daemon?.stop();
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
};
process.on('SIGINT', async () => {
  await cleanup();
  process.exit(130);
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Opens the session page RUNS times (each a new document); returns the ms to its last line. */
async function timeOpen(page, origin, token, id) {
  const lastLine = new RegExp(` ${LINES}\\s*$`);
  await page.goto(`${origin}/?token=${token}#/`);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    await page.goto(`${origin}/#/sessions/${id}`);
    const ms = await page.waitForFunction(
      (src) => {
        const rows = document.querySelector('[data-testid=terminal] .xterm-rows');
        return rows && new RegExp(src).test(rows.innerText) ? performance.now() : null;
      },
      lastLine.source,
      { polling: 'raf', timeout: 180_000 },
    );
    times.push(Math.round(await ms.jsonValue()));
  }
  return times;
}

try {
  const env = daemonEnv(HOME, USERHOME);
  daemon = await startDaemon(HOME, env);
  // ~72 bytes a line, the number last: "… line 1000000".
  const script = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "output of a long build, padded to about the length of a real line %d\\n", i }'`;
  const t0 = Date.now();
  const s = await daemon.api('POST', '/api/sessions', { project_path: TMP, command: ['sh', '-c', script], start: true });
  const done = await until('the session finished', async () => {
    const r = await daemon.api('GET', `/api/sessions/${s.id}`);
    return r.status === 'completed' ? r : null;
  }, 600_000, 500);
  console.log(`session ${s.id}: ${LINES.toLocaleString('en-US')} lines, ${(done.log_bytes / 1048576).toFixed(1)} MiB in ${done.log_seq.toLocaleString('en-US')} chunks (made in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  context = await launchBrowser(join(TMP, 'chromium'));
  const page = context.pages()[0] ?? (await context.newPage());
  const now = await timeOpen(page, daemon.origin, daemon.token, s.id);
  console.log(`this UI (${DIST}): last line shown after ${now.join(', ')} ms; median ${median(now)} ms (target < 1000)`);
  // The reference, in the same page and run: what any full replay must at least do — fetch every
  // byte of the log (GET …/logs?format=raw, page by page), without even drawing it.
  const fetchAll = await page.evaluate(async ({ id }) => {
    const token = sessionStorage.getItem('agentmux.token');
    const t0 = performance.now();
    let after = 0;
    let bytes = 0;
    for (;;) {
      const r = await fetch(`/api/sessions/${id}/logs?format=raw&after_seq=${after}`, { headers: { Authorization: `Bearer ${token}` } });
      const n = (await r.arrayBuffer()).byteLength;
      bytes += n;
      const last = Number(r.headers.get('X-Agentmux-Last-Seq'));
      if (!n || !(last > after)) break;
      after = last;
    }
    return { ms: Math.round(performance.now() - t0), bytes };
  }, { id: s.id });
  console.log(`reference: fetching the whole log took ${fetchAll.ms} ms (${(fetchAll.bytes / 1048576).toFixed(1)} MiB); opening at the end took ${(median(now) / fetchAll.ms).toFixed(2)}× that`);
  console.log(`BIGLOG_RESULT ${JSON.stringify({ open_ms: now, open_median_ms: median(now), fetch_all_ms: fetchAll.ms, log_bytes: done.log_bytes, chunks: done.log_seq })}`);

  if (OLD) {
    await context.close();
    context = null;
    await daemon.stop();
    daemon = await startDaemon(HOME, { ...env, AGENTMUX_WEB_DIR: OLD });
    context = await launchBrowser(join(TMP, 'chromium-old'));
    const p2 = context.pages()[0] ?? (await context.newPage());
    const old = await timeOpen(p2, daemon.origin, daemon.token, s.id);
    console.log(`other UI (${OLD}): last line shown after ${old.join(', ')} ms; median ${median(old)} ms`);
  }
  await cleanup();
  process.exit(median(now) < 1000 ? 0 : 1);
} catch (e) {
  console.error(`biglog failed: ${e.stack || e}`);
  await cleanup();
  process.exit(2);
}
