// Cases 6, 7, 8: the daemon killed and started again under its clients, bad input, and the
// official inspector CLI against `agentmux mcp`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  BIN, NODE_MODULES, TOOL_NAMES, adoptDaemon, assert, call, callError, daemonInfo, eq, httpClient, makeProject, pidGone,
  startDaemon, stdioClient, until, within,
} from './harness.mjs';

const rows = (st) => st.subtasks.map((t) => `${t.task_id}:${t.status}:${t.title}:${t.session_id}`).join(' ');

export async function casePersistence(ctx) {
  const { world, check } = ctx;
  await check('6 persistence: kill -9 the daemon, start it again → same status; old stdio client works', async () => {
    const S = ctx.S1 ?? (ctx.S1 = await stdioClient(world));
    const init = await call(S, 'orchestrator_initialize_session', { tool: 'shell', name: 'mcp-restart' });
    const id = init.session_id;
    await call(S, 'orchestrator_plan_task', {
      tasks: [
        { prompt: 'echo persisted-ok', title: 'ok' },
        { prompt: 'echo persisted-bad; exit 1', title: 'bad' },
        { prompt: 'sleep 5; echo slept-through', title: 'long' },
        { prompt: 'echo later', title: 'later' },
      ],
    });
    await call(S, 'orchestrator_execute_subtask', { task_id: 't1', wait: true });
    await call(S, 'orchestrator_execute_subtask', { task_id: 't2', wait: true });
    await call(S, 'orchestrator_execute_subtask', { task_id: 't3' });
    const before = await call(S, 'orchestrator_get_status', { session_id: id });
    eq(before.subtasks.map((t) => t.status).join(','), 'completed,failed,running,planned', 'statuses before');
    const multiBefore = ctx.multi ? await call(S, 'orchestrator_get_status', { session_id: ctx.multi.id }) : null;

    const old = world.daemon;
    const pid = daemonInfo(world).pid;
    eq(pid, old.pid, 'daemon.json pid');
    process.kill(pid, 'SIGKILL');
    await until('the daemon gone', () => pidGone(pid), 5000, 20);

    const t0 = Date.now();
    const d = await startDaemon(world);
    const C = await httpClient(world, 'mcp-test-after-restart');
    const after = await call(C, 'orchestrator_get_status', { session_id: id });
    const restoreMs = Date.now() - t0;
    ctx.numbers['restore'] = `${restoreMs} ms`;
    console.log(`     restore: ${restoreMs} ms`);
    assert(d.pid !== pid, 'the same daemon?');
    eq(rows(after), rows(before), 'subtasks after the restart (new client)');
    eq(after.version, before.version, 'version');
    eq(after.status, 'running', 'orchestration status');
    if (multiBefore) {
      const m = await call(C, 'orchestrator_get_status', { session_id: ctx.multi.id });
      eq(rows(m), rows(multiBefore), 'the 100-subtask orchestration after the restart');
      eq(m.version, ctx.multi.version, 'its version');
    }

    // The old stdio client: its relay initializes again by itself.
    const t1 = Date.now();
    const again = await call(S, 'orchestrator_get_status', { session_id: id }, { limit: 20000 });
    ctx.note(`old stdio client's first call after the restart: ${Date.now() - t1} ms`);
    eq(rows(again), rows(before), 'subtasks after the restart (old stdio client)');
    // The running subtask was reattached by the new daemon and finishes normally.
    const w = await call(S, 'agentmux_wait', { id: before.subtasks[2].session_id, timeout_ms: 15000 });
    eq(w.session.status, 'completed', 'the long subtask after the restart');
    const logs = await call(S, 'agentmux_logs', { id: before.subtasks[2].session_id });
    assert(logs.text.includes('slept-through'), `its log: ${JSON.stringify(logs.text)}`);
    const fin = await call(C, 'orchestrator_get_status', { session_id: id });
    eq(fin.subtasks.map((t) => t.status).join(','), 'completed,failed,completed,planned', 'statuses at the end');
    ctx.restart = { id, rows: rows(fin) };
  });

  await check('6b persistence: kill -9 again, no daemon running → the old stdio client\'s call starts one', async () => {
    assert(ctx.restart, 'no orchestration (6 failed)');
    const pid = daemonInfo(world).pid;
    process.kill(pid, 'SIGKILL');
    await until('the daemon gone', () => pidGone(pid), 5000, 20);
    const t0 = Date.now();
    const st = await call(ctx.S1, 'orchestrator_get_status', { session_id: ctx.restart.id }, { limit: 30000 });
    ctx.note(`the relay started a daemon and answered in ${Date.now() - t0} ms`);
    eq(rows(st), ctx.restart.rows, 'subtasks');
    const d = await adoptDaemon(world);
    assert(d.pid !== pid && !pidGone(d.pid), `daemon.json names pid ${d.pid}`);
    assert(d.port > 0, 'the daemon the relay started has no TCP port');
  });
}

