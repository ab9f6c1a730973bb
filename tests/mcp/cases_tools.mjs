// Cases 1 and 2: every tool through the SDK client over stdio (`agentmux mcp`), and the same
// server over Streamable HTTP on the daemon's TCP listener (token, Origin, sessions).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOOL_NAMES, assert, call, callError, eq, httpClient, pidGone, shell, stdioClient, types, until } from './harness.mjs';

function checkToolList(list) {
  const names = list.tools.map((t) => t.name);
  for (const n of TOOL_NAMES) assert(names.includes(n), `tools/list lacks ${n} (has ${names.join(', ')})`);
  eq(names.length, TOOL_NAMES.length, 'number of tools');
  for (const t of list.tools) {
    assert(t.inputSchema?.type === 'object', `${t.name}: inputSchema is not an object schema`);
    assert(t.description && t.description.length > 10, `${t.name}: no description`);
  }
  const run = list.tools.find((t) => t.name === 'agentmux_run');
  assert(run.inputSchema.required?.includes('tool'), 'agentmux_run: tool is not required');
  assert(run.inputSchema.properties?.command?.type === 'array', 'agentmux_run: command is not an array');
}

export async function casesStdio(ctx) {
  const { world, check } = ctx;
  const P = world.project;

  await check('1a stdio: initialize (server agentmux, protocol negotiated)', async () => {
    ctx.S1 = await stdioClient(world);
    const info = ctx.S1.getServerVersion();
    eq(info?.name, 'agentmux', 'serverInfo.name');
    const caps = ctx.S1.getServerCapabilities();
    assert(caps?.tools, 'no tools capability');
    assert(caps?.resources?.subscribe === true, 'resources.subscribe not offered');
    // The SDK sends its latest revision and accepts only versions it supports.
    const v = ctx.S1.negotiatedVersion;
    eq(v, types.LATEST_PROTOCOL_VERSION, 'negotiated protocol version (the SDK asks for its latest)');
    assert(ctx.S1.getInstructions()?.includes('agentmux_run'), 'no instructions');
    await ctx.S1.ping();
  });
  const S = ctx.S1;
  if (!S) return;

  await check('1b stdio: tools/list has the 14 tools with inputSchema', async () => checkToolList(await S.listTools()));

  let hi;
  await check('1c stdio: agentmux_run shell `echo hi` wait → completed, logs "hi"', async () => {
    const r = await call(S, 'agentmux_run', { tool: 'shell', command: ['sh', '-c', 'echo hi'], wait: true });
    hi = r.session;
    eq(r.timed_out, false, 'timed_out');
    eq(hi.status, 'completed', 'status');
    eq(hi.exit_code, 0, 'exit_code');
    eq(hi.project_path, P, 'project_path (the relay passes its cwd)');
    eq(typeof r.answer, 'string', 'answer type');
    const logs = await call(S, 'agentmux_logs', { id: hi.id });
    assert(/(^|\n)hi\n/.test(logs.text), `logs text: ${JSON.stringify(logs.text)}`);
    eq(logs.session_id, hi.id, 'logs.session_id');
    eq(logs.status, 'completed', 'logs.status');
    assert(logs.last_seq >= 1, `last_seq ${logs.last_seq}`);
  });

  await check('1d stdio: agentmux_list / agentmux_view / agentmux_wait (ended session)', async () => {
    const l = await call(S, 'agentmux_list', { tool: 'shell', status: 'completed', project: P });
    const mine = l.sessions.find((s) => s.id === hi.id);
    assert(mine, `agentmux_list lacks ${hi.id}`);
    assert(l.sessions.every((s) => s.status === 'completed' && s.tool === 'shell'), 'filters not applied');
    const v = await call(S, 'agentmux_view', { id: hi.short_id });
    eq(v.session.id, hi.id, 'view by short id');
    eq(v.session.exit_code, 0, 'view exit_code');
    const w = await call(S, 'agentmux_wait', { id: hi.id, timeout_ms: 5000 });
    eq(w.timed_out, false, 'wait on an ended session: timed_out');
    eq(w.session.status, 'completed', 'wait status');
  });

  await check('1e stdio: agentmux_stop on `sleep 60` → cancelled, pid gone', async () => {
    const s = await shell(S, 'sleep 60');
    const pid = s.pid ?? (await until('pid', async () => (await call(S, 'agentmux_view', { id: s.id })).session.pid));
    process.kill(pid, 0); // alive
    const stopped = await call(S, 'agentmux_stop', { id: s.id, grace_ms: 2000 });
    eq(stopped.session.id, s.id, 'stop answers the session');
    // docs/api.md: the status becomes cancelled once the process group is gone.
    const w = await call(S, 'agentmux_wait', { id: s.id, timeout_ms: 10000 });
    eq(w.session.status, 'cancelled', 'status after stop');
    await until(`pid ${pid} gone`, () => pidGone(pid), 3000, 50);
    let threw = false;
    try {
      process.kill(pid, 0);
    } catch {
      threw = true;
    }
    assert(threw || pidGone(pid), `process.kill(${pid}, 0) did not throw`);
  });

  await check('1f stdio: agentmux_continue on a shell session → no_conversation', async () => {
    const text = await callError(S, 'agentmux_continue', { id: hi.id, prompt: 'and now?' });
    assert(text.startsWith('no_conversation:'), `error text: ${text}`);
  });

  await check('1g stdio: agentmux_workspace root = the project', async () => {
    const w = await call(S, 'agentmux_workspace', {});
    eq(w.root, P, 'root');
    eq(w.path, P, 'path (the client cwd)');
    eq(w.vcs?.type, 'git', 'vcs.type');
    assert(w.ecosystems?.includes('node'), `ecosystems ${JSON.stringify(w.ecosystems)}`);
    eq(w.package?.name, 'mcp-test-project', 'package.name');
    eq(w.test_command, 'npm test', 'test_command');
  });

  // The orchestrator flow, in the client's project (its cwd).
  const o = {};
  await check('1h stdio: orchestrator initialize → plan 3 → execute 2 (wait) → complete 1', async () => {
    const init = await call(S, 'orchestrator_initialize_session', { tool: 'shell', name: 'mcp-stdio-flow' });
    o.id = init.session_id;
    eq(init.status, 'running', 'status');
    eq(init.workspace?.root, P, 'workspace.root');
    eq(init.rebound, false, 'rebound');
    assert(init.guidance?.includes('orchestrator_plan_task'), 'guidance');
    o.v0 = init.version;
    const plan = await call(S, 'orchestrator_plan_task', {
      tasks: [
        { prompt: 'echo failing-task-out; exit 3', title: 'fails' },
        { prompt: 'echo made > made.txt; echo made-task-out', title: 'makes', verify: 'test -f made.txt' },
        { prompt: 'echo never-run', title: 'by hand' },
      ],
    });
    eq(plan.task_ids.join(','), 't1,t2,t3', 'task_ids');
    eq(plan.version, o.v0 + 1, 'version after one plan call');
    eq(plan.counts.planned, 3, 'counts.planned');
    const [a, b] = await Promise.all(
      ['t1', 't2'].map((task_id) => call(S, 'orchestrator_execute_subtask', { task_id, wait: true, wait_timeout_ms: 30000 })),
    );
    eq(a.session.status, 'failed', 't1 status');
    eq(a.session.exit_code, 3, 't1 exit_code');
    eq(b.session.status, 'completed', 't2 status');
    assert(existsSync(join(P, 'made.txt')), 'made.txt not made');
    const done = await call(S, 'orchestrator_complete_subtask', { task_id: 't3', summary: 'done by the caller', files: ['notes.txt'] });
    eq(done.status, 'completed', 'complete_subtask status');
    eq(done.task_id, 't3', 'complete_subtask task_id');
    o.a = a;
    o.b = b;
  });

  await check('1i stdio: execute_subtask with wait returns `subtask` (its status row)', async () => {
    assert(o.a && o.b, 'no execute results (1h failed)');
    assert(o.a.subtask && o.a.subtask.task_id === 't1', `t1: no subtask in ${Object.keys(o.a).join(',')}`);
    assert(o.b.subtask && o.b.subtask.task_id === 't2', `t2: no subtask in ${Object.keys(o.b).join(',')}`);
  });

  await check('1j stdio: orchestrator_get_status counts + verify ran', async () => {
    assert(o.id, 'no orchestration (1h failed)');
    // t2's verify runs after its agent: wait for nothing to run.
    const st = await until('no running subtask', async () => {
      const s = await call(S, 'orchestrator_get_status', {});
      return s.counts.running === 0 ? s : null;
    }, 15000, 200);
    eq(st.session_id, o.id, 'session_id (the bound orchestration)');
    eq(st.counts.completed, 2, 'counts.completed');
    eq(st.counts.failed, 1, 'counts.failed');
    eq(st.counts.planned, 0, 'counts.planned');
    eq(st.subtasks.length, 3, 'subtasks');
    const by = Object.fromEntries(st.subtasks.map((t) => [t.task_id, t]));
    eq(by.t1.status, 'failed', 't1');
    assert(/3/.test(by.t1.error ?? ''), `t1 error: ${by.t1.error}`);
    eq(by.t2.status, 'completed', 't2');
    eq(by.t3.status, 'completed', 't3');
    eq(by.t2.title, 'makes', 't2 title');
    const v = await call(S, 'agentmux_view', { id: o.id });
    const verify = v.children.find((c) => c.metadata?.plan_role === 'verify');
    assert(verify, 'no verify child session');
    eq(verify.status, 'completed', 'verify status');
    eq(verify.command?.join(' '), 'sh -c test -f made.txt', 'verify command');
    assert(v.orchestration?.session_id === o.id, 'view has no orchestration status');
  });

  await check('1k stdio: orchestrator_synthesize_results → answers, the failure, completed', async () => {
    assert(o.id, 'no orchestration (1h failed)');
    const r = await call(S, 'orchestrator_synthesize_results', {});
    eq(r.session_id, o.id, 'session_id');
    eq(r.status, 'completed', 'status');
    eq(r.open_work, false, 'open_work');
    const by = Object.fromEntries(r.subtasks.map((t) => [t.task_id, t]));
    assert(by.t1?.answer?.includes('failing-task-out'), `t1 answer: ${JSON.stringify(by.t1?.answer)}`);
    assert(by.t2?.answer?.includes('made-task-out'), `t2 answer: ${JSON.stringify(by.t2?.answer)}`);
    assert(by.t3?.answer?.includes('done by the caller'), `t3 answer: ${JSON.stringify(by.t3?.answer)}`);
    assert(by.t2.files_changed?.some((f) => f.path === 'made.txt'), `t2 files_changed ${JSON.stringify(by.t2.files_changed)}`);
    eq(r.failures.length, 1, 'failures');
    eq(r.failures[0].task_id, 't1', 'failure task');
    assert(/exit|code 3/.test(r.failures[0].error ?? ''), `failure error: ${r.failures[0].error}`);
    const st = await call(S, 'orchestrator_get_status', { session_id: o.id });
    eq(st.status, 'completed', 'orchestration status after synthesize');
  });

  await check('1l stdio: worktree subtasks change their own branches, not the project; synthesize lists each one\'s file', async () => {
    const init = await call(S, 'orchestrator_initialize_session', { tool: 'shell', name: 'mcp-worktrees' });
    await call(S, 'orchestrator_plan_task', { tasks: [
      { prompt: 'echo one > wt-one.txt', worktree: true },
      { prompt: 'echo two > wt-two.txt', worktree: true }] });
    const runs = await Promise.all(['t1', 't2'].map((task_id) =>
      call(S, 'orchestrator_execute_subtask', { task_id, wait: true })));
    for (const r of runs) eq(r.subtask?.status, 'completed', `${r.task_id} status`);
    assert(!existsSync(join(world.project, 'wt-one.txt')) && !existsSync(join(world.project, 'wt-two.txt')),
      'a worktree subtask wrote into the project itself');
    const r = await call(S, 'orchestrator_synthesize_results', { session_id: init.session_id });
    const files = Object.fromEntries(r.subtasks.map((t) => [t.task_id, t.files_changed.map((f) => f.path).join(',')]));
    eq(files.t1, 'wt-one.txt', 't1 files_changed');
    eq(files.t2, 'wt-two.txt', 't2 files_changed');
    const view = await call(S, 'agentmux_view', { id: runs[0].session.id });
    assert(String(view.session.worktree?.branch ?? '').startsWith('agentmux/'), `worktree: ${JSON.stringify(view.session.worktree)}`);
  });
}

