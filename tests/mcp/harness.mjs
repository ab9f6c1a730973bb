// What the MCP tests share (run.mjs and the case files): checks and waits, a temp AGENTMUX_HOME
// and git project, a daemon of our own listening on TCP, and clients of the official MCP
// TypeScript SDK over stdio (`agentmux mcp`) and Streamable HTTP. Everything started here is
// ended by pid.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '../..');
export const BIN = resolve(HERE, process.env.AGENTMUX_BIN || '../../build/agentmux');
export const NODE_MODULES = join(REPO, 'tools/agents/node_modules');
const SDK = join(NODE_MODULES, '@modelcontextprotocol/sdk/dist/esm');

const { Client } = await import(join(SDK, 'client/index.js'));
const { StdioClientTransport } = await import(join(SDK, 'client/stdio.js'));
const { StreamableHTTPClientTransport } = await import(join(SDK, 'client/streamableHttp.js'));
export const types = await import(join(SDK, 'types.js'));

export const TOOL_NAMES = [
  'agentmux_run', 'agentmux_list', 'agentmux_view', 'agentmux_logs', 'agentmux_wait', 'agentmux_stop',
  'agentmux_continue', 'agentmux_workspace', 'orchestrator_initialize_session', 'orchestrator_plan_task',
  'orchestrator_execute_subtask', 'orchestrator_complete_subtask', 'orchestrator_get_status',
  'orchestrator_synthesize_results',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

export function eq(got, want, what) {
  if (got !== want) throw new Error(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
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

/** Rejects after `ms` with a message naming `what` (a hang is a failure, not a stuck run). */
export function within(ms, what, promise) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(t));
}

/** Named cases run in order; PASS/FAIL lines; MCP_ONLY=<regexp> runs only matching ones. */
export function makeChecks() {
  const only = process.env.MCP_ONLY ? new RegExp(process.env.MCP_ONLY, 'i') : null;
  const state = { passed: 0, failed: 0, skipped: 0, failures: [], notes: [] };
  const check = async (name, fn) => {
    if (only && !only.test(name)) {
      state.skipped++;
      return;
    }
    const t0 = Date.now();
    try {
      await fn();
      state.passed++;
      console.log(`PASS ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      state.failed++;
      state.failures.push(name);
      console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(e?.stack || e).split('\n').slice(0, 8).join('\n     ')}`);
    }
  };
  const note = (s) => {
    state.notes.push(s);
    console.log(`     ${s}`);
  };
  return { state, check, note };
}

// ------------------------------------------------------------------ processes

export function pidAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** process.kill(pid, 0) semantics, but a zombie (not reaped yet by PID 1) counts as gone. */
export function pidGone(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return !pidAlive(pid);
}

/** Live pids whose environment holds exactly `entry` (NAME=value): what our daemons started. */
export function pidsWithEnv(entry) {
  const want = Buffer.from(entry + '\0');
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`);
      if ((env.indexOf(want) === 0 || env.indexOf(Buffer.concat([Buffer.from('\0'), want])) >= 0) && pidAlive(Number(name)))
        out.push(Number(name));
    } catch {}
  }
  return out;
}

// ------------------------------------------------------------------ the world: home, project, daemon

/** A temp root with the data dir (short: unix socket paths are limited), a user home and a git project. */
export function makeWorld() {
  const root = mkdtempSync('/tmp/amx-mcp-');
  const home = join(root, 'h');
  const userHome = join(root, 'u');
  mkdirSync(home);
  mkdirSync(userHome);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AGENTMUX_|ANTHROPIC_|CLAUDE_|LEANSPEC_|CODEX_|OPENAI_|OPENCODE_|GEMINI_|GOOGLE_|COPILOT_|GH_TOKEN|GITHUB_TOKEN|MCP_)/.test(k)),
  );
  Object.assign(env, {
    AGENTMUX_HOME: home,
    // A daemon started on demand (by the stdio relay) must not take the default port 7171.
    AGENTMUX_LISTEN: '127.0.0.1:0',
    AGENTMUX_SHUTDOWN_SESSIONS: 'stop',
    HOME: userHome,
    LC_ALL: 'C.UTF-8',
    GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com',
  });
  const world = { root, home, userHome, env, daemons: [], clients: [] };
  world.project = makeProject(world, 'proj', 'mcp-test-project');
  return world;
}

export function makeProject(world, dir, name) {
  const p = join(world.root, dir);
  mkdirSync(p);
  writeFileSync(join(p, 'package.json'), JSON.stringify({ name, version: '1.0.0', scripts: { test: 'node -e 0' } }, null, 2) + '\n');
  writeFileSync(join(p, 'README.md'), `# ${name}\n`);
  const git = (...a) => execFileSync('git', a, { cwd: p, env: world.env, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return p;
}

export function daemonInfo(world) {
  return JSON.parse(readFileSync(join(world.home, 'daemon.json'), 'utf8'));
}

/** `agentmux daemon --listen 127.0.0.1:0` on the world's home; resolves once it serves. */
export async function startDaemon(world) {
  const t0 = Date.now();
  const proc = spawn(BIN, ['daemon', '--listen', '127.0.0.1:0'], { env: world.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const info = await until('daemon.json of the new daemon', () => {
    if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}): ${log}`);
    const j = daemonInfo(world);
    return j.pid === proc.pid && j.port > 0 && existsSync(join(world.home, 'token')) ? j : null;
  }, 15000, 25);
  const token = readFileSync(join(world.home, 'token'), 'utf8').trim();
  const base = `http://127.0.0.1:${info.port}`;
  // Serving: the health endpoint answers.
  await until('daemon health', async () => (await fetch(base + '/api/health', { headers: { Authorization: `Bearer ${token}` } })).ok, 10000, 25);
  const d = { proc, pid: proc.pid, port: info.port, token, base, url: base + '/mcp', started: t0, log: () => log };
  world.daemons.push(d);
  world.daemon = d;
  return d;
}

/** The daemon that runs on the world's home now (one the stdio relay started on demand), adopted. */
export async function adoptDaemon(world) {
  const info = daemonInfo(world);
  const token = readFileSync(join(world.home, 'token'), 'utf8').trim();
  const base = `http://127.0.0.1:${info.port}`;
  const d = { proc: null, pid: info.pid, port: info.port, token, base, url: base + '/mcp', log: () => '' };
  world.daemons.push(d);
  world.daemon = d;
  return d;
}

export async function stopDaemon(d, signal = 'SIGTERM') {
  if (!d.proc) {
    // Not our child: by pid, then wait for it to go.
    if (pidGone(d.pid)) return;
    try {
      process.kill(d.pid, signal);
    } catch {}
    const end = Date.now() + 10000;
    while (!pidGone(d.pid) && Date.now() < end) await sleep(50);
    if (!pidGone(d.pid)) process.kill(d.pid, 'SIGKILL');
    return;
  }
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  const exited = new Promise((r) => d.proc.once('exit', () => r(true)));
  d.proc.kill(signal);
  const done = await Promise.race([exited, sleep(10000).then(() => false)]);
  if (!done) {
    d.proc.kill('SIGKILL');
    await exited;
  }
}

export async function cleanup(world) {
  for (const c of world.clients) await c.close().catch(() => {});
  for (const d of world.daemons) await stopDaemon(d).catch(() => {});
  // A daemon the relay started on demand, agents and shims: all carry AGENTMUX_HOME=<home>.
  for (let i = 0; i < 5; i++) {
    const pids = pidsWithEnv(`AGENTMUX_HOME=${world.home}`);
    if (!pids.length) break;
    for (const pid of pids) {
      try {
        process.kill(pid, i === 0 ? 'SIGTERM' : 'SIGKILL');
      } catch {}
    }
    await sleep(300);
  }
  if (process.env.MCP_KEEP !== '1') rmSync(world.root, { recursive: true, force: true });
  else console.log(`kept ${world.root}`);
}

// ------------------------------------------------------------------ clients

/**
 * Records every message the transport hands the client, with its arrival time (client.inbox), and
 * the protocol version of the initialize answer (client.negotiatedVersion).
 */
function tap(client, transport) {
  client.inbox = [];
  let handler;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler && ((m, extra) => {
      client.inbox.push({ at: Date.now(), message: m });
      if (m?.result?.protocolVersion && m?.result?.serverInfo) client.negotiatedVersion = m.result.protocolVersion;
      return handler(m, extra);
    }),
    set: (fn) => (handler = fn),
  });
}

/** An SDK client over stdio: `agentmux mcp` started in `cwd` with the world's environment. */
export async function stdioClient(world, cwd = world.project, name = 'mcp-test-stdio') {
  const transport = new StdioClientTransport({ command: BIN, args: ['mcp'], cwd, env: world.env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name, version: '1.0.0' });
  tap(client, transport);
  await within(20000, 'stdio connect', client.connect(transport));
  client.stderrText = () => stderr;
  client.transportKind = 'stdio';
  world.clients.push(client);
  return client;
}

/** An SDK client over Streamable HTTP to the world's daemon, with its bearer token. */
export async function httpClient(world, name = 'mcp-test-http', d = world.daemon, roots = null) {
  const transport = new StreamableHTTPClientTransport(new URL(d.url), {
    requestInit: { headers: { Authorization: `Bearer ${d.token}` } },
  });
  // With `roots` (paths), the client offers roots/list and answers it with them as file:// URIs.
  const client = new Client({ name, version: '1.0.0' }, roots ? { capabilities: { roots: { listChanged: true } } } : {});
  if (roots) {
    client.rootsAsked = 0;
    client.setRequestHandler(types.ListRootsRequestSchema, async () => {
      client.rootsAsked += 1;
      return { roots: roots.map((p) => ({ uri: 'file://' + p.split('/').map(encodeURIComponent).join('/'), name: p })) };
    });
  }
  tap(client, transport);
  await within(20000, 'http connect', client.connect(transport));
  client.transportKind = 'http';
  world.clients.push(client);
  return client;
}

/** tools/call that must succeed: returns structuredContent (checked against the text copy). */
export async function call(client, name, args = {}, opts = {}) {
  const r = await within(opts.limit ?? 60000, `${name}`, client.callTool({ name, arguments: args }, undefined, opts));
  if (r.isError) throw new Error(`${name} ${JSON.stringify(args)} → tool error: ${r.content?.[0]?.text}`);
  assert(r.structuredContent && typeof r.structuredContent === 'object', `${name}: no structuredContent`);
  assert(r.content?.[0]?.type === 'text', `${name}: no text content`);
  return r.structuredContent;
}

/** tools/call that must be a tool error: returns its text. */
export async function callError(client, name, args = {}) {
  const r = await within(60000, name, client.callTool({ name, arguments: args }));
  assert(r.isError === true, `${name} ${JSON.stringify(args)}: expected isError, got ${JSON.stringify(r).slice(0, 400)}`);
  return r.content?.[0]?.text ?? '';
}

/** A standalone shell session running `sh -c script` in `project` (default: the client's cwd). */
export async function shell(client, script, project, extra = {}) {
  const args = { tool: 'shell', command: ['sh', '-c', script], orchestration: false, ...extra };
  if (project) args.project = project;
  return (await call(client, 'agentmux_run', args)).session;
}
