// Cases 3, 4, 5: what arrives while something runs — resource updates on the standing stream,
// progress on a waiting call, cancellation — and many clients changing one orchestration at once.
import { assert, call, eq, httpClient, shell, sleep, stdioClient, types, until, within } from './harness.mjs';

/**
 * A shell session printing tick-1..tick-15 every 200 ms (~3 s), read while it runs, subscribed
 * to; the updates must come while it runs (≥ 2 before it ends) and the last read has tick-15.
 */
async function resourceCase(ctx, client, label) {
  const project = ctx.world.project;
  const s = await shell(client, 'for i in $(seq 1 15); do echo tick-$i; sleep 0.2; done', project);
  const uri = `agentmux://sessions/${s.id}/log`;
  const updates = [];
  client.setNotificationHandler(types.ResourceUpdatedNotificationSchema, (n) => {
    if (n.params.uri === uri) updates.push(Date.now());
  });
  const tpl = await client.listResourceTemplates();
  const templates = tpl.resourceTemplates.map((t) => t.uriTemplate).sort();
  eq(templates.join(' '), 'agentmux://sessions/{id} agentmux://sessions/{id}/log', 'resource templates');
  // Read while it runs.
  const first = await until('tick-1 in the log', async () => {
    const r = await client.readResource({ uri });
    return r.contents[0].text.includes('tick-1\n') ? r : null;
  }, 5000, 50);
  eq(first.contents[0].mimeType, 'text/plain', 'log mimeType');
  assert(!first.contents[0].text.includes('tick-15'), 'the first read came after the end');
  const rec = JSON.parse((await client.readResource({ uri: `agentmux://sessions/${s.id}` })).contents[0].text);
  eq(rec.status, 'running', 'session resource status while it runs');
  await client.subscribeResource({ uri });
  const subscribedAt = Date.now();
  const w = await call(client, 'agentmux_wait', { id: s.id, timeout_ms: 15000 });
  const endedAt = Date.now();
  eq(w.session.status, 'completed', 'status');
  await sleep(600); // the last update (≤ 250 ms after the end)
  const before = updates.filter((t) => t <= endedAt).length;
  ctx.note(`${label}: resources/updated: ${updates.length} in all, ${before} before the session ended (${endedAt - subscribedAt} ms after subscribe)`);
  ctx.numbers[`${label} resource updates`] = `${updates.length} (${before} before the end)`;
  const last = await client.readResource({ uri });
  assert(last.contents[0].text.includes('tick-15\n'), `final read lacks tick-15: ${JSON.stringify(last.contents[0].text.slice(-80))}`);
  await client.unsubscribeResource({ uri });
  assert(before >= 2, `only ${before} notifications/resources/updated arrived before the session ended (${updates.length} in all)`);
  for (let i = 1; i < updates.length; i++)
    assert(updates[i] - updates[i - 1] >= 150, `updates ${updates[i] - updates[i - 1]} ms apart (at most one per 250 ms)`);
}

/** agentmux_wait on `sleep 3` with onprogress: ≥ 2 increasing notifications that come live. */
async function progressCase(ctx, client, label) {
  const s = await shell(client, 'sleep 3', ctx.world.project);
  const seen = [];
  const t0 = Date.now();
  const r = await within(15000, 'agentmux_wait', client.callTool({ name: 'agentmux_wait', arguments: { id: s.id } }, undefined, {
    onprogress: (p) => seen.push({ at: Date.now() - t0, ...p }),
  }));
  const doneAt = Date.now() - t0;
  assert(!r.isError, `wait failed: ${r.content?.[0]?.text}`);
  eq(r.structuredContent.timed_out, false, 'timed_out');
  eq(r.structuredContent.session.status, 'completed', 'status');
  ctx.note(`${label}: ${seen.length} progress notifications at ${seen.map((p) => `${p.at} ms (${p.progress.toFixed(2)})`).join(', ') || '-'}; result at ${doneAt} ms`);
  ctx.numbers[`${label} progress notifications`] = seen.length;
  // What arrived on the wire, in case the SDK dropped something (it drops progress it sees after the result).
  const wire = client.inbox.filter((m) => m.at >= t0 && m.message.method === 'notifications/progress');
  if (wire.length !== seen.length) ctx.note(`${label}: ${wire.length} progress notifications on the wire at ${wire.map((m) => m.at - t0).join(', ')} ms`);
  assert(seen.length >= 2, `${seen.length} progress notifications reached onprogress (${wire.length} on the wire)`);
  for (let i = 1; i < seen.length; i++) assert(seen[i].progress > seen[i - 1].progress, 'progress does not increase');
  assert(seen[0].at < doneAt - 1000, `the first progress came ${doneAt - seen[0].at} ms before the result: not live`);
}

