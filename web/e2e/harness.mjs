// What the end-to-end scripts share (run.mjs, biglog.mjs): checks and waits, a real daemon on a
// temp home serving web/dist, its API, and Debian's Chromium driven by playwright-core. Everything
// started here is ended by pid.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(WEB, '..');
export const BIN = resolve(WEB, process.env.AGENTMUX_BIN || '../build/agentmux');
export const DIST = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(WEB, 'dist');
export const OUT = join(WEB, 'test-results');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const KEEP = process.env.E2E_KEEP === '1';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export async function until(what, fn, timeout = 15000, every = 100) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await sleep(every);
  }
}

/**
 * Named checks that run in order and count passes and failures. E2E_ONLY=<regexp> runs only the
 * checks whose names match (for working on a few; the full run is the test).
 */
export function makeChecks() {
  const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY, 'i') : null;
  const state = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const fail = (name, err) => {
    state.failed++;
    state.failures.push(name);
    console.log(`  FAIL ${name}\n       ${String(err?.stack || err).split('\n').slice(0, 6).join('\n       ')}`);
  };
  const check = async (name, fn) => {
    if (only && !only.test(name)) {
      state.skipped++;
      return;
    }
    try {
      await fn();
      state.passed++;
      console.log(`  ok   ${name}`);
    } catch (e) {
      fail(name, e);
    }
  };
  /** A check that cannot run here, said so (not counted as passed). */
  const skip = (name, why) => {
    state.skipped++;
    console.log(`  skip ${name}: ${why}`);
  };
  return { state, check, fail, skip };
}

/** Exits with 2 when the binary, Chromium or the built UI is missing (builds the UI if it can). */
export function preflight() {
  if (!existsSync(BIN)) {
    console.error(`no agentmux binary at ${BIN} (build it, or set AGENTMUX_BIN)`);
    process.exit(2);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    process.exit(2);
  }
  if (!existsSync(join(DIST, 'index.html'))) {
    console.log('web/dist is missing: building it (npm run build)');
    const r = spawnSync('npm', ['run', 'build'], { cwd: WEB, stdio: 'inherit' });
    if (r.status !== 0) process.exit(2);
  }
  mkdirSync(OUT, { recursive: true });
}

/** The environment of a test daemon: nothing of the caller's agentmux or agent settings. */
export function daemonEnv(home, userHome, extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AGENTMUX_|ANTHROPIC_|CLAUDE_|LEANSPEC_|CODEX_|OPENAI_|OPENCODE_|GEMINI_|GOOGLE_|COPILOT_|GH_TOKEN|GITHUB_TOKEN|E2E_)/.test(k)),
  );
  return Object.assign(env, {
    AGENTMUX_HOME: home,
    AGENTMUX_WEB_DIR: DIST,
    // The test's daemon takes its sessions with it when it stops (by default agents outlive it).
    AGENTMUX_SHUTDOWN_SESSIONS: 'stop',
    HOME: userHome,
    LC_ALL: 'C.UTF-8',
    ...extra,
  });
}

/** `agentmux daemon --listen 127.0.0.1:0` on `home`; resolves once it serves, with its API. */
export async function startDaemon(home, env) {
  const proc = spawn(BIN, ['daemon', '--home', home, '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const info = await until('daemon.json', () => {
    if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}): ${log}`);
    const j = JSON.parse(readFileSync(join(home, 'daemon.json'), 'utf8'));
    return j.port > 0 && existsSync(join(home, 'token')) ? j : null;
  }, 15000);
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const origin = `http://127.0.0.1:${info.port}`;
  const api = async (method, path, body) => {
    const r = await fetch(origin + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const stop = async () => {
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    const done = await Promise.race([new Promise((r) => proc.once('exit', () => r(true))), sleep(10000).then(() => false)]);
    if (!done) proc.kill('SIGKILL');
  };
  return { proc, info, token, origin, api, stop, log: () => log, saveLog: (name = 'daemon.log') => writeFileSync(join(OUT, name), log) };
}

/** Chromium with a profile of its own, 1280×800, dark. */
export function launchBrowser(profile) {
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: process.env.E2E_HEADFUL !== '1',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    colorScheme: 'dark',
  });
}
