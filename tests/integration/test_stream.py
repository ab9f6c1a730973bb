"""The WebSocket stream with a client the project did not write (Debian's python3-websockets):
replay from the store then live with no gap and no duplicate, a slow client that is told to resync
and still ends with the exact bytes, and a daemon whose memory stays bounded while a client lags."""

import asyncio
import base64
import hashlib
import json
import time

import websockets

from conftest import wait_for


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def collect(home, sid, since_seq, slow_first_s=0.0, rss_samples=None):
    """Subscribes and returns (bytes received, resync count) once the session has ended and every
    log message up to its final log_seq arrived."""
    data = bytearray()
    resyncs = 0
    expected = since_seq + 1
    final_seq = None
    async with websockets.unix_connect(str(home.socket), "ws://localhost/api/stream", max_size=1 << 26,
                                       max_queue=4, read_limit=1 << 16) as ws:
        await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": since_seq}))
        if slow_first_s:
            # Do not read: the daemon's send queue for this client fills up.
            deadline = time.monotonic() + slow_first_s
            while time.monotonic() < deadline:
                if rss_samples is not None:
                    rss_samples.append(rss_kb(home.daemon_pid()))
                await asyncio.sleep(0.1)
        while final_seq is None or expected <= final_seq:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if msg["type"] == "log":
                assert msg["seq"] == expected, "gap or duplicate: got seq %d, expected %d" % (msg["seq"], expected)
                data += base64.b64decode(msg["data"])
                expected += 1
            elif msg["type"] == "resync":
                resyncs += 1
                assert msg["from_seq"] == expected
            elif msg["type"] == "status" and msg["status"] in ("completed", "failed", "cancelled", "interrupted"):
                final_seq = msg["log_seq"]
    return bytes(data), resyncs


def test_subscribe_mid_run_gets_exactly_the_stored_bytes(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c",
                            "i=0; while [ $i -lt 300 ]; do echo \"line $i $(date +%N)\"; i=$((i+1)); sleep 0.005; done")
    wait_for(lambda: home.view(sid)["log_seq"] > 20, what="some output")
    # One client from the start, one from the middle (since_seq = what it had seen from the REST API).
    mid = home.view(sid)["log_seq"]
    _, chunks = home.api("GET", "/api/sessions/%s/logs?limit=%d" % (sid, mid))
    head = b"".join(base64.b64decode(c["data"]) for c in chunks["chunks"])

    async def both():
        return await asyncio.gather(collect(home, sid, 0), collect(home, sid, chunks["last_seq"]))

    (full, _), (tail, _) = asyncio.run(both())
    assert home.view(sid)["status"] == "completed"
    stored = home.raw_log(sid)
    assert full == stored
    assert head + tail == stored
    assert stored.count(b"\n") == 300


def test_slow_client_is_resynced_keeps_every_byte_and_daemon_memory_stays_bounded(home, project):
    # ~120 MB of output while one client does not read for a while.
    sid = home.run_detached("-C", project, "--", "sh", "-c",
                            "head -c 60000000 /dev/urandom | base64 -w 100; echo end")
    samples = []
    pid = home.daemon_pid()
    base_rss = rss_kb(pid)
    data, resyncs = asyncio.run(collect(home, sid, 0, slow_first_s=4.0, rss_samples=samples))
    stored = home.raw_log(sid)
    assert home.view(sid)["status"] == "completed"
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(stored).hexdigest()
    assert len(stored) > 80_000_000
    assert resyncs >= 1, "a client that stopped reading must be told to resync"
    # The daemon must not buffer the backlog for the lagging client: its RSS grows by far less than
    # the 80+ MB the client was behind.
    assert max(samples) - base_rss < 64 * 1024, "daemon RSS grew by %d KiB while a client lagged" % (max(samples) - base_rss)


def test_one_connection_follows_several_sessions(home, project):
    a = home.run_detached("-C", project, "--", "sh", "-c", "sleep 0.3; echo from-a")
    b = home.run_detached("-C", project, "--", "sh", "-c", "sleep 0.3; echo from-b")

    async def follow():
        got = {a: b"", b: b""}
        ended = set()
        async with websockets.unix_connect(str(home.socket), "ws://localhost/api/stream") as ws:
            for sid in (a, b):
                await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": 0}))
            while len(ended) < 2:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if msg["type"] == "log":
                    got[msg["session_id"]] += base64.b64decode(msg["data"])
                elif msg["type"] == "status" and msg["status"] == "completed":
                    ended.add(msg["session_id"])
        return got

    got = asyncio.run(follow())
    assert b"from-a" in got[a] and b"from-b" in got[b]
    assert got[a] == home.raw_log(a) and got[b] == home.raw_log(b)


def test_watch_reports_every_session_change_and_deletion(home, project):
    """The sessions list in the web UI follows every session with one `watch`, without polling."""

    async def watch():
        seen = {}
        deleted = []
        async with websockets.unix_connect(str(home.socket), "ws://localhost/api/stream") as ws:
            await ws.send(json.dumps({"type": "watch"}))
            await ws.send(json.dumps({"type": "ping"}))
            while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "pong":
                pass
            sid = home.run_detached("-C", project, "--", "sh", "-c", "echo hi")
            while seen.get(sid, [None])[-1] != "completed":
                msg = json.loads(await asyncio.wait_for(ws.recv(), 20))
                assert msg["type"] != "log", "watch must not send log bytes"
                if msg["type"] == "status":
                    seen.setdefault(msg["session_id"], []).append(msg["status"])
            home.cli("session", "delete", sid)
            while not deleted:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if msg["type"] == "deleted":
                    deleted.append(msg["session_id"])
            return sid, seen[sid], deleted

    home.cli("session", "list")  # starts the daemon
    sid, statuses, deleted = asyncio.run(watch())
    assert statuses[0] == "pending" and "running" in statuses and statuses[-1] == "completed"
    assert deleted == [sid]
