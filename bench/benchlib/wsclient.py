#!/usr/bin/env python3
"""WebSocket clients of the daemon's stream (python3-websockets), run as their own process so their
CPU does not skew the harness: `consume` follows sessions to their end and checks every seq arrived
once and in order; it prints one JSON summary line per connection when done.

    wsclient.py consume SOCK N_CONNECTIONS SESSION_ID [--hash]
"""
import asyncio
import base64
import hashlib
import json
import sys
import time

import websockets

TERMINAL = ("completed", "failed", "cancelled", "interrupted")


async def consume(sock, sid, want_hash=False, ready=None):
    """Follows one session from seq 1 to its end. Returns a summary dict."""
    h = hashlib.sha256() if want_hash else None
    got = {"messages": 0, "bytes": 0, "resyncs": 0, "gaps": 0, "dups": 0, "final_seq": None, "last_seq": 0}
    async with websockets.unix_connect(sock, "ws://localhost/api/stream", max_size=1 << 26,
                                       max_queue=64, compression=None) as ws:
        await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0}))
        if ready:
            ready()
        while True:
            msg = json.loads(await ws.recv())
            t = msg["type"]
            if t == "log":
                seq = msg["seq"]
                if seq <= got["last_seq"]:
                    got["dups"] += 1
                    continue
                if seq != got["last_seq"] + 1:
                    got["gaps"] += 1
                got["last_seq"] = seq
                got["messages"] += 1
                data = base64.b64decode(msg["data"])
                got["bytes"] += len(data)
                if h:
                    h.update(data)
            elif t == "resync":
                got["resyncs"] += 1
            elif t == "status" and msg["status"] in TERMINAL:
                got["final_seq"] = msg["log_seq"]
            if got["final_seq"] is not None and got["last_seq"] >= got["final_seq"]:
                got["t_end"] = time.time()
                if h:
                    got["sha256"] = h.hexdigest()
                return got


async def main_consume(sock, n, sid, want_hash):
    ready = [0]

    def one_ready():
        ready[0] += 1
        if ready[0] == n:
            print(json.dumps({"ready": True}), flush=True)

    results = await asyncio.gather(*[consume(sock, sid, want_hash, one_ready) for _ in range(n)])
    for r in results:
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "consume":
        asyncio.run(main_consume(sys.argv[2], int(sys.argv[3]), sys.argv[4], "--hash" in sys.argv))
