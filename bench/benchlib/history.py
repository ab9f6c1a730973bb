"""Measure 4 — history scale. Stores built directly with sqlite3 in the daemon's own schema (a daemon
creates agentmux.db on an empty home and stops; rows are then inserted in the shape the daemon
writes: UUIDv7 ids, RFC 3339 times, log chunks of one PTY read each, `\\r\\n` line ends, line_count).
  * 1M and 10M log lines across 1,000 sessions (85-byte lines; chunks: 70 % small reads of 1–8
    lines, 30 % large ones of 64–771 lines, ≤ 64 KiB). Two sessions are tailed: `bulk` (that mix)
    and `trickle` (one line per chunk, as a slow printer makes).
    - `logs --tail 100`: the API call (GET …/logs?tail=100&format=raw on a kept-alive connection)
      and the CLI (`agentmux logs --tail 100 ID`, a process) against `tail -n 100` of the same
      log as a flat file (what script/tmux/pm2 keep);
    - listing sessions (GET /api/sessions, limit 100) unfiltered and by status, tool, project, spec,
      against the same SELECT run directly on the file (the floor);
  * restart: daemon start → first answered /api/health, on an empty home, on a store of 100k
    sessions (10 of them left `running` by a "crashed" daemon, so recovery runs), and on the 10M store.
"""
import os
import random
import shutil
import sqlite3
import subprocess
import time
import uuid

from . import common as C

LINE = 85
FILL = ("abcdefghijklmnopqrstuvwxyz0123456789" * 3)[:LINE - 2 - 11]
PROJECTS = ["/home/dev/proj%02d" % i for i in range(20)]
SPECS = ["%03d-feature-%d" % (i, i) for i in range(1, 51)]
T0 = 1_790_000_000_000  # ms: sessions spread over the weeks before


