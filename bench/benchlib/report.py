"""Turns the results dict into the printed table and bench/results/latest.md."""


def f(x, fmt="%.1f"):
    return "—" if x is None else fmt % x


def mm(s, fmt="%.1f"):
    """median [min–max] of a summary."""
    if not s or s.get("median") is None:
        return "—"
    if s["n"] == 1:
        return fmt % s["median"]
    return (fmt + " [" + fmt + "–" + fmt + "]") % (s["median"], s["min"], s["max"])


def verdict(ok):
    return "n/a (quick)" if ok is None else ("**met**" if ok else "**missed**")


def targets(r):
    """[(target, measured, ok)] for every target of the issue that this run measured. A quick run is a
    smoke test: its scale targets (1,000 sessions, 10M lines, 100k sessions, 10 minutes) are n/a."""
    out = _targets(r)
    if r["mode"] == "quick":
        scale = ("sessions: daemon RSS", "tail of 100", "restart with", "flat RSS")
        out = [(a, b, None if any(k in a for k in scale) else c) for a, b, c in out]
    return out


def _targets(r):
    M = r["measures"]
    out = []
    cap = M.get("capture", {})
    if "ratio_vs_script" in cap:
        v = cap["ratio_vs_script"]["median"]
        out.append(("capture ≥ 0.9× script", f(v, "%.2f×"), v is not None and v >= 0.9))
        v = cap["ratio_vs_tmux"]["median"]
        out.append(("capture ≥ 2× tmux", f(v, "%.2f×"), v is not None and v >= 2))
        mine = all(cap["systems"][k]["all_verified"] for k in ("agentmux", "agentmux_nosub") if cap["systems"].get(k))
        peers = [k for k, s in cap["systems"].items() if s and not k.startswith("agentmux") and not s["all_verified"]]
        out.append(("every agentmux capture run stored every byte (SHA-256)",
                    ("yes" if mine else "NO (see runs)") + ("; peers that lost bytes: " + ", ".join(peers) if peers else ""),
                    mine))
    lat = M.get("latency", {})
    for cond, lim in (("idle", 5), ("load", 50)):
        if cond in lat:
            v = lat[cond]["agentmux"]["p99"]["median"]
            out.append(("latency p99 < %d ms %s" % (lim, cond if cond == "idle" else "under load"),
                        f(v, "%.2f ms"), v is not None and v < lim))
    con = M.get("concurrency", {}).get("counts", {})
    if con:
        n = max(con, key=int)
        s = con[n]["summary"]["agentmux"]
        v = s["rss_peak_mb"]["median"]
        out.append(("%s sessions: daemon RSS < 150 MB" % n, f(v, "%.1f MB"), v is not None and v < 150))
        lost = [c["summary"]["agentmux"]["lost_lines"] for c in con.values()]
        out.append(("0 lost lines (%s sessions)" % ", ".join(con), str(sum(x or 0 for x in lost)),
                    all(x == 0 for x in lost)))
    his = M.get("history", {})
    if his.get("stores"):
        label = list(his["stores"])[-1]
        st = his["stores"][label]
        v = max(st["tail_api_ms_bulk"]["median"], st["tail_api_ms_trickle"]["median"])
        out.append(("tail of 100 lines < 1 ms at %s lines (API, worst of bulk/trickle)" % label, f(v, "%.2f ms"),
                    v < 1))
        rs = [k for k in his.get("restart", {}) if k.endswith("_sessions")]
        if rs:
            v = his["restart"][rs[0]]["start_s"]["median"] * 1000
            out.append(("restart with %s < 200 ms" % rs[0].replace("_", " "), f(v, "%.0f ms"), v < 200))
    mem = M.get("memory", {}).get("systems", {})
    if mem:
        v = mem["agentmux"]["slope_mb_per_min"]
        out.append(("flat RSS over %d s (|slope| < 0.1 MB/min)" % M["memory"]["seconds"], f(v, "%+.3f MB/min"),
                    abs(v) < 0.1))
    ck = M.get("checkpoints", {})
    if "checkpoint_s" in ck:
        v = ck["checkpoint_s"]["median"]
        out.append(("checkpoint of %d files (%.0f MB) < 2 s after the first" % (ck["files"], ck["bytes"] / 1e6),
                    f(v, "%.2f s"), v < 2))
    pl = M.get("plans", {})
    if "overhead_ms_p50" in pl:
        out.append(("plan: every run completed", "yes" if pl["all_completed"] else "NO", pl["all_completed"]))
    bl = M.get("biglog", {})
    if "open_median_ms" in bl:
        out.append(("%s-line log opens at its end < 1 s (Chromium)" % format(bl["lines"], ","),
                    "%d ms" % bl["open_median_ms"], bl["open_median_ms"] < 1000))
    mc = M.get("mcp", {})
    if "restore_s" in mc:
        v = mc["restore_s"]["median"]
        out.append(("MCP: restart → orchestrator_get_status < 200 ms (seed: 5 s)", f(v * 1000, "%.0f ms"),
                    v < 0.2 and mc["same_state"]))
        w = mc["workspace_s"]["median"]
        out.append(("workspace detection in a %s-file repo < 50 ms (whole CLI process)" % format(mc["workspace_files"], ","),
                    f(w * 1000, "%.1f ms"), w < 0.05))
    return out


