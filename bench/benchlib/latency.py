"""Measure 2 — live latency: agent write → client receipt. The agent (Python, under a PTY) prints
`T <ns since epoch>` every few ms; the client records, per line, receipt time minus the embedded
time (same machine, same clock). Systems, alternating within each repetition:
  agentmux  WebSocket client subscribed to the session (the daemon: PTY read → chunk → store queue
            → WebSocket frame),
  tmux      a control-mode client (`tmux -C attach`, %output notifications),
  pty       the bench itself reading the PTY master (the floor: kernel + scheduler only).
Idle, and under load: 100 other sessions of the same server (agentmux sessions, tmux panes; for
`pty`, the agentmux load) each writing 1,000 lines/s (10 lines every 10 ms, 85 bytes each).
"""
import asyncio
import base64
import json
import os
import pty
import select
import subprocess
import threading
import time

import websockets

from . import common as C

AGENT = r'''
import sys, time
n, interval = int(sys.argv[1]), float(sys.argv[2]) / 1000
time.sleep(0.5)
w = sys.stdout
for i in range(n):
    w.write("T %d\n" % time.time_ns()); w.flush()
    time.sleep(interval)
'''

LOAD = r'''
import sys, time
rate = int(sys.argv[1])
batch = max(1, rate // 100)
line = ("x" * 84 + "\n")
w = sys.stdout
t = time.monotonic()
while True:
    w.write(line * batch); w.flush()
    t += batch / rate
    d = t - time.monotonic()
    if d > 0: time.sleep(d)
'''


def lat_from_lines(buf, now, lat):
    *lines, rest = buf.split(b"\n")
    for line in lines:
        line = line.strip()
        if line.startswith(b"T "):
            try:
                lat.append((now - int(line[2:])) / 1e6)
            except ValueError:
                pass
    return rest


def stats(lat):
    return {"n": len(lat), "p50": C.pct(lat, 50), "p99": C.pct(lat, 99), "max": max(lat) if lat else None}