export async function casesHttp(ctx) {
  const { world, check } = ctx;
  const d = world.daemon;
  const P = world.project;

  await check('2a http: initialize + tools/list', async () => {
    ctx.H1 = await httpClient(world);
    eq(ctx.H1.getServerVersion()?.name, 'agentmux', 'serverInfo.name');
    eq(ctx.H1.negotiatedVersion, types.LATEST_PROTOCOL_VERSION, 'negotiated protocol version');
    eq(ctx.H1.transport.protocolVersion, types.LATEST_PROTOCOL_VERSION, 'transport protocol version');
    assert(ctx.H1.transport.sessionId, 'no Mcp-Session-Id');
    checkToolList(await ctx.H1.listTools());
  });
  const H = ctx.H1;
  if (!H) return;

  await check('2b http: agentmux_run + wait (project given), logs', async () => {
    const r = await call(H, 'agentmux_run', { tool: 'shell', command: ['sh', '-c', 'echo http-hi'], project: P, wait: true });
    eq(r.session.status, 'completed', 'status');
    eq(r.timed_out, false, 'timed_out');
    eq(r.session.project_path, P, 'project_path');
    const logs = await call(H, 'agentmux_logs', { id: r.session.id, tail: 5 });
    assert(logs.text.includes('http-hi'), `logs: ${JSON.stringify(logs.text)}`);
    // Without a cwd and without project: a tool error that says so.
    const text = await callError(H, 'agentmux_run', { tool: 'shell', command: ['true'] });
    assert(text.startsWith('bad_project_path:'), `no project: ${text}`);
  });

  await check('2c http: orchestrator initialize (working_directory) + plan + run-as-subtask + status', async () => {
    const init = await call(H, 'orchestrator_initialize_session', { working_directory: join(P, '.'), tool: 'shell', name: 'mcp-http' });
    eq(init.workspace.root, P, 'workspace.root');
    const plan = await call(H, 'orchestrator_plan_task', { tasks: [{ prompt: 'echo planned-over-http', title: 'h1' }] });
    eq(plan.task_ids.join(','), 't1', 'task_ids');
    eq(plan.version, init.version + 1, 'version');
    // agentmux_run while bound: a subtask.
    const run = await call(H, 'agentmux_run', { tool: 'shell', prompt: 'echo run-as-subtask', wait: true });
    eq(run.orchestration_id, init.session_id, 'orchestration_id');
    eq(run.task_id, 't2', 'task_id');
    eq(run.session.status, 'completed', 'subtask session status');
    const st = await call(H, 'orchestrator_get_status', {});
    eq(st.session_id, init.session_id, 'status session_id');
    eq(st.project, P, 'project');
    eq(st.subtasks.length, 2, 'subtasks');
    eq(st.counts.planned, 1, 'planned');
    eq(st.counts.completed, 1, 'completed');
    eq(st.version, init.version + 3, 'version (plan, then run = plan + execute)');
    ctx.httpOrchestration = init.session_id;
  });

  const initBody = JSON.stringify({
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: types.LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'fetch', version: '1' } },
  });
  const head = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

  await check('2d http: no token → 401, wrong token → 401, Origin evil.example → 403', async () => {
    let r = await fetch(d.url, { method: 'POST', headers: head, body: initBody });
    eq(r.status, 401, 'no token');
    r = await fetch(d.url, { method: 'POST', headers: { ...head, Authorization: 'Bearer not-the-token' }, body: initBody });
    eq(r.status, 401, 'wrong token');
    r = await fetch(d.url, { method: 'POST', headers: { ...head, Authorization: `Bearer ${d.token}`, Origin: 'http://evil.example' }, body: initBody });
    eq(r.status, 403, 'evil origin');
    r = await fetch(d.url, { method: 'POST', headers: { ...head, Authorization: `Bearer ${d.token}` }, body: initBody });
    eq(r.status, 200, 'with the token');
  });

  await check('2e http: version negotiation (older revision kept, unknown one → the server\'s)', async () => {
    const auth = { ...head, Authorization: `Bearer ${d.token}` };
    const init = (v) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: v, capabilities: {}, clientInfo: { name: 'fetch', version: '1' } } });
    let r = await fetch(d.url, { method: 'POST', headers: auth, body: init('2025-03-26') });
    eq((await r.json()).result?.protocolVersion, '2025-03-26', 'asked 2025-03-26');
    r = await fetch(d.url, { method: 'POST', headers: auth, body: init('1999-01-01') });
    const v = (await r.json()).result?.protocolVersion;
    assert(types.SUPPORTED_PROTOCOL_VERSIONS.includes(v), `asked 1999-01-01, got ${v}`);
    r = await fetch(d.url, { method: 'POST', headers: { ...auth, 'MCP-Protocol-Version': '1999-01-01' }, body: init('2025-06-18') });
    eq(r.status, 400, 'unsupported MCP-Protocol-Version header');
  });

  await check('2f http: DELETE ends the MCP session (then 404)', async () => {
    const auth = { ...head, Authorization: `Bearer ${d.token}` };
    let r = await fetch(d.url, { method: 'POST', headers: auth, body: initBody });
    const sid = r.headers.get('mcp-session-id');
    assert(sid, 'no Mcp-Session-Id');
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
    r = await fetch(d.url, { method: 'POST', headers: { ...auth, 'Mcp-Session-Id': sid }, body: ping });
    eq(r.status, 200, 'ping');
    r = await fetch(d.url, { method: 'DELETE', headers: { ...auth, 'Mcp-Session-Id': sid } });
    eq(r.status, 200, 'DELETE');
    r = await fetch(d.url, { method: 'POST', headers: { ...auth, 'Mcp-Session-Id': sid }, body: ping });
    eq(r.status, 404, 'ping after DELETE');
  });

  await check('2g http: a client offering roots works in its first root (no working_directory needed)', async () => {
    const R = await httpClient(ctx.world, 'mcp-test-roots', d, [P]);
    // The server asks roots/list on the client's standing stream, which the SDK opens after connect.
    await until('roots/list asked', () => R.rootsAsked > 0, 10000);
    const ws = await until('the workspace of the root', async () => {
      const r = await R.callTool({ name: 'agentmux_workspace', arguments: {} });
      return r.isError ? null : r.structuredContent;
    }, 10000);
    eq(ws.root, P, 'workspace root from roots/list');
    const init = await call(R, 'orchestrator_initialize_session', { tool: 'shell', name: 'mcp-roots' });
    eq(init.project, P, 'orchestration project from roots/list');
    const run = await call(R, 'agentmux_run', { tool: 'shell', command: ['pwd'], orchestration: false, wait: true });
    eq(run.session.project_path, P, 'agentmux_run project from roots/list');
    await R.close();
  });
}