def mcp_section(M):
    mc = M.get("mcp")
    if not mc or "restore_s" not in mc:
        return []
    return ["", "## 9. MCP: restore after a restart, workspace detection", "",
            "An orchestration of %d subtasks (half ran) in a database of %s ended sessions; kill -9 of the daemon, then "
            "a new MCP client (initialize + `orchestrator_get_status` over POST /mcp) polls until it answers; %d "
            "repetitions, alternating with the same restart polled on `GET /api/health`." % (
                mc["subtasks"], format(mc["other_sessions"], ","), mc["reps"]), "",
            "| what | seconds |", "|---|---|",
            "| spawn → `orchestrator_get_status` answered | %s |" % mm(mc["restore_s"], "%.3f"),
            "| spawn → `/api/health` answered (reference: the daemon serves at all) | %s |" % mm(mc["health_s"], "%.3f"),
            "| the MCP answer's extra (median difference) | %.1f ms |" % mc["restore_minus_health_ms"],
            "| same subtasks and states after every restart | %s |" % ("yes" if mc["same_state"] else "NO"),
            "| `agentmux workspace --json` in a %s-file repo (root and deep; whole process) | %s |" % (
                format(mc["workspace_files"], ","), mm(mc["workspace_s"], "%.4f")),
            "| `git rev-parse --show-toplevel` there (reference) | %s |" % mm(mc["git_toplevel_s"], "%.4f"),
            "| workspace / git | %.2f |" % mc["workspace_ratio_vs_git"]]


def plans_section(M):
    pl = M.get("plans")
    if not pl or "systems" not in pl:
        return []
    L = ["", "## 6. Plans: time between tasks", "",
         "%d shell tasks per plan, %d repetitions; each task appends a timestamp when it starts and ends, so the gap "
         "is the time from one task's end to the next task's start (the same commands run by a bash script "
         "are the reference)." % (pl["tasks"], pl["reps"]), "",
         "| system | gap p50 ms | gap p90 ms | gap max ms | wall s |", "|---|---|---|---|---|"]
    for s, v in pl["systems"].items():
        L.append("| %s | %s | %s | %s | %s |" % (s, f(v["gap_ms_p50"], "%.2f"), f(v["gap_ms_p90"], "%.2f"),
                                                f(v["gap_ms_max"], "%.2f"), mm(v["wall_s"], "%.2f")))
    L += ["", "agentmux adds %.2f ms per task (p50 gap minus the script's). Plan state written per task: %.1f writes of "
          "the plan's row (its state JSON is %d bytes) and %.1f events." % (
              pl["overhead_ms_p50"], pl["plan_writes_per_task"], pl["state_bytes"], pl["plan_events_per_task"])]
    return L