/** timeout_ms 500 on a long session; an aborted wait; the client still works after. */
async function timeoutAndCancel(ctx, client, label) {
  const s = await shell(client, 'sleep 30', ctx.world.project);
  try {
    const t0 = Date.now();
    const r = await call(client, 'agentmux_wait', { id: s.id, timeout_ms: 500 });
    const took = Date.now() - t0;
    ctx.note(`${label}: wait timeout_ms 500 answered after ${took} ms`);
    eq(r.timed_out, true, 'timed_out');
    eq(r.session.status, 'running', 'status');
    assert(took >= 450 && took < 3000, `answered after ${took} ms`);
    const ac = new AbortController();
    const t1 = Date.now();
    setTimeout(() => ac.abort(new Error('aborted by the test')), 1000);
    let rejected = null;
    try {
      await within(10000, 'aborted wait', client.callTool({ name: 'agentmux_wait', arguments: { id: s.id } }, undefined, { signal: ac.signal }));
    } catch (e) {
      rejected = e;
    }
    assert(rejected, 'the aborted call did not reject');
    assert(!/no answer within/.test(rejected.message), 'the aborted call hung');
    const after = Date.now() - t1;
    assert(after >= 900 && after < 3000, `rejected after ${after} ms`);
    const v = await call(client, 'agentmux_view', { id: s.id });
    eq(v.session.status, 'running', 'the session itself runs on');
    await client.ping();
    const l = await call(client, 'agentmux_list', { status: 'running' });
    assert(l.sessions.some((x) => x.id === s.id), 'list after the abort');
  } finally {
    await call(client, 'agentmux_stop', { id: s.id, grace_ms: 500 }).catch(() => {});
  }
}

