"""Measure 6 — plans (issue 14). What agentmux adds between the tasks of a plan, against the same
commands run one after the other by a shell script, measured the same way on both sides: each task
is `sh -c` that appends a nanosecond timestamp when it starts and when it ends, so the gap between
one task's end and the next task's start is the time the runner took to start the next one.
  * per-task overhead: median and p90 of those gaps, agentmux plan (shell tasks) vs bash script;
  * plan state written per task: how many times the plan's row is written (each write is announced
    as a `status` message on the plan's WebSocket stream, which the bench counts), the size of its
    state JSON, and the plan's events — divided by the number of tasks.
"""
import asyncio
import json
import os
import sqlite3
import subprocess
import threading
import time

import websockets

from . import common as C


def task_command(ts_file, i):
    return ("echo S %d $(date +%%s%%N) >> %s; echo task %d; echo E %d $(date +%%s%%N) >> %s"
            % (i, ts_file, i, i, ts_file))


def gaps_ms(ts_file, n):
    start, end = {}, {}
    with open(ts_file) as f:
        for line in f:
            kind, i, ns = line.split()
            (start if kind == "S" else end)[int(i)] = int(ns)
    return [(start[i + 1] - end[i]) / 1e6 for i in range(n - 1) if i in end and i + 1 in start]


class StatusCounter(threading.Thread):
    """Counts `status` messages of one session on the daemon's WebSocket until it ends."""

    def __init__(self, sock, sid):
        super().__init__(daemon=True)
        self.sock, self.sid = sock, sid
        self.statuses = 0
        self.ready = threading.Event()
        self.done = threading.Event()

    def run(self):
        asyncio.run(self._run())

    async def _run(self):
        async with websockets.unix_connect(self.sock, "ws://localhost/api/stream", max_size=1 << 24) as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": self.sid, "since_seq": 0}))
            self.ready.set()
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("type") == "status" and msg.get("session_id") == self.sid:
                    self.statuses += 1
                    if msg.get("status") in ("completed", "failed", "cancelled", "interrupted"):
                        self.done.set()
                        return


def run_plan(d, project, n):
    ts = os.path.join(project, "ts-plan")
    if os.path.exists(ts):
        os.unlink(ts)
    body = {"name": "bench", "tool": "shell", "project_path": project, "start": False,
            "tasks": [{"command": task_command(ts, i)} for i in range(n)]}
    plan = d.api.call("POST", "/api/plans", body)
    counter = StatusCounter(d.sock, plan["id"])
    counter.start()
    counter.ready.wait(10)
    time.sleep(0.2)  # the subscription is in place before the first write
    t0 = time.perf_counter()
    d.api.call("POST", "/api/sessions/%s/start" % plan["id"], {})
    counter.done.wait(600)
    wall = time.perf_counter() - t0
    final = d.session(plan["id"])
    con = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
    try:
        state_bytes = con.execute("SELECT length(state) FROM sessions WHERE id=?", (plan["id"],)).fetchone()[0]
        events = con.execute("SELECT COUNT(*) FROM session_events WHERE session_id=?", (plan["id"],)).fetchone()[0]
    finally:
        con.close()
    return {"status": final["status"], "wall_s": wall, "gaps_ms": gaps_ms(ts, n),
            "plan_writes": counter.statuses, "state_bytes": state_bytes, "plan_events": events}


def run_script(project, n):
    ts = os.path.join(project, "ts-script")
    if os.path.exists(ts):
        os.unlink(ts)
    script = os.path.join(project, "plan.sh")
    with open(script, "w") as f:
        f.write("#!/bin/bash\n" + "".join("sh -c %s\n" % json.dumps(task_command(ts, i)).replace("$", "\\$")
                                          for i in range(n)))
    t0 = time.perf_counter()
    subprocess.run(["bash", script], cwd=project, stdout=subprocess.DEVNULL, check=True)
    return {"wall_s": time.perf_counter() - t0, "gaps_ms": gaps_ms(ts, n)}


def run(cfg):
    n = cfg.get("plans_tasks", 50)
    reps = cfg.get("plans_reps", 3)
    project = C.tmpdir("plan-proj")
    subprocess.run(["git", "init", "-q", project], check=True)
    d = C.Daemon(cfg["binary"])
    d.start()
    runs = {"agentmux": [], "script": []}
    try:
        for rep in range(reps):
            C.log("plans rep %d: %d shell tasks" % (rep + 1, n))
            runs["script"].append(run_script(project, n))
            runs["agentmux"].append(run_plan(d, project, n))
    finally:
        d.stop()
    out = {"tasks": n, "reps": reps, "systems": {}}
    for s, rs in runs.items():
        gaps = [g for r in rs for g in r["gaps_ms"]]
        out["systems"][s] = {"gap_ms_p50": C.pct(gaps, 50), "gap_ms_p90": C.pct(gaps, 90), "gap_ms_max": max(gaps),
                             "wall_s": C.summary([r["wall_s"] for r in rs])}
    a = runs["agentmux"]
    out["all_completed"] = all(r["status"] == "completed" for r in a)
    out["overhead_ms_p50"] = out["systems"]["agentmux"]["gap_ms_p50"] - out["systems"]["script"]["gap_ms_p50"]
    out["plan_writes_per_task"] = C.median([r["plan_writes"] / n for r in a])
    out["plan_events_per_task"] = C.median([r["plan_events"] / n for r in a])
    out["state_bytes"] = C.median([r["state_bytes"] for r in a])
    return out