def checkpoints_section(M):
    ck = M.get("checkpoints")
    if not ck or "checkpoint_s" not in ck:
        return []
    return ["", "## 7. Checkpoints on a large tree", "",
            "%d files, %.0f MB, committed; 10 files changed before each checkpoint; %d repetitions." % (
                ck["files"], ck["bytes"] / 1e6, ck["reps"]), "",
            "| what | seconds |", "|---|---|",
            "| agentmux checkpoint (private index, whole working tree) | %s |" % mm(ck["checkpoint_s"], "%.3f"),
            "| `git stash create` (tracked changes only) | %s |" % mm(ck["stash_create_s"], "%.3f"),
            "| agentmux / stash create | %s |" % mm(ck["ratio_vs_stash_create"], "%.2f"),
            "| first session start in the tree (its before checkpoint: cold) | %.3f |" % ck["first_start_with_checkpoint_s"],
            "| session start in the tree (with its before checkpoint) | %s |" % mm(ck["start_in_repo_s"], "%.3f"),
            "| session start outside git | %s |" % mm(ck["start_outside_git_s"], "%.3f"), "",
            "Objects a checkpoint adds: %s (the changed blobs and the trees above them, and the commit)." %
            mm(ck["objects_added"], "%.0f")]


def biglog_section(M):
    bl = M.get("biglog")
    if not bl or "open_median_ms" not in bl:
        return []
    return ["", "## 8. A big log opens at its end", "",
            "A finished session of %s lines (%.1f MiB in %s chunks) opened in Chromium, 3 loads." % (
                format(bl["lines"], ","), bl["log_bytes"] / 1048576, format(bl["chunks"], ",")), "",
            "| what | ms |", "|---|---|",
            "| navigation → last line on screen (each load) | %s |" % ", ".join(str(x) for x in bl["open_ms"]),
            "| median | %d |" % bl["open_median_ms"],
            "| reference: fetching the whole log (GET …/logs?format=raw, all pages) | %d |" % bl["fetch_all_ms"],
            "| open / fetch-all | %.2f |" % bl["ratio_vs_fetch_all"]]


def table(r):
    rows = [("target", "measured", "status")] + [(a, b, verdict(c).replace("*", "")) for a, b, c in targets(r)]
    w = [max(len(x[i]) for x in rows) for i in range(3)]
    lines = ["  ".join(x[i].ljust(w[i]) for i in range(3)) for x in rows]
    lines.insert(1, "  ".join("-" * w[i] for i in range(3)))
    return "\n".join(lines)