export async function casesLive(ctx) {
  const { check } = ctx;
  await check('3a resources over stdio: read while running, subscribe → updates ≥ 2, final read', async () => {
    ctx.S3 = await stdioClient(ctx.world, ctx.world.project, 'mcp-test-resources');
    await resourceCase(ctx, ctx.S3, 'stdio');
  });
  await check('3b resources over HTTP: read while running, subscribe → updates ≥ 2, final read', async () => {
    ctx.H3 = await httpClient(ctx.world, 'mcp-test-resources');
    await resourceCase(ctx, ctx.H3, 'http');
  });
  await check('4a progress over stdio: agentmux_wait `sleep 3` → ≥ 2 live increasing notifications', async () => {
    await progressCase(ctx, ctx.S3 ?? ctx.S1, 'stdio');
  });
  await check('4b progress over HTTP: agentmux_wait `sleep 3` → ≥ 2 live increasing notifications', async () => {
    await progressCase(ctx, ctx.H3 ?? ctx.H1, 'http');
  });
  await check('4c stdio: wait timeout_ms 500 → timed_out; abort after 1 s → rejects; client still works', async () => {
    await timeoutAndCancel(ctx, ctx.S3 ?? ctx.S1, 'stdio');
  });
  await check('4d http: wait timeout_ms 500 → timed_out; abort after 1 s → rejects; client still works', async () => {
    await timeoutAndCancel(ctx, ctx.H3 ?? ctx.H1, 'http');
  });

  await check('4e http (plain fetch): notifications/cancelled ends a waiting call\'s stream without an answer', async () => {
    const d = ctx.world.daemon;
    const head = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${d.token}` };
    const post = (body, sid) => fetch(d.url, { method: 'POST', headers: sid ? { ...head, 'Mcp-Session-Id': sid } : head, body: JSON.stringify(body) });
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: types.LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'fetch', version: '1' } } });
    const sid = init.headers.get('mcp-session-id');
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
    const run = await (await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'agentmux_run', arguments: { tool: 'shell', command: ['sleep', '30'], project: ctx.world.project } } }, sid)).json();
    const sessionId = run.result.structuredContent.session.id;
    try {
      const waiting = await post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'agentmux_wait', arguments: { id: sessionId }, _meta: { progressToken: 'p3' } } }, sid);
      eq(waiting.status, 200, 'wait POST');
      assert(waiting.headers.get('content-type')?.includes('text/event-stream'), `wait answered ${waiting.headers.get('content-type')}`);
      const body = waiting.text(); // resolves when the stream ends
      await sleep(1300); // one progress notification
      const t0 = Date.now();
      const c = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'test' } }, sid);
      eq(c.status, 202, 'cancel POST');
      const text = await within(3000, 'the cancelled call\'s stream to end', body);
      ctx.note(`http: the cancelled wait's stream ended ${Date.now() - t0} ms after notifications/cancelled`);
      assert(text.includes('notifications/progress'), `no progress before the cancel: ${text.slice(0, 200)}`);
      assert(!text.includes('"id":3'), `a cancelled request was answered: ${text.slice(0, 300)}`);
      const ping = await (await post({ jsonrpc: '2.0', id: 4, method: 'ping' }, sid)).json();
      assert(ping.result, 'ping after the cancel');
    } finally {
      await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'agentmux_stop', arguments: { id: sessionId, grace_ms: 500 } } }, sid);
      await fetch(d.url, { method: 'DELETE', headers: { ...head, 'Mcp-Session-Id': sid } });
    }
  });

  await check('5 multi-client: stdio + HTTP on one orchestration, 2 × 50 concurrent plans → 100 subtasks', async () => {
    const P = ctx.world.project;
    const A = await stdioClient(ctx.world, P, 'mcp-test-multi-a');
    const B = await httpClient(ctx.world, 'mcp-test-multi-b');
    const init = await call(A, 'orchestrator_initialize_session', { tool: 'shell', name: 'mcp-multi' });
    const bound = await call(B, 'orchestrator_initialize_session', { session_id: init.session_id, working_directory: P });
    eq(bound.session_id, init.session_id, 'B bound to A\'s orchestration');
    eq(bound.rebound, true, 'rebound');
    const v0 = bound.version;
    const prompt = (who, i) => `echo ${who}-${i}`;
    const t0 = Date.now();
    const answers = await within(60000, '100 plan calls', Promise.all([
      ...[...Array(50)].map((_, i) => call(A, 'orchestrator_plan_task', { tasks: [{ prompt: prompt('a', i), title: `a-${i}` }] })),
      ...[...Array(50)].map((_, i) => call(B, 'orchestrator_plan_task', { tasks: [{ prompt: prompt('b', i), title: `b-${i}` }] })),
    ]));
    ctx.numbers['100 concurrent plan calls'] = `${Date.now() - t0} ms`;
    ctx.note(`100 concurrent orchestrator_plan_task calls: ${Date.now() - t0} ms`);
    eq(new Set(answers.map((a) => a.version)).size, 100, 'distinct versions answered');
    eq(new Set(answers.map((a) => a.task_ids[0])).size, 100, 'distinct task ids answered');
    for (const [who, c] of [['stdio', A], ['http', B]]) {
      const st = await call(c, 'orchestrator_get_status', {});
      eq(st.session_id, init.session_id, `${who} status session_id`);
      eq(st.subtasks.length, 100, `${who}: subtasks`);
      eq(st.counts.planned, 100, `${who}: counts.planned`);
      eq(st.version, v0 + 100, `${who}: version`);
      const titles = st.subtasks.map((t) => t.title);
      eq(new Set(titles).size, 100, `${who}: distinct titles`);
      for (const w of ['a', 'b']) for (let i = 0; i < 50; i++) assert(titles.includes(`${w}-${i}`), `${who}: no ${w}-${i}`);
    }
    const v = await call(A, 'agentmux_view', { id: init.session_id });
    const prompts = v.children.map((c) => c.prompt);
    eq(prompts.length, 100, 'children');
    for (const w of ['a', 'b'])
      for (let i = 0; i < 50; i++) eq(prompts.filter((p) => p === prompt(w, i)).length, 1, `children with prompt ${prompt(w, i)}`);
    ctx.multi = { id: init.session_id, version: v0 + 100 };
  });
}