class Latency:
    def __init__(self, cfg, work):
        self.cfg, self.work = cfg, work
        self.agent = os.path.join(work, "agent.py")
        self.load = os.path.join(work, "load.py")
        with open(self.agent, "w") as f:
            f.write(AGENT)
        with open(self.load, "w") as f:
            f.write(LOAD)
        self.args = [str(cfg["latency_lines"]), str(cfg["latency_interval_ms"])]

    # ---- agentmux
    def agentmux(self, loaded):
        d = C.Daemon(self.cfg["binary"])
        d.start()
        try:
            if loaded:
                for _ in range(self.cfg["latency_load_sessions"]):
                    d.create([C.PY, "-S", self.load, str(self.cfg["latency_load_lines_s"])])
                time.sleep(1.0)
            s = d.create([C.PY, "-S", self.agent] + self.args)
            lat = asyncio.run(self._ws(d.sock, s["id"]))
            cpu = None
            return stats(lat)
        finally:
            d.stop()

    async def _ws(self, sock, sid):
        lat, buf = [], b""
        async with websockets.unix_connect(sock, "ws://localhost/api/stream", max_size=1 << 26) as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0}))
            while True:
                raw = await ws.recv()
                now = time.time_ns()
                msg = json.loads(raw)
                if msg["type"] == "log":
                    buf = lat_from_lines(buf + base64.b64decode(msg["data"]), now, lat)
                elif msg["type"] == "status" and msg["status"] in ("completed", "failed", "cancelled"):
                    return lat

    # ---- pty (floor); under load, next to an agentmux daemon carrying the load
    def pty(self, loaded):
        d = None
        if loaded:
            d = C.Daemon(self.cfg["binary"])
            d.start()
            for _ in range(self.cfg["latency_load_sessions"]):
                d.create([C.PY, "-S", self.load, str(self.cfg["latency_load_lines_s"])])
            time.sleep(1.0)
        try:
            master, slave = pty.openpty()
            p = subprocess.Popen([C.PY, "-S", self.agent] + self.args, stdin=slave, stdout=slave, stderr=slave,
                                 start_new_session=True)
            C.on_exit(lambda: p.poll() is None and p.kill())
            os.close(slave)
            lat, buf = [], b""
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the agent closed the terminal
                    break
                if not data:
                    break
                buf = lat_from_lines(buf + data, time.time_ns(), lat)
            os.close(master)
            p.wait()
            return stats(lat)
        finally:
            if d:
                d.stop()

    # ---- tmux control mode
    def tmux(self, loaded):
        sock = os.path.join(self.work, "tmux.sock")
        t = ["tmux", "-S", sock, "-f", "/dev/null"]
        subprocess.run(t + ["new-session", "-d", "-s", "load", "-x", "200", "-y", "50", "sleep 100000"], check=True)
        C.on_exit(lambda: subprocess.run(t + ["kill-server"], capture_output=True))
        try:
            if loaded:
                for _ in range(self.cfg["latency_load_sessions"]):
                    subprocess.run(t + ["new-window", "-d", "-t", "load",
                                        "%s -S %s %d" % (C.PY, self.load, self.cfg["latency_load_lines_s"])],
                                   check=True)
                time.sleep(1.0)
            go = os.path.join(self.work, "tmux-go")
            if os.path.exists(go):
                os.unlink(go)
            os.mkfifo(go)
            prog = "head -c1 %s >/dev/null; %s -S %s %s; exec sleep 100000" % (go, C.PY, self.agent, " ".join(self.args))
            subprocess.run(t + ["new-session", "-d", "-s", "lat", "-x", "200", "-y", "50", prog], check=True)
            ctl = subprocess.Popen(t + ["-C", "attach", "-t", "lat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            C.on_exit(lambda: ctl.poll() is None and ctl.kill())
            lat, buf = [], b""
            want = self.cfg["latency_lines"]
            started = [False]

            def kick():
                time.sleep(0.3)
                with open(go, "wb") as f:
                    f.write(b"g")
            threading.Thread(target=kick, daemon=True).start()
            deadline = time.time() + 60 + want * self.cfg["latency_interval_ms"] / 100
            fd = ctl.stdout.fileno()
            pending = b""
            while len(lat) < want and time.time() < deadline:
                r, _, _ = select.select([fd], [], [], 1.0)
                if not r:
                    continue
                chunk = os.read(fd, 65536)
                now = time.time_ns()
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if not line.startswith(b"%output "):
                        continue
                    data = line.split(b" ", 2)[2]
                    # control mode escapes bytes < 32 and backslash as \ooo
                    data = data.replace(b"\\015", b"\r").replace(b"\\012", b"\n").replace(b"\\134", b"\\")
                    buf = lat_from_lines(buf + data, now, lat)
            ctl.stdin.close()
            ctl.kill()
            ctl.wait()
            return stats(lat)
        finally:
            subprocess.run(t + ["kill-server"], capture_output=True)


def run(cfg):
    work = C.tmpdir("latency")
    L = Latency(cfg, work)
    systems = ["agentmux", "tmux", "pty"]
    out = {"lines": cfg["latency_lines"], "interval_ms": cfg["latency_interval_ms"],
           "load_sessions": cfg["latency_load_sessions"], "load_lines_s": cfg["latency_load_lines_s"], "runs": {}}
    for cond in ("idle", "load"):
        runs = {s: [] for s in systems}
        for rep in range(cfg["latency_reps"]):
            order = systems[rep % 3:] + systems[:rep % 3]
            for s in order:
                try:
                    res = getattr(L, s)(cond == "load")
                except Exception as e:
                    res = {"error": str(e)[:300]}
                res["rep"] = rep
                runs[s].append(res)
                C.log("latency %s rep %d %-8s %s" % (cond, rep + 1, s, "n=%d p50 %.3f p99 %.3f max %.3f ms" % (
                    res["n"], res["p50"], res["p99"], res["max"]) if res.get("n") else res))
        out["runs"][cond] = runs
        for s in systems:
            ok = [r for r in runs[s] if r.get("n")]
            out.setdefault(cond, {})[s] = {k: C.summary([r[k] for r in ok]) for k in ("p50", "p99", "max")}
            out[cond][s]["lines_received"] = C.summary([r["n"] for r in ok])
        a = [r for r in runs["agentmux"]]
        for ref in ("tmux", "pty"):
            ratios = [x["p99"] / y["p99"] for x, y in zip(a, runs[ref]) if x.get("p99") and y.get("p99")]
            out[cond]["p99_ratio_vs_" + ref] = C.summary(ratios)
    return out
