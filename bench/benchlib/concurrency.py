"""Measure 3 — concurrency: N sessions at once, each a small program printing one numbered line
every 100 ms for S seconds (bash; `read -t` sleeps without forking). All wait for one GO file so
they run together. Reports the manager's RSS (peak, and at the end of the window) and CPU% over the
window, and lost lines: each session's stored log must hold exactly its S*10 lines, in order.
agentmux (daemon, SQLite) against pm2 (its God daemon, one log file per app) at the same count.
"""
import fcntl
import json
import os
import re
import subprocess
import sqlite3
import tempfile
import time

from . import common as C

# Waits on a shared flock the bench holds exclusively until GO (blocked, no CPU), then prints.
PROG = ('exec 3<> <(:); flock -s %(go)s true; '
        'for ((i=1; i<=%(n)d; i++)); do echo "c %(tag)s $i"; read -t 0.1 -u 3; done')


def prog(go, n, tag):
    return ["/bin/bash", "-c", PROG % {"go": go, "n": n, "tag": tag}]


def check_lines(data, tag, n, newline):
    want = "".join("c %s %d%s" % (tag, i, newline) for i in range(1, n + 1)).encode()
    if data == want:
        return 0
    got = set(re.findall(rb"c \S+ (\d+)", data))
    return n - len(got & {str(i).encode() for i in range(1, n + 1)}) or -1  # -1: all there, bytes differ


def hold(go):
    """Creates GO and holds an exclusive flock on it: every program waits until window() lets go."""
    f = open(go, "w")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def window(sampler_pids, seconds, gofile):
    s = C.Sampler(sampler_pids, 1.0)
    s.start()
    time.sleep(0.5)
    fcntl.flock(gofile, fcntl.LOCK_UN)
    gofile.close()
    t0 = time.time()
    time.sleep(seconds)
    samples = s.stop()
    return samples, t0


def digest(samples, t_go_offset_s=0.5):
    in_win = [x for x in samples if x[0] >= t_go_offset_s]
    if len(in_win) < 2:
        in_win = samples
    cpu = (in_win[-1][2] - in_win[0][2]) / max(1e-9, in_win[-1][0] - in_win[0][0]) * 100
    return {"rss_peak_mb": max(x[1] for x in samples), "rss_end_mb": in_win[-1][1], "cpu_pct": cpu,
            "rss_series": [(round(t, 1), round(r, 1)) for t, r, _ in samples]}


def shims_private_mb(daemon_pid):
    """(count, total private MB) of the daemon's shims (`agentmux shim`, issue 13): Private_Clean +
    Private_Dirty from smaps_rollup — what each shim costs beyond the binary's shared pages."""
    count, kb = 0, 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                args = f.read().split(b"\0")
            if len(args) < 2 or args[1] != b"shim":
                continue
            with open("/proc/%s/stat" % name) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) != daemon_pid:
                    continue
            with open("/proc/%s/smaps_rollup" % name) as f:
                for line in f:
                    if line.startswith(("Private_Clean:", "Private_Dirty:")):
                        kb += int(line.split()[1])
            count += 1
        except (OSError, ValueError, IndexError):
            continue
    return count, kb / 1024


def run_agentmux(cfg, n, seconds, work):
    d = C.Daemon(cfg["binary"])
    d.start()
    try:
        go = os.path.join(work, "go-amx-%d" % n)
        gofile = hold(go)
        lines = seconds * 10
        ids = {}
        t0 = time.time()
        for k in range(n):
            ids[d.create(prog(go, lines, "s%d" % k))["id"]] = "s%d" % k
        create_s = time.time() - t0
        rss_before = C.proc_rss_mb(d.pid)
        shims, shims_mb = shims_private_mb(d.pid)
        samples, _ = window(lambda: [d.pid], seconds, gofile)
        res = digest(samples)
        # let every session end, then count what was stored
        end = time.time() + 120
        while time.time() < end:
            live = d.api.call("GET", "/api/sessions?status=running&limit=1000")["sessions"]
            if not live:
                break
            time.sleep(0.5)
        statuses = {}
        for s in d.api.call("GET", "/api/sessions?limit=1000")["sessions"]:
            statuses[s["status"]] = statuses.get(s["status"], 0) + 1
        lost, bad = 0, 0
        con = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
        for sid, tag in ids.items():
            data = b"".join(bytes(r[0]) for r in con.execute(
                "SELECT data FROM session_logs WHERE session_id=? ORDER BY seq", (sid,)))
            miss = check_lines(data, tag, lines, "\r\n")
            if miss > 0:
                lost += miss
            elif miss < 0:
                bad += 1
        chunks = con.execute("SELECT count(*) FROM session_logs").fetchone()[0]
        con.close()
        res.update({"sessions": n, "create_s": create_s, "rss_idle_mb": rss_before, "lost_lines": lost,
                    "shims": shims, "shims_private_mb": round(shims_mb, 1),
                    "shim_private_mb_each": round(shims_mb / shims, 3) if shims else None,
                    "sessions_with_altered_bytes": bad, "expected_lines": n * lines, "chunks": chunks,
                    "statuses": statuses,
                    "rss_after_end_mb": C.proc_rss_mb(d.pid)})
        return res
    finally:
        d.stop()