export async function casesBadInput(ctx) {
  const { world, check } = ctx;
  const S = ctx.S1;
  const H = await httpClient(world, 'mcp-test-bad-input').catch(() => null);

  await check('7a bad input: unknown tool → JSON-RPC error -32602 naming it (stdio and HTTP)', async () => {
    for (const c of [S, H]) {
      let err = null;
      try {
        await c.callTool({ name: 'no_such_tool', arguments: {} });
      } catch (e) {
        err = e;
      }
      assert(err, `${c.transportKind}: callTool of an unknown tool did not throw`);
      eq(err.code, -32602, `${c.transportKind}: error code`);
      assert(err.message.includes('no_such_tool'), `${c.transportKind}: message ${err.message}`);
    }
  });

  await check('7b bad input: agentmux_view {id: 3} → isError "must be a string"', async () => {
    const text = await callError(S, 'agentmux_view', { id: 3 });
    assert(text.includes('must be a string'), `text: ${text}`);
    const missing = await callError(S, 'agentmux_view', {});
    assert(/id/.test(missing), `missing id: ${missing}`);
    const extra = await callError(S, 'agentmux_list', { bogus: true });
    assert(/bogus/.test(extra), `unknown argument: ${extra}`);
  });

  const other = makeProject(world, 'other', 'other-project');
  let otherId;
  await check('7c bad input: orchestration of another project, from a bound stdio client → wrong_project', async () => {
    otherId = (await call(H, 'orchestrator_initialize_session', { working_directory: other, tool: 'shell' })).session_id;
    // S is bound again to an orchestration of the first project (the restart forgot its binding).
    await call(S, 'orchestrator_initialize_session', { tool: 'shell', name: 'mcp-bad-input' });
    const text = await callError(S, 'orchestrator_get_status', { session_id: otherId });
    assert(text.startsWith('wrong_project:'), `text: ${text}`);
    const plan = await callError(S, 'orchestrator_plan_task', { session_id: otherId, tasks: [{ prompt: 'echo x' }] });
    assert(plan.startsWith('wrong_project:'), `plan: ${plan}`);
  });

  await check('7d bad input: orchestration of another project, from a fresh stdio client in the first → wrong_project', async () => {
    assert(otherId, 'no orchestration in the other project (7c failed)');
    const fresh = await stdioClient(world, world.project, 'mcp-test-fresh');
    const r = await fresh.callTool({ name: 'orchestrator_get_status', arguments: { session_id: otherId } });
    assert(r.isError === true && r.content[0].text.startsWith('wrong_project:'),
      `a client started in ${world.project} read ${other}'s orchestration: ${JSON.stringify(r).slice(0, 300)}`);
  });

  await check('7e bad input: working_directory that does not exist → no_such_directory', async () => {
    for (const c of [S, H]) {
      const text = await callError(c, 'orchestrator_initialize_session', { working_directory: join(world.root, 'no/such/dir') });
      assert(text.startsWith('no_such_directory:'), `${c.transportKind}: ${text}`);
    }
    const ws = await callError(S, 'agentmux_workspace', { path: join(world.root, 'nope') });
    assert(ws.length > 0, 'workspace of a missing path');
    const view = await callError(S, 'agentmux_view', { id: 'ffffffff-no-such-session' });
    assert(/not_found|no session/i.test(view), `view of an unknown id: ${view}`);
    let err = null;
    try {
      await S.readResource({ uri: 'agentmux://sessions/ffffffff-nope/log' });
    } catch (e) {
      err = e;
    }
    assert(err && err.code === -32002, `unknown resource: ${err?.code} ${err?.message}`);
  });

  await check('7f after all that: ping and tools/list still answer (stdio and HTTP)', async () => {
    for (const c of [S, H]) {
      await within(5000, 'ping', c.ping());
      eq((await c.listTools()).tools.length, TOOL_NAMES.length, `${c.transportKind} tools`);
    }
  });
}

export async function caseInspector(ctx) {
  const { world, check } = ctx;
  await check('8 inspector-cli: mcp-inspector-cli --cli agentmux mcp --method tools/list → 14 tools', async () => {
    const run = (extra) => new Promise((resolve, reject) => {
      const p = spawn('./.bin/mcp-inspector-cli', ['--cli', BIN, '-e', `AGENTMUX_HOME=${world.home}`, '-e', 'AGENTMUX_LISTEN=127.0.0.1:0',
        '-e', `HOME=${world.userHome}`, 'mcp', ...extra], { cwd: NODE_MODULES, env: { ...process.env, AGENTMUX_HOME: world.home } });
      let out = '', err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      const t = setTimeout(() => p.kill('SIGKILL'), 30000);
      p.on('exit', (code) => {
        clearTimeout(t);
        if (code !== 0) return reject(new Error(`inspector-cli exit ${code}: ${err.slice(0, 500)} ${out.slice(0, 500)}`));
        try {
          resolve(JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)));
        } catch (e) {
          reject(new Error(`inspector-cli printed no JSON: ${out.slice(0, 500)}`));
        }
      });
    });
    const list = await run(['--method', 'tools/list']);
    const names = list.tools.map((t) => t.name);
    for (const n of TOOL_NAMES) assert(names.includes(n), `inspector-cli tools/list lacks ${n}`);
    eq(names.length, 14, 'tools');
    const ws = await run(['--method', 'tools/call', '--tool-name', 'agentmux_workspace', '--tool-arg', `path=${world.project}`]);
    eq(ws.structuredContent?.root, world.project, 'inspector-cli tools/call agentmux_workspace root');
  });
}
