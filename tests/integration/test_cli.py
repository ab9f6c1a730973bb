"""Session lifecycle through the CLI (and the HTTP API on the unix socket), as a user sees it."""

import os
import re
import stat
import subprocess
import time

import pytest

from conftest import BIN, group_members, pid_alive, pids_with_env, proc_stat, wait_for

ENV_SCRIPT = ('printf "IDS=[%s]\\n" "$LEANSPEC_SPEC_IDS"; printf "ID=[%s]\\n" "$LEANSPEC_SPEC_ID"; '
              'printf "PROMPT=[%s]\\n" "${LEANSPEC_PROMPT-unset}"; printf "PP=[%s]\\n" "$LEANSPEC_PROJECT_PATH"; '
              'printf "SID=[%s]\\n" "$AGENTMUX_SESSION_ID"')


def parse_env_output(text):
    return dict(re.findall(r"^(\w+)=\[(.*)\]\r?$", text, re.M))


# ---------------------------------------------------------------- exit codes

@pytest.mark.parametrize("script, code, status, sig", [
    ("exit 0", 0, "completed", None),
    ("echo oops >&2; exit 3", 3, "failed", None),
    ("kill -9 $$", 137, "failed", "SIGKILL"),
    ("kill -TERM $$", 143, "failed", "SIGTERM"),
])
def test_run_exits_with_the_sessions_exit_code(home, project, script, code, status, sig):
    cp = home.cli("run", "-C", project, "--", "sh", "-c", script, check=False, timeout=30)
    assert cp.returncode == code, cp.stderr
    s = home.view(home.cli_json("ls")[0]["id"])
    assert s["status"] == status
    assert s["signal"] == sig
    assert s["exit_code"] == (None if sig else code)
    assert s["duration_ms"] is not None and s["ended_at"] and s["pid"] is None


