"""Measure 1 — capture throughput: one program writes N lines of 85 bytes as fast as it can
(`cat` of a prepared file: the fastest possible writer), captured by
  agentmux  (daemon with SQLite persistence, one live WebSocket subscriber on the session),
  script    (`script -qfc CMD FILE`: PTY capture to a file, the near-physical limit),
  tmux      (`pipe-pane -o 'cat > FILE'`),
  pm2       (its log file, from the program's stdout pipe).
Every system starts the program blocked on a FIFO; the clock starts when the bench writes the FIFO
and stops when every byte is captured: agentmux = session completed (its final status commits after
the last chunk), script = its exit, tmux/pm2 = the log file holds every byte. Each run is then checked
by SHA-256 against what the program wrote: under a PTY (agentmux, script, tmux) "\n" is stored as
"\r\n"; pm2 reads a pipe and stores the bytes unchanged.
"""
import hashlib
import json
import os
import shutil
import subprocess
import time

from . import common as C

LINE = 85  # bytes per line, newline included
FILLER = "abcdefghijklmnopqrstuvwxyz" * 4


def make_input(path, lines):
    with open(path, "w") as f:
        for start in range(0, lines, 100000):
            f.write("".join("L%09d %s\n" % (i, FILLER[:LINE - 12]) for i in range(start, min(lines, start + 100000))))
    raw, pty = hashlib.sha256(), hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            raw.update(block)
            pty.update(block.replace(b"\n", b"\r\n"))
    return {"bytes": lines * LINE, "pty_bytes": lines * (LINE + 1), "sha_raw": raw.hexdigest(),
            "sha_pty": pty.hexdigest()}


def program(fifo, path):
    return ["/bin/sh", "-c", "head -c1 '%s' >/dev/null; exec cat '%s'" % (fifo, path)]


def trigger(fifo):
    with open(fifo, "wb") as f:  # blocks until the program opened its end
        f.write(b"g")
    return time.perf_counter()


def wait_size(path, size, timeout, poll=0.005, stable_s=3.0):
    """Time when `path` holds `size` bytes; or, if it stops growing short of that for `stable_s`
    (the capturer lost the rest), the time of its last growth. Verification then fails."""
    end = time.time() + timeout
    last_size, last_change = -1, time.perf_counter()
    while time.time() < end:
        try:
            cur = os.stat(path).st_size
        except FileNotFoundError:
            cur = 0
        now = time.perf_counter()
        if cur >= size:
            return now
        if cur != last_size:
            last_size, last_change = cur, now
        elif cur > 0 and now - last_change > stable_s:
            return last_change
        time.sleep(poll)
    raise RuntimeError("%s did not reach %d bytes in %ds" % (path, size, timeout))