def rfc(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def uuid7(ms, rnd):
    b = bytearray(rnd.getrandbits(128).to_bytes(16, "big"))
    b[0:6] = ms.to_bytes(6, "big")
    b[6] = (b[6] & 0x0F) | 0x70
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


def line(sess, i):
    return b"%s L%09d %s\r\n" % (sess, i, FILL[:LINE - 2 - 11 - len(sess) - 1].encode())


def empty_db(binary, path):
    """The daemon creates its schema on an empty home; we keep that file."""
    d = C.Daemon(binary)
    d.start()
    d.stop()
    shutil.move(d.db, path)
    shutil.rmtree(d.home, ignore_errors=True)


def open_bulk(path):
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("BEGIN")
    return con


def close_bulk(con, path):
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    fsync_file(path)


def fsync_file(path):
    """A store the bench just wrote is dirty in the page cache; a daemon restarting on a real store
    is not. Flush it (this file only) so the first fdatasync of the daemon does not pay for it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def session_row(sid, k, created, rnd, status=None, log_seq=0, log_bytes=0, pid=None):
    tool = ["shell", "shell", "claude", "claude", "codex"][k % 5]
    status = status or rnd.choices(["completed", "failed", "cancelled"], [7, 2, 1])[0]
    started, ended = created + 5, created + 5 + rnd.randint(1000, 3_600_000)
    running = status == "running"
    return (sid, rnd.choice(PROJECTS), "fix the thing %d" % k if tool != "shell" else None, tool,
            "autonomous" if k % 3 else "guided", status,
            None if running else (0 if status == "completed" else 1), None, pid, rfc(started),
            None if running else rfc(ended), None if running else ended - started,
            1234 if tool == "claude" else None, 5678 if tool == "claude" else None, 0.12 if tool == "claude" else None,
            '["bash","-c","make test"]', "{}", "", log_seq, log_bytes, rfc(created), rfc(ended))


INSERT_SESSION = ("INSERT INTO sessions (id, project_path, prompt, tool, mode, status, exit_code, signal, pid, "
                  "started_at, ended_at, duration_ms, input_tokens, output_tokens, cost_usd, command, env, context, "
                  "log_seq, log_bytes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
INSERT_LOG = ("INSERT INTO session_logs (session_id, seq, offset, ts, level, data, line_count) "
              "VALUES (?,?,?,?,?,?,?)")
INSERT_EVENT = "INSERT INTO session_events (session_id, event_type, data, timestamp) VALUES (?,?,?,?)"


def add_side_rows(con, sid, k, created, rnd, status):
    specs = rnd.sample(SPECS, k % 3)
    con.executemany("INSERT INTO session_specs (session_id, spec_id, position) VALUES (?,?,?)",
                    [(sid, s, i) for i, s in enumerate(specs)])
    evs = [("created", '{"tool":"shell"}', created), ("started", '{"from":"pending","to":"running"}', created + 5)]
    if status != "running":
        evs += [("output_closed", '{"chunks":1}', created + 900), (status, '{"exit_code":0}', created + 901)]
    con.executemany(INSERT_EVENT, [(sid, t, d, rfc(ts)) for t, d, ts in evs])


def build_lines_store(binary, path, sessions, total_lines, rnd):
    """Returns {"bulk": (sid, last_100_lines_bytes, flat_log_bytes), "trickle": (...)} of the tailed sessions."""
    empty_db(binary, path)
    con = open_bulk(path)
    per = total_lines // sessions
    template = b"".join(line(b"tpl", i) for i in range(771))
    targets = {}
    for k in range(sessions):
        created = T0 + k * 60_000
        sid = uuid7(created, rnd)
        kind = "bulk" if k == sessions // 2 else "trickle" if k == sessions // 2 + 1 else None
        rows, seq, off, done, ts = [], 0, 0, 0, created + 10
        flat = []
        while done < per:
            n = 1 if kind == "trickle" else (rnd.randint(1, 8) if rnd.random() < 0.7 else rnd.randint(64, 771))
            n = min(n, per - done)
            if kind:
                data = b"".join(line(kind.encode(), done + i) for i in range(n))
                flat.append(data)
            else:
                data = template[:n * LINE]
            seq += 1
            rows.append((sid, seq, off, ts, "pty", data, n))
            off += len(data)
            done += n
            ts += 7
            if len(rows) >= 2000:
                con.executemany(INSERT_LOG, rows)
                rows = []
        con.executemany(INSERT_LOG, rows)
        status = rnd.choices(["completed", "failed", "cancelled"], [7, 2, 1])[0]
        con.execute(INSERT_SESSION, session_row(sid, k, created, rnd, status, seq, off))
        add_side_rows(con, sid, k, created, rnd, status)
        if kind:
            flat = b"".join(flat)
            targets[kind] = (sid, b"".join(flat.split(b"\r\n")[-101:-1][i] + b"\r\n" for i in range(100)), flat)
    close_bulk(con, path)
    return targets


def build_sessions_store(binary, path, sessions, rnd, running=10):
    empty_db(binary, path)
    con = open_bulk(path)
    for k in range(sessions):
        created = T0 + k * 6_000
        sid = uuid7(created, rnd)
        status = "running" if k >= sessions - running else None
        row = session_row(sid, k, created, rnd, status, 1, 5 * LINE, pid=4_000_000 + k if status else None)
        con.execute(INSERT_SESSION, row)
        data = b"".join(line(b"s", i) for i in range(5))
        con.execute(INSERT_LOG, (sid, 1, 0, created + 10, "pty", data, 5))
        add_side_rows(con, sid, k, created, rnd, row[5])
    close_bulk(con, path)


def time_start(binary, home):
    d = C.Daemon(binary, home=home)
    t = d.start()
    return d, t


def stop_timed(d):
    t = time.perf_counter()
    d.stop()
    return time.perf_counter() - t


def bench_store(cfg, label, home, targets, reps):
    res = {"label": label}
    d, t_start = time_start(cfg["binary"], home)
    res["start_s"] = t_start
    try:
        api = d.api
        # ---- tail through the API
        for kind, (sid, want, flat) in targets.items():
            path = "/api/sessions/%s/logs?tail=100&format=raw" % sid
            st, _, body = api.raw("GET", path)
            assert st == 200 and body == want, "tail of %s returned other bytes" % kind
            ts = []
            for _ in range(reps * 10):
                t = time.perf_counter()
                api.raw("GET", path)
                ts.append((time.perf_counter() - t) * 1000)
            res["tail_api_ms_" + kind] = C.summary(ts)
            res["tail_api_ms_" + kind]["p90"] = C.pct(ts, 90)
            # CLI vs tail(1), alternating
            flatfile = os.path.join(home, kind + ".log")
            with open(flatfile, "wb") as f:
                f.write(flat)
            cli, ref = [], []
            for _ in range(reps * 2):
                t = time.perf_counter()
                out = subprocess.run([cfg["binary"], "logs", "--tail", "100", sid], env=d.env, capture_output=True)
                cli.append((time.perf_counter() - t) * 1000)
                assert out.returncode == 0, out.stderr
                t = time.perf_counter()
                subprocess.run(["tail", "-n", "100", flatfile], capture_output=True)
                ref.append((time.perf_counter() - t) * 1000)
            res["tail_cli_ms_" + kind] = C.summary(cli)
            res["tail_file_ms_" + kind] = C.summary(ref)
            res["tail_cli_vs_tail1_" + kind] = C.summary([a / b for a, b in zip(cli, ref)])
        # ---- listing with filters
        filters = {"none": "", "status=failed": "&status=failed", "tool=claude": "&tool=claude",
                   "project": "&project=" + PROJECTS[7], "spec=012": "&spec=012"}
        sqls = {"none": ("", []), "status=failed": (" AND status = ?", ["failed"]),
                "tool=claude": (" AND tool = ?", ["claude"]), "project": (" AND project_path = ?", [PROJECTS[7]]),
                "spec=012": (" AND id IN (SELECT session_id FROM session_specs WHERE spec_id = ? OR spec_id LIKE ? || '-%')",
                             ["012", "012"])}
        con = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
        res["list_ms"], res["list_sql_ms"], res["list_count"] = {}, {}, {}
        for name, q in filters.items():
            path = "/api/sessions?limit=100" + q
            n = len(api.call("GET", path)["sessions"])
            ts, ss = [], []
            for _ in range(reps * 4):
                t = time.perf_counter()
                api.raw("GET", path)
                ts.append((time.perf_counter() - t) * 1000)
                where, args = sqls[name]
                t = time.perf_counter()
                con.execute("SELECT * FROM sessions WHERE 1=1" + where + " ORDER BY id DESC LIMIT 100", args).fetchall()
                ss.append((time.perf_counter() - t) * 1000)
            res["list_ms"][name] = C.summary(ts)
            res["list_sql_ms"][name] = C.summary(ss)
            res["list_count"][name] = n
        con.close()
    finally:
        res["stop_s"] = stop_timed(d)
    return res


def run(cfg):
    work = C.tmpdir("history")
    rnd = random.Random(5)
    reps = cfg["history_reps"]
    out = {"sessions": cfg["history_sessions"], "stores": {}, "restart": {}}
    big_home = None
    for total in cfg["history_lines"]:
        label = "%dM" % (total // 1_000_000) if total >= 1_000_000 else "%dk" % (total // 1000)
        home = os.path.join(work, "lines-" + label)
        os.makedirs(home)
        t = time.time()
        targets = build_lines_store(cfg["binary"], os.path.join(home, "agentmux.db"), cfg["history_sessions"], total, rnd)
        build_s = time.time() - t
        size = os.path.getsize(os.path.join(home, "agentmux.db"))
        C.log("history: built the %s-line store (%.0f MB) in %.0f s" % (label, size / 1e6, build_s))
        r = bench_store(cfg, label, home, targets, reps)
        r.update({"lines": total, "db_mb": size / 1e6, "build_s": build_s})
        out["stores"][label] = r
        C.log("history %s: tail API bulk %.2f ms trickle %.2f ms; CLI %.1f ms vs tail(1) %.1f ms; list %s" % (
            label, r["tail_api_ms_bulk"]["median"], r["tail_api_ms_trickle"]["median"],
            r["tail_cli_ms_bulk"]["median"], r["tail_file_ms_bulk"]["median"],
            ", ".join("%s %.1f ms" % (k, v["median"]) for k, v in r["list_ms"].items())))
        if big_home:
            shutil.rmtree(big_home, ignore_errors=True)
        big_home, big_label = home, label
    # ---- restart
    n = cfg["history_restart_sessions"]
    src = os.path.join(work, "sessions.db")
    t = time.time()
    build_sessions_store(cfg["binary"], src, n, rnd)
    C.log("history: built the %d-session store (%.0f MB) in %.0f s" % (n, os.path.getsize(src) / 1e6, time.time() - t))
    starts = {"empty": [], "%dk_sessions" % (n // 1000): [], big_label + "_lines": []}
    stops = {k: [] for k in starts}
    for rep in range(reps):
        for kind in starts:
            if kind == "empty":
                home = os.path.join(work, "empty-%d" % rep)
                os.makedirs(home)
            elif kind.endswith("_sessions"):
                home = os.path.join(work, "sess-%d" % rep)
                os.makedirs(home)
                shutil.copy(src, os.path.join(home, "agentmux.db"))  # restores the 10 `running` rows each time
                fsync_file(os.path.join(home, "agentmux.db"))
            else:
                home = big_home
            d, t_start = time_start(cfg["binary"], home)
            if kind.endswith("_sessions"):
                live = d.api.call("GET", "/api/sessions?status=interrupted&limit=1000")["sessions"]
                assert len(live) == 10, "recovery marked %d sessions interrupted, expected 10" % len(live)
            starts[kind].append(t_start)
            stops[kind].append(stop_timed(d))
            if home != big_home:
                shutil.rmtree(home, ignore_errors=True)
    for kind in starts:
        out["restart"][kind] = {"start_s": C.summary(starts[kind]), "stop_s": C.summary(stops[kind])}
        C.log("history restart %-14s start %.0f ms (stop %.0f ms)" % (kind, C.median(starts[kind]) * 1000,
                                                                    C.median(stops[kind]) * 1000))
    out["restart_sessions"] = n
    return out