def test_run_streams_output_and_logs_raw_keeps_the_exact_bytes(home, project):
    script = r"printf 'one\n'; printf 'caf\303\251 \033[1mbold\033[0m\n'; printf '\377\376 not utf-8\n'"
    cp = subprocess.run([str(BIN), "run", "-C", str(project), "--", "sh", "-c", script], env=home.env,
                        capture_output=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert b"one" in cp.stdout and b"caf\xc3\xa9 \x1b[1mbold" in cp.stdout and b"\xff\xfe not utf-8" in cp.stdout
    sid = home.cli_json("ls")[0]["id"]
    raw = home.raw_log(sid)
    assert raw == cp.stdout
    s = home.view(sid)
    assert s["log_bytes"] == len(raw)


def test_logs_tail(home, project):
    cp = home.cli("run", "-C", project, "--", "sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo n$i; done")
    sid = home.cli_json("ls")[0]["id"]
    tail = home.cli("logs", sid, "--tail", "3").stdout
    assert [l.strip() for l in tail.splitlines()] == ["n8", "n9", "n10"]
    assert home.cli("logs", sid).stdout == cp.stdout


# ---------------------------------------------------------------- ids and errors

def test_unknown_id_says_there_is_no_such_session(home, project):
    home.cli("run", "-C", project, "--", "true")
    for cmd in (["view"], ["logs"], ["stop"], ["rm"], ["events"]):
        cp = home.cli(*cmd, "0000dead", check=False)
        assert cp.returncode != 0, cmd
        assert "no session" in cp.stderr.lower(), (cmd, cp.stderr)
        assert "0000dead" in cp.stderr


def test_ambiguous_prefix_lists_the_candidates_and_a_unique_prefix_works(home, project):
    a = home.run_detached("-C", project, "--", "true")
    b = home.run_detached("-C", project, "--", "true")
    common = os.path.commonprefix([a, b])
    assert common, "UUIDv7 ids created together share a prefix"
    cp = home.cli("view", common, check=False)
    assert cp.returncode != 0
    assert a in cp.stderr and b in cp.stderr
    assert "several" in cp.stderr or "ambiguous" in cp.stderr.lower()
    # A prefix just long enough to be unique selects the session.
    n = len(common) + 1
    assert home.view(a[:n])["id"] == a
    assert home.view(b[:n])["id"] == b


def test_pausing_a_completed_session_is_refused(home, project):
    home.cli("run", "-C", project, "--", "true")
    sid = home.cli_json("ls")[0]["id"]
    cp = home.cli("pause", sid, check=False)
    assert cp.returncode != 0
    assert "cannot pause a completed session" in cp.stderr
    assert home.view(sid)["status"] == "completed"


def test_unknown_spec_is_an_error_listing_close_matches(home, project):
    cp = home.cli("run", "--spec", "999", "-C", project, "--", "true", check=False)
    assert cp.returncode != 0
    assert "'999'" in cp.stderr and "not found" in cp.stderr
    assert "001-hello-file" in cp.stderr or "028-cli-ui-modernization" in cp.stderr
    assert home.cli_json("ls") == []  # nothing was created


def test_unknown_spec_typo_lists_the_nearest_spec_first(home, project):
    cp = home.cli("run", "--spec", "321", "-C", project, "--", "true", check=False)
    assert cp.returncode != 0
    m = re.search(r"close matches: (.*)", cp.stderr)
    assert m, cp.stderr
    first = m.group(1).split(",")[0].strip()
    assert first == "320-session-recovery", "a typo of 320 should suggest 320 first: " + cp.stderr.strip()


def test_spec_by_full_slug_resolves(home, project):
    cp = home.cli("run", "--spec", "028-cli-ui-modernization", "-C", project, "--", "sh", "-c", ENV_SCRIPT)
    assert parse_env_output(cp.stdout)["ID"].startswith("028")


def test_missing_binary_is_a_clear_error(home, project):
    t0 = time.monotonic()
    cp = home.cli("run", "-C", project, "--", "no-such-binary-xyz", "--flag", check=False, timeout=30)
    assert time.monotonic() - t0 < 10
    assert cp.returncode != 0
    assert "no-such-binary-xyz" in cp.stderr and "not found" in cp.stderr


def test_bad_project_path_is_a_clear_error(home, project):
    cp = home.cli("run", "-C", str(project / "nope"), "--", "true", check=False)
    assert cp.returncode != 0
    assert "nope" in cp.stderr


# ---------------------------------------------------------------- environment of the agent

@pytest.mark.parametrize("args, ids, first, prompt", [
    ([], "", "", "unset"),
    (["--prompt", "fix the login bug"], "", "", "fix the login bug"),
    (["--spec", "001"], "001", "001", "unset"),
    (["--spec", "028", "--spec", "320"], "028,320", "028", "unset"),
    (["--spec", "320", "--spec", "028", "--prompt", "go"], "320,028", "320", "go"),
], ids=["nothing", "prompt-only", "one-spec", "two-specs-in-order", "specs-and-prompt"])
def test_session_environment(home, project, args, ids, first, prompt):
    cp = home.cli("run", *args, "-C", project, "--", "sh", "-c", ENV_SCRIPT, timeout=30)
    env = parse_env_output(cp.stdout)
    assert env["IDS"] == ids
    assert env["ID"] == first
    assert env["PROMPT"] == prompt
    assert env["PP"] == str(project)
    s = home.view(env["SID"])
    assert s["id"] == env["SID"]
    assert len(s["spec_ids"]) == (len(ids.split(",")) if ids else 0)


def test_env_flag_reaches_the_session(home, project):
    cp = home.cli("run", "-e", "AMX_COLOR=blue", "--env", "AMX_EMPTY=", "-C", project, "--",
                  "sh", "-c", 'printf "[%s][%s]\\n" "$AMX_COLOR" "${AMX_EMPTY-unset}"')
    assert "[blue][]" in cp.stdout


def test_env_flag_without_a_value_passes_the_callers_value(home, project):
    # The daemon started long before; `-e NAME` hands over this shell's value, like `docker run -e`.
    home.cli("ls")
    cp = home.cli("run", "-e", "AMX_FROM_SHELL", "-C", project, "--", "sh", "-c", 'echo "[$AMX_FROM_SHELL]"',
                  env={"AMX_FROM_SHELL": "from the shell"})
    assert "[from the shell]" in cp.stdout
    cp = home.cli("run", "-e", "AMX_NOT_SET_ANYWHERE", "-C", project, "--", "true", check=False)
    assert cp.returncode != 0 and "AMX_NOT_SET_ANYWHERE is not set" in cp.stderr


# ---------------------------------------------------------------- list / view

def test_ls_and_view_json(home, project):
    ok = home.run_detached("-C", project, "--spec", "001", "--", "true")
    home.wait_status(ok)
    bad = home.run_detached("-C", project, "--", "sh", "-c", "exit 2")
    home.wait_status(bad)

    sessions = home.cli_json("ls")
    assert [s["id"] for s in sessions] == [bad, ok]  # newest first
    assert [s["id"] for s in home.cli_json("ls", "--status", "failed")] == [bad]
    assert [s["id"] for s in home.cli_json("ls", "--spec", "001")] == [ok]
    assert [s["id"] for s in home.cli_json("ls", "-n", "1")] == [bad]

    s = home.view(ok)
    for field in ("id", "status", "exit_code", "signal", "pid", "agent_session_id", "token_count", "input_tokens",
                  "output_tokens", "cache_read_tokens", "cache_creation_tokens", "cost_usd", "num_turns", "error",
                  "spec_ids", "prompt", "log_seq", "log_bytes", "project_path", "tool", "mode", "command",
                  "created_at", "started_at", "ended_at", "duration_ms", "parent_id", "metadata"):
        assert field in s, field
    assert s["tool"] == "shell" and s["command"] == ["true"] and s["project_path"] == str(project)
    for ts in ("created_at", "started_at", "ended_at"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", s[ts]), s[ts]
    assert home.view(bad)["error"]

    human = home.cli("ls").stdout
    short = {sid: home.view(sid)["short_id"] for sid in (ok, bad)}
    assert ok.endswith(short[ok] + ok[-4:]) and short[ok] in human and short[bad] in human
    assert "failed" in human and "completed" in human
    human = home.cli("view", ok).stdout
    assert ok in human and "completed" in human


def test_create_then_start(home, project):
    sid = home.cli("create", "-C", project, "--", "sh", "-c", "echo started-later").stdout.strip()
    assert home.view(sid)["status"] == "pending"
    home.cli("start", sid)
    assert home.wait_status(sid)["status"] == "completed"
    assert b"started-later" in home.raw_log(sid)
    cp = home.cli("start", sid, check=False)
    assert cp.returncode != 0


# ---------------------------------------------------------------- control

def test_rm_of_a_running_session_is_refused(home, project):
    sid = home.run_detached("-C", project, "--", "sleep", "30")
    home.wait_status(sid, {"running"})
    cp = home.cli("rm", sid, check=False)
    assert cp.returncode != 0
    assert "running" in cp.stderr or "stop" in cp.stderr
    assert home.view(sid)["status"] == "running"
    home.cli("stop", sid, "--grace", "1")
    home.cli("rm", sid)
    cp = home.cli("view", sid, check=False)
    assert cp.returncode != 0 and "no session" in cp.stderr
    assert home.cli_json("ls") == []


def test_stop_also_ends_processes_that_left_the_process_group(home, project):
    # Like the Codex TUI's app-server daemon: a child that calls setsid() escapes the group.
    sid = home.run_detached("-C", project, "--", "sh", "-c", "setsid sleep 1000 & echo ready; sleep 1000")
    wait_for(lambda: b"ready" in home.raw_log(sid), what="ready")
    escaped = wait_for(lambda: [p for p in pids_with_env("AGENTMUX_SESSION_ID=" + sid)
                                if proc_stat(p)[1] != home.view(sid)["pid"]], what="the setsid child")
    home.cli("stop", sid, "--grace", "1")
    wait_for(lambda: not any(pid_alive(p) for p in escaped), timeout=5, what="the escaped process to end")
    assert not pids_with_env("AGENTMUX_SESSION_ID=" + sid)
    ended = home.cli_json("events", sid)[-1]
    assert ended["event_type"] == "cancelled" and ended["data"]["killed_escaped_pids"] == escaped


def test_stop_with_grace_kills_a_term_ignoring_process_group(home, project):
    script = "trap '' TERM; (trap '' TERM; while :; do sleep 0.1; done) & echo ready; while :; do sleep 0.1; done"
    sid = home.run_detached("-C", project, "--", "sh", "-c", script)
    s = home.wait_status(sid, {"running"})
    pgid = proc_stat(s["pid"])[1]
    wait_for(lambda: b"ready" in home.raw_log(sid), what="ready")
    assert len(group_members(pgid)) >= 2

    # The ladder's timing is checked with fake time in src/session/engine_fake_test.cc; here, that
    # a real TERM-ignoring group ends by SIGKILL once `--grace` is over, grandchild included.
    cp = home.cli("stop", sid, "--grace", "1", timeout=30)
    assert "cancelled" in cp.stdout
    s = home.view(sid)
    assert s["status"] == "cancelled"
    assert s["signal"] == "SIGKILL", "the group ignored SIGTERM: only SIGKILL after the grace ends it"
    assert s["pid"] is None
    assert group_members(pgid) == [], "process group %d still has %s" % (pgid, group_members(pgid))
    kinds = [e["event_type"] for e in home.cli_json("events", sid)]
    assert "cancelled" in kinds


def test_stop_of_a_cooperative_process_is_quick(home, project):
    sid = home.run_detached("-C", project, "--", "sleep", "30")
    home.wait_status(sid, {"running"})
    home.cli("stop", sid, "--grace", "60", timeout=30)
    s = home.view(sid)
    assert s["status"] == "cancelled"
    assert s["signal"] == "SIGTERM", "ended by SIGTERM: none of the 60 s grace was waited for"


def test_pause_and_resume_freeze_and_thaw_the_process(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", "while :; do echo tick; sleep 0.05; done")
    s = home.wait_status(sid, {"running"})
    pid = s["pid"]
    home.cli("pause", sid)
    assert home.view(sid)["status"] == "paused"
    wait_for(lambda: proc_stat(pid)[0] == "T", timeout=5, what="the process to be stopped")
    n = len(home.raw_log(sid))
    time.sleep(0.4)
    assert len(home.raw_log(sid)) == n, "a paused session kept printing"
    home.cli("resume", sid)
    assert home.view(sid)["status"] == "running"
    wait_for(lambda: len(home.raw_log(sid)) > n, timeout=5, what="output after resume")
    assert [e["event_type"] for e in home.cli_json("events", sid)].count("paused") == 1
    home.cli("stop", sid, "--grace", "1")


# ---------------------------------------------------------------- daemon and API

def test_socket_and_data_dir_are_private(home, project):
    home.cli("ls")
    assert stat.S_ISSOCK(os.stat(home.socket).st_mode)
    assert stat.S_IMODE(os.stat(home.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home.dir).st_mode) == 0o700


def test_http_api_on_the_unix_socket(home, project):
    home.cli("ls")  # starts the daemon
    code, body = home.api("GET", "/api/health")
    assert code == 200
    code, body = home.api("POST", "/api/sessions", {"project_path": str(project), "spec_id": "028",
                                                    "command": ["sh", "-c", "echo via api"], "start": True})
    assert code in (200, 201), body
    sid = body["id"]
    assert body["spec_ids"][0].startswith("028")
    home.wait_status(sid)
    code, body = home.api("GET", "/api/sessions")
    assert code == 200 and [s["id"] for s in body["sessions"]] == [sid]
    code, body = home.api("GET", "/api/sessions/%s/events" % sid)
    assert code == 200 and "created" in [e["event_type"] for e in body["events"]]
    code, body = home.api("GET", "/api/sessions/0000dead")
    assert code == 404 and body["error"]["code"] and body["error"]["message"]
    code, body = home.api("POST", "/api/sessions/%s/pause" % sid)
    assert code == 409 and "cannot pause" in body["error"]["message"]
    code, body = home.api("POST", "/api/sessions", {"project_path": str(project), "spec_ids": ["999"],
                                                    "command": ["true"]})
    assert code in (400, 404, 422) and "999" in body["error"]["message"]


def test_daemon_is_started_once_by_racing_clients(home, project):
    procs = [subprocess.Popen([str(BIN), "ls", "--json"], env=home.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
    pid = home.daemon_pid()
    assert pid
    wanted = [b"daemon", b"--home", str(home.dir).encode()]
    daemons = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        st = proc_stat(int(d))
        if argv[1:4] == wanted and st and st[0] != "Z":
            daemons.append(int(d))
    assert daemons == [pid], ("racing clients spawned %d daemon processes %s (daemon.json names %d); "
                              "the extra one waits for daemon.lock and then logs an error" % (len(daemons), daemons, pid))


def test_logs_follow_from_a_second_terminal(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c",
                            "for i in 1 2 3 4 5 6 7 8 9 10; do echo f$i; sleep 0.05; done; exit 4")
    home.wait_status(sid, {"running"})
    cp = home.cli("logs", "-f", sid, check=False, timeout=30)
    assert cp.returncode == 4
    assert [l.strip() for l in cp.stdout.splitlines()] == ["f%d" % i for i in range(1, 11)]
    assert home.view(sid)["status"] == "failed"


def test_ctrl_c_on_a_foreground_run_stops_the_session(home, project):
    home.cli("ls")  # daemon up first, so the timing below is the run's own
    p = subprocess.Popen([str(BIN), "run", "-C", str(project), "--", "sh", "-c", "echo up; sleep 30"],
                         env=home.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sid = wait_for(lambda: next((s["id"] for s in home.cli_json("ls") if s["status"] == "running"), None),
                       what="the session to run")
        wait_for(lambda: b"up" in home.raw_log(sid), what="output")
        p.send_signal(2)  # SIGINT, as Ctrl-C in the terminal
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode != 0
    assert home.view(sid)["status"] == "cancelled"


def test_stop_of_a_pending_session_cancels_it(home, project):
    sid = home.cli("create", "-C", project, "--", "true").stdout.strip()
    home.cli("stop", sid)
    s = home.view(sid)
    assert s["status"] == "cancelled" and s["started_at"] is None
    assert home.cli("start", sid, check=False).returncode != 0