def run_pm2(cfg, n, seconds, work):
    pm2 = C.Pm2()
    god = pm2.start_daemon()
    try:
        logs = tempfile.mkdtemp(prefix="pm2logs-%d-" % n, dir=work)
        go = os.path.join(logs, "go")
        gofile = hold(go)
        lines = seconds * 10
        apps = []
        for k in range(n):
            p = prog(go, lines, "p%d" % k)
            apps.append({"name": "p%d" % k, "script": p[0], "args": p[1:], "interpreter": "none",
                         "autorestart": False, "out_file": os.path.join(logs, "p%d.out" % k),
                         "error_file": os.path.join(logs, "p%d.err" % k), "merge_logs": True})
        eco = os.path.join(logs, "eco.json")
        with open(eco, "w") as f:
            json.dump({"apps": apps}, f)
        t0 = time.time()
        pm2.cli("start", eco, timeout=max(600, n))
        create_s = time.time() - t0
        rss_before = C.proc_rss_mb(god)
        samples, _ = window(lambda: [god], seconds, gofile)
        res = digest(samples)
        # wait until every app has stopped (or 120 s), then read the files
        end = time.time() + 120
        while time.time() < end:
            procs = json.loads(pm2.cli("jlist", timeout=120) or "[]")
            if all(p.get("pm2_env", {}).get("status") != "online" for p in procs):
                break
            time.sleep(1)
        # ... and until its log files stop growing for 3 s (node flushes its streams asynchronously)
        last, still = -1, 0
        while still < 3 and time.time() < end + 60:
            size = sum(e.stat().st_size for e in os.scandir(logs) if e.name.endswith((".out", ".err")))
            still = still + 1 if size == last else 0
            last = size
            time.sleep(1)
        lost, bad = 0, 0
        for k in range(n):
            try:
                with open(os.path.join(logs, "p%d.out" % k), "rb") as f:
                    data = f.read()
            except OSError:
                data = b""
            miss = check_lines(data, "p%d" % k, lines, "\n")
            if miss > 0:
                lost += miss
            elif miss < 0:
                bad += 1
        res.update({"sessions": n, "create_s": create_s, "rss_idle_mb": rss_before, "lost_lines": lost,
                    "sessions_with_altered_bytes": bad, "expected_lines": n * lines})
        return res
    finally:
        pm2.kill()


def run(cfg):
    work = C.tmpdir("conc")
    seconds = cfg["concurrency_seconds"]
    out = {"seconds": seconds, "counts": {}}
    for n in cfg["concurrency_counts"]:
        systems = ["agentmux"] + (["pm2"] if cfg.get("pm2") else [])
        runs = {s: [] for s in systems}
        for rep in range(cfg["concurrency_reps"]):
            order = systems if rep % 2 == 0 else systems[::-1]
            for s in order:
                try:
                    res = (run_agentmux if s == "agentmux" else run_pm2)(cfg, n, seconds, work)
                except Exception as e:
                    res = {"error": str(e)[:300]}
                res["rep"] = rep
                runs[s].append(res)
                C.log("concurrency n=%d rep %d %-8s %s" % (n, rep + 1, s, "RSS peak %.1f MB, CPU %.1f%%, lost %d, "
                      "altered %d, start %.1f s%s" % (res["rss_peak_mb"], res["cpu_pct"], res["lost_lines"],
                                                      res["sessions_with_altered_bytes"], res["create_s"],
                                                      ", %d shims %.1f MB private" % (res["shims"], res["shims_private_mb"])
                                                      if res.get("shims") else "")
                      if "error" not in res else res["error"]))
        summ = {}
        for s in systems:
            ok = [r for r in runs[s] if "error" not in r]
            summ[s] = {k: C.summary([r[k] for r in ok]) for k in ("rss_peak_mb", "rss_end_mb", "cpu_pct", "create_s")}
            summ[s]["lost_lines"] = sum(r["lost_lines"] for r in ok) if ok else None
            summ[s]["altered_sessions"] = sum(r["sessions_with_altered_bytes"] for r in ok) if ok else None
            summ[s]["ran"] = len(ok)
            summ[s]["errors"] = [r["error"] for r in runs[s] if "error" in r]
        out["counts"][str(n)] = {"runs": runs, "summary": summ}
        if summ["agentmux"]["lost_lines"]:
            out["data_loss"] = True
    return out