class Runner:
    def __init__(self, cfg, work, inp, expect):
        self.cfg, self.work, self.inp, self.expect = cfg, work, inp, expect
        self.timeout = max(120, cfg["capture_lines"] / 10000)
        self.n = 0

    def fifo(self):
        self.n += 1
        p = os.path.join(self.work, "go%d" % self.n)
        os.mkfifo(p)
        return p

    # ---- agentmux
    def agentmux(self, subscriber=True):
        d = C.Daemon(self.cfg["binary"])  # a fresh daemon and store per run
        d.start()
        try:
            return self._agentmux(d, subscriber)
        finally:
            d.stop()
            shutil.rmtree(d.home, ignore_errors=True)

    def agentmux_nosub(self):
        """Diagnostic, not a target: the same without the WebSocket subscriber."""
        return self.agentmux(subscriber=False)

    def _agentmux(self, d, subscriber):
        fifo = self.fifo()
        s = d.create(program(fifo, self.inp), cols=200, rows=50)
        sub = None
        if subscriber:
            sub = subprocess.Popen([C.PY, os.path.join(C.BENCH_DIR, "benchlib", "wsclient.py"), "consume", d.sock,
                                    "1", s["id"]], stdout=subprocess.PIPE, text=True)
            C.on_exit(lambda: sub.poll() is None and sub.kill())
            sub.stdout.readline()  # ready
        cpu0 = C.proc_cpu_seconds(d.pid)
        t0 = trigger(fifo)
        st = d.wait_ended(s["id"], timeout=self.timeout, poll=0.005)
        t1, wall1 = time.perf_counter(), time.time()
        cpu1 = C.proc_cpu_seconds(d.pid)
        data = d.stored_log(s["id"])
        ok = len(data) == self.expect["pty_bytes"] and C.sha256(data) == self.expect["sha_pty"]
        res = {"seconds": t1 - t0, "verified": ok and st["status"] == "completed", "cpu_s": cpu1 - cpu0,
               "stored_bytes": st["log_bytes"], "chunks": st["log_seq"]}
        if sub:
            sub_res = json.loads(sub.stdout.readline())
            sub.wait(60)
            res.update({"subscriber_complete": sub_res["bytes"] == len(data) and sub_res["gaps"] == 0
                        and sub_res["dups"] == 0, "subscriber_resyncs": sub_res["resyncs"],
                        # < 0: the subscriber had everything before the bench's poll saw the end
                        "subscriber_lag_s": sub_res["t_end"] - wall1})
            if not res["subscriber_complete"]:
                res["verified"] = False
        return res

    # ---- script
    def script(self):
        fifo = self.fifo()
        out = os.path.join(self.work, "script%d.out" % self.n)
        cmd = program(fifo, self.inp)[2]
        p = subprocess.Popen(["script", "-qfc", cmd, out], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        C.on_exit(lambda: p.poll() is None and p.kill())
        t0 = trigger(fifo)
        _, _, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        p.returncode = 0
        with open(out, "rb") as f:
            data = f.read()
        os.unlink(out)
        payload = data[data.index(b"\n") + 1: data.rindex(b"\nScript done")]
        ok = len(payload) == self.expect["pty_bytes"] and C.sha256(payload) == self.expect["sha_pty"]
        return {"seconds": t1 - t0, "verified": ok, "cpu_s": None, "stored_bytes": len(payload)}

    # ---- tmux
    def tmux(self):
        fifo = self.fifo()
        sock = os.path.join(self.work, "tmux%d.sock" % self.n)
        out = os.path.join(self.work, "tmux%d.out" % self.n)
        t = ["tmux", "-S", sock, "-f", "/dev/null"]
        prog = "head -c1 '%s' >/dev/null; cat '%s'; exec sleep 100000" % (fifo, self.inp)
        subprocess.run(t + ["new-session", "-d", "-s", "b", "-x", "200", "-y", "50", "/bin/sh", "-c", prog], check=True)
        C.on_exit(lambda: subprocess.run(t + ["kill-server"], capture_output=True))
        pid = int(subprocess.run(t + ["display-message", "-p", "#{pid}"], capture_output=True, text=True).stdout)
        subprocess.run(t + ["pipe-pane", "-t", "b", "-o", "cat > '%s'" % out], check=True)
        time.sleep(0.1)
        cpu0 = C.proc_cpu_seconds(pid)
        t0 = trigger(fifo)
        t1 = wait_size(out, self.expect["pty_bytes"], self.timeout)
        cpu1 = C.proc_cpu_seconds(pid)
        time.sleep(0.05)
        subprocess.run(t + ["kill-server"], capture_output=True)
        C.wait_pid_gone(pid, 10)
        size = os.path.getsize(out)
        ok = size == self.expect["pty_bytes"] and C.file_sha256(out) == self.expect["sha_pty"]
        os.unlink(out)
        return {"seconds": t1 - t0, "verified": ok, "cpu_s": cpu1 - cpu0, "stored_bytes": size,
                "lost_bytes": self.expect["pty_bytes"] - size}

    # ---- pm2
    def pm2(self):
        pm2 = self.cfg["pm2"]
        fifo = self.fifo()
        out = os.path.join(self.work, "pm2-%d.out" % self.n)
        name = "cap%d" % self.n
        eco = os.path.join(self.work, "eco%d.json" % self.n)
        prog = program(fifo, self.inp)
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": name, "script": prog[0], "args": prog[1:], "interpreter": "none",
                                 "autorestart": False, "out_file": out, "error_file": out + ".err",
                                 "merge_logs": True}]}, f)
        pm2.cli("start", eco)
        god = pm2.god_pid()
        cpu0 = C.proc_cpu_seconds(god)
        t0 = trigger(fifo)
        t1 = wait_size(out, self.expect["bytes"], self.timeout)
        cpu1 = C.proc_cpu_seconds(god)
        pm2.cli("delete", name)
        size = os.path.getsize(out)
        ok = size == self.expect["bytes"] and C.file_sha256(out) == self.expect["sha_raw"]
        os.unlink(out)
        return {"seconds": t1 - t0, "verified": ok, "cpu_s": cpu1 - cpu0, "stored_bytes": size,
                "lost_bytes": self.expect["bytes"] - size}


def run(cfg):
    work = C.tmpdir("capture")
    inp = os.path.join(work, "lines.txt")
    lines = cfg["capture_lines"]
    C.log("capture: writing %d lines of %d bytes" % (lines, LINE))
    expect = make_input(inp, lines)
    r = Runner(cfg, work, inp, expect)
    systems = ["agentmux", "script", "tmux"] + (["pm2"] if cfg.get("pm2") else []) + ["agentmux_nosub"]
    runs = {s: [] for s in systems}
    for rep in range(cfg["capture_reps"]):
        order = systems[rep % len(systems):] + systems[:rep % len(systems)]  # rotate: no fixed position
        for s in order:
            try:
                res = getattr(r, s)()
            except Exception as e:  # a peer that cannot run is a result, not a crash
                res = {"seconds": None, "verified": False, "error": str(e)[:300]}
            res["rep"] = rep
            if res.get("seconds"):
                res["mb_s"] = expect["bytes"] / res["seconds"] / 1e6
            runs[s].append(res)
            C.log("capture rep %d %-8s %s" % (rep + 1, s, "%.2f s, %.1f MB/s, verified=%s" % (
                res["seconds"], res["mb_s"], res["verified"]) if res.get("seconds") else res.get("error")))
    out = {"lines": lines, "line_bytes": LINE, "payload_bytes": expect["bytes"], "runs": runs, "systems": {}}
    for s in systems:
        out["systems"][s] = {"mb_s": C.summary([x.get("mb_s") for x in runs[s]]),
                             "seconds": C.summary([x.get("seconds") for x in runs[s]]),
                             "cpu_s": C.summary([x.get("cpu_s") for x in runs[s]]),
                             "all_verified": all(x["verified"] for x in runs[s])}
    # Ratios per repetition (same rep = same machine state), then their median.
    for ref in [x for x in systems[1:] if x != "agentmux_nosub"]:
        ratios = [a["mb_s"] / b["mb_s"] for a, b in zip(runs["agentmux"], runs[ref]) if a.get("mb_s") and b.get("mb_s")]
        out["ratio_vs_" + ref] = C.summary(ratios)
    return out
