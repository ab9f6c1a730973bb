#!/usr/bin/env python3
"""Live latency: agent write → WebSocket client receipt, through the real daemon.

The agent (a small Python program under the session's PTY) prints `T <ns since epoch>` lines every
few ms; a WebSocket client (python3-websockets) subscribed to the session records, for every line,
its receive time minus the embedded write time. Prints p50/p99/max in ms.

Usage: bench/ws_latency.py [--lines N] [--interval-ms MS] [--bin build/agentmux]
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import websockets

AGENT = r'''
import sys, time
n, interval = int(sys.argv[1]), float(sys.argv[2]) / 1000
time.sleep(0.3)
for i in range(n):
    sys.stdout.write("T %d\n" % time.time_ns()); sys.stdout.flush()
    time.sleep(interval)
'''


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def measure(sock, sid):
    lat = []
    buf = b""
    async with websockets.unix_connect(sock, "ws://localhost/api/stream", max_size=1 << 26) as ws:
        await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0}))
        while True:
            msg = json.loads(await ws.recv())
            now = time.time_ns()
            if msg["type"] == "log":
                buf += base64.b64decode(msg["data"])
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    line = line.strip()
                    if line.startswith(b"T "):
                        lat.append((now - int(line[2:])) / 1e6)
            elif msg["type"] == "status" and msg["status"] in ("completed", "failed", "cancelled"):
                return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--interval-ms", type=float, default=2.0)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "agentmux"))
    a = ap.parse_args()
    home = tempfile.mkdtemp(prefix="amx-lat-", dir="/tmp")
    env = dict(os.environ, AGENTMUX_HOME=home, AGENTMUX_LISTEN="off")
    agent = os.path.join(home, "agent.py")
    with open(agent, "w") as f:
        f.write(AGENT)
    try:
        sid = subprocess.run([a.bin, "run", "-d", "--", "/usr/bin/python3", agent, str(a.lines), str(a.interval_ms)],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
        lat = asyncio.run(measure(os.path.join(home, "daemon.sock"), sid))
        print("live latency over %d lines: p50 %.3f ms  p99 %.3f ms  max %.3f ms"
              % (len(lat), pct(lat, 50), pct(lat, 99), max(lat)))
    finally:
        try:
            pid = json.load(open(os.path.join(home, "daemon.json")))["pid"]
            os.kill(pid, signal.SIGTERM)
            time.sleep(0.5)
        except (OSError, ValueError):
            pass
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