def markdown(r):
    M = r["measures"]
    m = r["machine"]
    L = ["# agentmux benchmark results (%s run)" % r["mode"], "",
         "HEAD `%s`, binary built %s (sha256 `%s…`); run started %s, took %d s. Machine: %s, %s cores, %s GB RAM, kernel %s, /tmp on %s. "
         "Peers: tmux %s, script (%s), pm2 %s on node %s." % (
             r["commit"], r.get("binary_built_at", "?"), r["binary_sha256"], r["started_at"], r["elapsed_s"], m.get("cpu", "?"), m.get("nproc"),
             m.get("mem_gb"), m.get("kernel"), m.get("disk_tmp"), (r["tools"].get("tmux") or "").replace("tmux ", ""),
             r["tools"].get("script"), r["tools"].get("pm2"), r["tools"].get("node")),
         ""]
    if r.get("merged_from"):
        L += ["Measures were rerun with `bench/run --merge`: %s; the others come from the run of %s (HEAD `%s`)." % (
            ", ".join("%s at `%s`" % (k, (v.get("commit") or "?")[:12]) for k, v in M.items()
                      if v.get("commit") != r["merged_from"].get("commit")),
            r["merged_from"].get("started_at"), (r["merged_from"].get("commit") or "?")[:12]), ""]
    L += ["Values are median [min–max] over the repetitions; ratios are taken per repetition (agentmux and its "
         "peer measured back to back), then their median.", "", "## Targets", "",
         "| target | measured | status |", "|---|---|---|"]
    L += ["| %s | %s | %s |" % t for t in [(a, b, verdict(c)) for a, b, c in targets(r)]]
    cap = M.get("capture")
    if cap and "systems" in cap:
        L += ["", "## 1. Capture throughput", "",
              "%d lines × %d bytes (%.0f MB) written by `cat` as fast as it can; %d repetitions." % (
                  cap["lines"], cap["line_bytes"], cap["payload_bytes"] / 1e6, r["params"]["capture_reps"]), "",
              "| system | MB/s | seconds | capturer CPU s | all bytes verified | agentmux / system |", "|---|---|---|---|---|---|"]
        for s, v in cap["systems"].items():
            ratio = cap.get("ratio_vs_" + s)
            L.append("| %s | %s | %s | %s | %s | %s |" % (s, mm(v["mb_s"]), mm(v["seconds"], "%.2f"), mm(v["cpu_s"], "%.2f"),
                                                          "yes" if v["all_verified"] else "**no**",
                                                          mm(ratio, "%.2f") if ratio else "—"))
        a = cap["runs"]["agentmux"]
        L += ["", "agentmux runs: chunks stored %s; subscriber got every byte in order: %s; subscriber resyncs %s; "
              "subscriber finished %s s after the session ended." % (
                  ", ".join(str(x.get("chunks")) for x in a),
                  ", ".join(str(x.get("subscriber_complete")) for x in a),
                  ", ".join(str(x.get("subscriber_resyncs")) for x in a),
                  ", ".join(f(x.get("subscriber_lag_s"), "%.2f") for x in a))]
        lost = ["%s rep %d: %d bytes missing" % (s, x["rep"] + 1, x["lost_bytes"]) for s, xs in cap["runs"].items()
                for x in xs if x.get("lost_bytes")]
        if lost:
            L += ["", "Runs that did not store every byte (their time is when the file stopped growing): " + "; ".join(lost)]
        errs = [(s, x["error"]) for s, xs in cap["runs"].items() for x in xs if x.get("error")]
        L += ["", "Errors: " + "; ".join("%s: %s" % e for e in errs)] if errs else []
    lat = M.get("latency")
    if lat and "idle" in lat:
        L += ["", "## 2. Live latency (agent write → client receipt, ms)", "",
              "%d lines, one every %.0f ms; load = %d other sessions × %d lines/s. agentmux: WebSocket client; "
              "tmux: control-mode client; pty: the bench reading the PTY master (floor)." % (
                  lat["lines"], lat["interval_ms"], lat["load_sessions"], lat["load_lines_s"]), "",
              "| condition | system | p50 | p99 | max |", "|---|---|---|---|---|"]
        for cond in ("idle", "load"):
            for s in ("agentmux", "tmux", "pty"):
                v = lat[cond][s]
                L.append("| %s | %s | %s | %s | %s |" % (cond, s, mm(v["p50"], "%.3f"), mm(v["p99"], "%.3f"), mm(v["max"], "%.2f")))
        L += ["", "p99 ratio agentmux/tmux: idle %s, load %s; agentmux/pty: idle %s, load %s." % (
            mm(lat["idle"]["p99_ratio_vs_tmux"], "%.2f"), mm(lat["load"]["p99_ratio_vs_tmux"], "%.2f"),
            mm(lat["idle"]["p99_ratio_vs_pty"], "%.2f"), mm(lat["load"]["p99_ratio_vs_pty"], "%.2f"))]
    con = M.get("concurrency")
    if con and con.get("counts"):
        L += ["", "## 3. Concurrency", "",
              "Each session prints one numbered line every 100 ms for %d s; RSS and CPU of the manager process "
              "(agentmux daemon / pm2 God daemon), sampled every second." % con["seconds"], "",
              "| sessions | system | runs | RSS peak MB | RSS end MB | CPU % | lost lines | start all (s) |",
              "|---|---|---|---|---|---|---|---|"]
        for n, c in con["counts"].items():
            for s, v in c["summary"].items():
                L.append("| %s | %s | %d | %s | %s | %s | %s | %s |" % (
                    n, s, v["ran"], mm(v["rss_peak_mb"]), mm(v["rss_end_mb"]), mm(v["cpu_pct"]),
                    v["lost_lines"] if v["lost_lines"] is not None else "—", mm(v["create_s"])))
                if v["errors"]:
                    L.append("| %s | %s | | could not run: %s | | | | |" % (n, s, v["errors"][0][:120]))
    his = M.get("history")
    if his and his.get("stores"):
        L += ["", "## 4. History scale", "",
              "%d sessions per store; lines of 85 bytes; API calls on a kept-alive unix-socket connection." % his["sessions"], "",
              "| store | DB MB | tail API bulk ms | tail API trickle ms | CLI `logs --tail 100` ms | `tail -n 100` file ms | daemon start ms |",
              "|---|---|---|---|---|---|---|"]
        for label, st in his["stores"].items():
            L.append("| %s lines | %.0f | %s | %s | %s | %s | %.0f |" % (
                label, st["db_mb"], mm(st["tail_api_ms_bulk"], "%.2f"), mm(st["tail_api_ms_trickle"], "%.2f"),
                mm(st["tail_cli_ms_bulk"]), mm(st["tail_file_ms_bulk"]), st["start_s"] * 1000))
        L += ["", "| store | filter | sessions returned | API ms | same SELECT on the file ms |", "|---|---|---|---|---|"]
        for label, st in his["stores"].items():
            for k, v in st["list_ms"].items():
                L.append("| %s | %s | %d | %s | %s |" % (label, k, st["list_count"][k], mm(v, "%.2f"),
                                                        mm(st["list_sql_ms"][k], "%.2f")))
        L += ["", "Daemon start → first answered `/api/health` (ms), and SIGTERM → exit:", "",
              "| store | start ms | stop ms |", "|---|---|---|"]
        for k, v in his["restart"].items():
            L.append("| %s | %s | %s |" % (k.replace("_", " "), mm({x: (y * 1000 if isinstance(y, float) else y)
                                                                      for x, y in v["start_s"].items()}, "%.0f"),
                                          mm({x: (y * 1000 if isinstance(y, float) else y) for x, y in v["stop_s"].items()}, "%.0f")))
    mem = M.get("memory")
    if mem and mem.get("systems"):
        L += ["", "## 5. Memory over time", "",
              "One session streaming %d lines/s for %d s to %d clients, all three servers side by side." % (
                  mem["lines_s"], mem["seconds"], mem["clients"]), "",
              "| system | RSS after warm-up MB | RSS end MB | peak MB | slope MB/min | slope 2nd half | CPU % |",
              "|---|---|---|---|---|---|---|"]
        for s, v in mem["systems"].items():
            L.append("| %s | %.1f | %.1f | %.1f | %+.3f | %+.3f | %.0f |" % (
                s, v["rss_start_mb"], v["rss_end_mb"], v["rss_peak_mb"], v["slope_mb_per_min"],
                v["slope_2nd_half_mb_per_min"], v["cpu_pct"]))
        a = mem["systems"]["agentmux"]
        L += ["", "agentmux clients that got every byte once and in order: %d of %d (resyncs: %d)." % (
            a.get("clients_complete", 0), mem["clients"], a.get("client_resyncs", 0))]
    L += plans_section(M)
    L += checkpoints_section(M)
    L += biglog_section(M)
    L += mcp_section(M)
    errs = [(k, v["error"]) for k, v in M.items() if "error" in v]
    if errs:
        L += ["", "## Errors", ""] + ["- %s: %s" % e for e in errs]
    L += ["", "Elapsed per measure: " + ", ".join("%s %.0f s" % (k, v.get("elapsed_s", 0)) for k, v in M.items()), ""]
    return "\n".join(L)
