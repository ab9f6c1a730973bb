"""Measure 5 — memory over time: one session streams (5,000 lines/s of 85 bytes) for S seconds to 10
live clients; the server's RSS is sampled every second and its least-squares slope reported (MB/min,
after a warm-up of 10 % of the run). Run side by side, at the same time, for the same S seconds:
  agentmux  daemon, 10 WebSocket clients (one process; each checks it got every seq once, in order),
  tmux      server, the session in one pane, 10 control-mode clients (`tmux -C attach`),
  pm2       God daemon, 10 `pm2 logs --raw` followers.
"""
import json
import os
import subprocess
import threading
import time

from . import common as C

STREAM = r'''
import sys, time
rate, seconds = int(sys.argv[1]), float(sys.argv[2])
batch = max(1, rate // 100)
w = sys.stdout
t0 = t = time.monotonic(); i = 0
while t - t0 < seconds:
    w.write("".join("M%09d %s\n" % (i + k, "y" * 72) for k in range(batch))); w.flush()
    i += batch
    t += batch / rate
    d = t - time.monotonic()
    if d > 0: time.sleep(d)
'''


def drain(stream):
    def run():
        while stream.read(65536):
            pass
    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def digest(samples, seconds):
    warm = [s for s in samples if s[0] >= seconds * 0.1] or samples
    half = [s for s in samples if s[0] >= seconds * 0.5] or samples
    return {"rss_start_mb": warm[0][1], "rss_end_mb": samples[-1][1], "rss_peak_mb": max(s[1] for s in samples),
            "slope_mb_per_min": C.slope([s[0] for s in warm], [s[1] for s in warm]) * 60,
            "slope_2nd_half_mb_per_min": C.slope([s[0] for s in half], [s[1] for s in half]) * 60,
            "cpu_pct": (samples[-1][2] - samples[0][2]) / max(1e-9, samples[-1][0] - samples[0][0]) * 100,
            "series": [(round(t), round(r, 2)) for t, r, _ in samples]}


def run(cfg):
    work = C.tmpdir("memory")
    seconds, n, rate = cfg["memory_seconds"], cfg["memory_clients"], cfg["memory_lines_s"]
    prog = os.path.join(work, "stream.py")
    with open(prog, "w") as f:
        f.write(STREAM)
    go = os.path.join(work, "go")
    argv = [C.PY, "-S", prog, str(rate), str(seconds)]
    gated = "flock -s %s true; exec %s" % (go, " ".join(argv))
    import fcntl
    gofile = open(go, "w")
    fcntl.flock(gofile, fcntl.LOCK_EX)
    samplers, procs = {}, []

    # agentmux
    d = C.Daemon(cfg["binary"])
    d.start()
    s = d.create(["/bin/sh", "-c", gated])
    clients = subprocess.Popen([C.PY, os.path.join(C.BENCH_DIR, "benchlib", "wsclient.py"), "consume", d.sock, str(n),
                                s["id"]], stdout=subprocess.PIPE, text=True)
    C.on_exit(lambda: clients.poll() is None and clients.kill())
    clients.stdout.readline()
    samplers["agentmux"] = C.Sampler(lambda: [d.pid], 1.0)

    # tmux
    sock = os.path.join(work, "tmux.sock")
    t = ["tmux", "-S", sock, "-f", "/dev/null"]
    subprocess.run(t + ["new-session", "-d", "-s", "m", "-x", "200", "-y", "50", gated + "; exec sleep 100000"], check=True)
    C.on_exit(lambda: subprocess.run(t + ["kill-server"], capture_output=True))
    tpid = int(subprocess.run(t + ["display-message", "-p", "#{pid}"], capture_output=True, text=True).stdout)
    for _ in range(n):
        c = subprocess.Popen(t + ["-C", "attach", "-t", "m"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        C.on_exit(lambda c=c: c.poll() is None and c.kill())
        drain(c.stdout)
        procs.append(c)
    samplers["tmux"] = C.Sampler(lambda: [tpid], 1.0)

    # pm2
    pm2 = cfg.get("pm2")
    if pm2:
        eco = os.path.join(work, "eco.json")
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "mem", "script": "/bin/sh", "args": ["-c", gated], "interpreter": "none",
                                 "autorestart": False, "out_file": os.path.join(work, "pm2.out"),
                                 "error_file": os.path.join(work, "pm2.err"), "merge_logs": True}]}, f)
        pm2.cli("start", eco)
        god = pm2.god_pid()
        for _ in range(n):
            c = subprocess.Popen([C.PM2_BIN, "logs", "mem", "--raw", "--lines", "0"], env=pm2.env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            C.on_exit(lambda c=c: c.poll() is None and c.kill())
            drain(c.stdout)
            procs.append(c)
        samplers["pm2"] = C.Sampler(lambda: [god], 1.0)
    time.sleep(2)
    for sm in samplers.values():
        sm.start()
    time.sleep(1)
    fcntl.flock(gofile, fcntl.LOCK_UN)
    gofile.close()
    time.sleep(seconds)
    res = {}
    for name, sm in samplers.items():
        res[name] = digest(sm.stop(), seconds)
    # the agentmux clients: every byte, every seq once
    end = d.wait_ended(s["id"], timeout=120)
    got = [json.loads(clients.stdout.readline()) for _ in range(n)]
    clients.wait(60)
    res["agentmux"]["clients_complete"] = sum(1 for g in got if g["gaps"] == 0 and g["dups"] == 0 and
                                              g["bytes"] == end["log_bytes"])
    res["agentmux"]["client_resyncs"] = sum(g["resyncs"] for g in got)
    res["agentmux"]["log_bytes"] = end["log_bytes"]
    d.stop()
    for c in procs:
        if c.poll() is None:
            c.kill()
            c.wait()
    subprocess.run(t + ["kill-server"], capture_output=True)
    for name, r in res.items():
        C.log("memory %-8s RSS %.1f → %.1f MB (peak %.1f), slope %+.3f MB/min (2nd half %+.3f), CPU %.0f%%" % (
            name, r["rss_start_mb"], r["rss_end_mb"], r["rss_peak_mb"], r["slope_mb_per_min"],
            r["slope_2nd_half_mb_per_min"], r["cpu_pct"]))
    out = {"seconds": seconds, "clients": n, "lines_s": rate, "systems": res}
    if res["agentmux"]["clients_complete"] != n:
        out["data_loss"] = True
    return out
