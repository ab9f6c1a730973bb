#!/usr/bin/env node
// The MCP server (issue 17) driven by the official MCP TypeScript SDK client (pinned in
// tools/agents/node_modules), over stdio (`agentmux mcp`) and Streamable HTTP (the daemon's TCP
// listener), and by the inspector CLI. One temp AGENTMUX_HOME, one temp git project, one daemon
// of our own (`agentmux daemon --listen 127.0.0.1:0`), killed and started again in case 6.
//
// Run:  AGENTMUX_BIN=build/agentmux node tests/mcp/run.mjs
// Env:  AGENTMUX_BIN  the binary under test (default ../../build/agentmux from here)
//       MCP_ONLY      a regexp: run only the checks whose names match (later ones may lean on
//                     earlier ones: 1a makes the stdio client, 2a the HTTP one)
//       MCP_KEEP=1    keep the temp dir
// Exit: 0 all passed, 1 a check failed, 2 the binary or the SDK is missing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { casesHttp, casesStdio } from './cases_tools.mjs';
import { casesLive } from './cases_live.mjs';
import { caseInspector, casePersistence, casesBadInput } from './cases_robust.mjs';
import { BIN, NODE_MODULES, cleanup, makeChecks, makeWorld, startDaemon } from './harness.mjs';

if (!existsSync(BIN)) {
  console.error(`no agentmux binary at ${BIN} (build it, or set AGENTMUX_BIN)`);
  process.exit(2);
}
if (!existsSync(join(NODE_MODULES, '@modelcontextprotocol/sdk/package.json'))) {
  console.error(`no MCP SDK in ${NODE_MODULES}: npm ci there`);
  process.exit(2);
}

const started = Date.now();
const { state, check, note } = makeChecks();
const world = makeWorld();
const ctx = { world, check, note, numbers: {} };
let crashed = null;
// A hang anywhere is a failure with a message, not a stuck ctest.
const watchdog = setTimeout(() => {
  console.log(`FAIL the whole run took over 300 s: giving up`);
  cleanup(world).finally(() => process.exit(1));
}, 300000);

process.on('unhandledRejection', (e) => console.log(`     (unhandled rejection: ${String(e?.message || e).slice(0, 200)})`));

try {
  console.log(`agentmux MCP tests: ${BIN}\n  home ${world.home}\n  project ${world.project}`);
  await startDaemon(world);
  console.log(`  daemon pid ${world.daemon.pid} on ${world.daemon.base}`);
  await casesStdio(ctx);
  await casesHttp(ctx);
  await casesLive(ctx);
  await casePersistence(ctx);
  await casesBadInput(ctx);
  await caseInspector(ctx);
} catch (e) {
  crashed = e;
  console.log(`FAIL the run itself: ${e?.stack || e}`);
} finally {
  await cleanup(world);
  clearTimeout(watchdog);
}

console.log(`\nnumbers: ${Object.entries(ctx.numbers).map(([k, v]) => `${k}: ${v}`).join('; ') || '-'}`);
console.log(`${state.passed} passed, ${state.failed} failed${state.skipped ? `, ${state.skipped} skipped` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (state.failed) console.log(`failed: ${state.failures.join(' | ')}`);
process.exit(state.failed || crashed ? 1 : 0);
