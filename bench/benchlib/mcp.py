"""Measure 9 — MCP (issue 17).
  * restore: an orchestration with N subtasks in a database that also holds M ended sessions (the
    history generator of measure 4); the
    daemon is killed (-9) and started again; time from the spawn to the answer of a new MCP
    client's `orchestrator_get_status` (initialize + tools/call over POST /mcp), against the same
    daemon's first `GET /api/health` answer (when it can serve anything at all), same run,
    alternating. Seed 003 asks < 5 s; the target is < 200 ms.
  * workspace detection: `agentmux workspace --json` in a 20,000-file repository (and deep in it)
    against `git rev-parse --show-toplevel` (one process that only finds the root), same run.
"""
import json
import os
import random
import signal
import statistics
import subprocess
import time

from . import common as C
from .checkpoints import make_tree
from .history import build_sessions_store


def mcp(api, session, message):
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if session:
        headers["Mcp-Session-Id"] = session
    conn = C.UnixHTTPConnection(api.sock_path)
    conn.request("POST", "/mcp", body=json.dumps(message).encode(), headers=headers)
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    if (r.getheader("Content-Type") or "").startswith("text/event-stream"):  # a waiting call: the last event
        body = [line[6:] for line in body.splitlines() if line.startswith("data: ")][-1]
    return r.status, r.getheader("Mcp-Session-Id"), json.loads(body) if body else None


def get_status(api, orch_id):
    _, session, _ = mcp(api, None, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
    mcp(api, session, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    status, _, answer = mcp(api, session, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "orchestrator_get_status", "arguments": {"session_id": orch_id}}})
    return answer["result"]["structuredContent"]


def restart_until(d, what, orch_id):
    """kill -9, start, poll `what` (health | status) until it answers; seconds from the spawn."""
    os.kill(d.pid, signal.SIGKILL)
    d.proc.wait()
    d._log.close()
    t0 = time.perf_counter()
    d._log = open(os.path.join(d.home, "daemon.log"), "ab")
    d.proc = subprocess.Popen([d.binary, "daemon"], env=d.env, stdin=subprocess.DEVNULL, stdout=d._log,
                              stderr=d._log, start_new_session=True)
    d.api = C.Api(d.sock)
    while True:
        try:
            if what == "health":
                if d.api.raw("GET", "/api/health")[0] == 200:
                    return time.perf_counter() - t0, None
            else:
                return time.perf_counter() - t0, get_status(d.api, orch_id)
        except (OSError, KeyError, TypeError, ValueError):
            d.api.close()
        if time.perf_counter() - t0 > 60:
            raise RuntimeError("daemon did not answer: " + d.logtail())
        time.sleep(0.0005)


def run(cfg):
    out = {}
    subtasks = cfg.get("mcp_subtasks", 100)
    others = cfg.get("mcp_other_sessions", 10_000)
    reps = cfg.get("mcp_reps", 5)
    project = C.tmpdir("mcp-proj")
    subprocess.run(["git", "init", "-q", project], check=True)
    home = C.tmpdir("mcp-home")
    C.log("mcp: a store of %d ended sessions (the history generator), an orchestration of %d subtasks" % (
        others, subtasks))
    build_sessions_store(cfg["binary"], os.path.join(home, "agentmux.db"), others, random.Random(9), running=0)
    d = C.Daemon(cfg["binary"], home=home)
    d.start()
    try:
        _, session, init = mcp(d.api, None, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
        _, _, made = mcp(d.api, session, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "orchestrator_initialize_session", "arguments": {"working_directory": project, "tool": "shell"}}})
        orch = made["result"]["structuredContent"]["session_id"]
        tasks = [{"prompt": "echo subtask %d" % i} for i in range(subtasks)]
        mcp(d.api, session, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "orchestrator_plan_task", "arguments": {"session_id": orch, "tasks": tasks}}})
        for i in range(0, subtasks, 2):  # half of them ran
            mcp(d.api, session, {"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call", "params": {
                "name": "orchestrator_execute_subtask", "arguments": {"session_id": orch, "task_id": "t%d" % (i + 1),
                                                                      "wait": True}}})
        before = get_status(d.api, orch)
        health, restore, same = [], [], True
        for _ in range(reps):
            health.append(restart_until(d, "health", orch)[0])
            s, after = restart_until(d, "status", orch)
            restore.append(s)
            same = same and [(t["task_id"], t["status"]) for t in after["subtasks"]] == \
                [(t["task_id"], t["status"]) for t in before["subtasks"]]
        out.update(subtasks=subtasks, other_sessions=others, reps=reps, restore_s=C.summary(restore),
                   health_s=C.summary(health), same_state=same,
                   restore_minus_health_ms=(statistics.median(restore) - statistics.median(health)) * 1000)
    finally:
        d.stop()

    files = cfg.get("checkpoint_files", 20_000)
    root = C.tmpdir("mcp-ws")
    C.log("mcp: a %d-file repository for workspace detection" % files)
    make_tree(root, files, 100)
    with open(os.path.join(root, "package.json"), "w") as f:
        json.dump({"name": "big", "workspaces": ["d*"], "scripts": {"test": "true"}}, f)
    deep = os.path.join(root, "d042")
    ws, git = [], []
    for _ in range(max(reps, 5)):
        for path in (root, deep):
            t0 = time.perf_counter()
            subprocess.run([cfg["binary"], "workspace", "--json", path], check=True, capture_output=True)
            ws.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(["git", "-C", path, "rev-parse", "--show-toplevel"], check=True, capture_output=True)
            git.append(time.perf_counter() - t0)
    out.update(workspace_files=files, workspace_s=C.summary(ws), git_toplevel_s=C.summary(git),
               workspace_ratio_vs_git=statistics.median(ws) / statistics.median(git))
    return out
