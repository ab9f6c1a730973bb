"""A daily driver (issue 16), as a person uses it: sessions that ask for attention (the genuine
Claude Code TUI idle at its prompt, through the scripted model server), names and short ids,
`last`, the caller's environment, `ls` that fits 80 columns, JSON everywhere `--json` is asked."""

import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import fcntl
import time

import pytest

from conftest import BIN, PYTHON, REPO, pid_alive, wait_for


def in_pty(home, args, cols=80, rows=24, send=None, timeout=20, env=None):
    """Runs `agentmux ARGS` with a PTY (cols × rows) as its terminal; returns what it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    e = dict(home.env, COLUMNS=str(cols), LINES=str(rows))
    e.update(env or {})
    proc = subprocess.Popen([str(BIN), *map(str, args)], stdin=slave, stdout=slave, stderr=slave, env=e,
                            cwd=str(home.root), start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    sent = False
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        if send and not sent and send[0] in out:
            os.write(master, send[1])
            sent = True
        if proc.poll() is not None and not r:
            break
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)
    os.close(master)
    return out.decode("utf-8", "replace"), proc.returncode


def get(home, ref):
    """The session as the API gives it (unlike `view`, this does not count as someone looking)."""
    status, s = home.api("GET", "/api/sessions/%s" % ref)
    assert status == 200, s
    return s


def run_json(home, *args):
    """`agentmux run -d --json ARGS…` → the new session."""
    return json.loads(home.cli("run", "-d", "--json", *args).stdout)


def display_width(line):
    return len(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line))


# ---------------------------------------------------------------- names and ids

def test_sessions_have_names_usable_wherever_an_id_is(home, project):
    a = run_json(home, "--name", "fix-login", "-C", project, "--", "sleep", "30")
    b = run_json(home, "-C", project, "--", "sleep", "30")
    assert a["name"] == "fix-login"
    assert re.fullmatch(r"[a-z]+-[a-z]+(-\d+)?", b["name"]), b["name"]
    # Created in the same second, their ids share the time end; the short ids (the random end)
    # tell them apart in 4 characters.
    assert a["id"][:8] == b["id"][:8]
    assert a["short_id"][:4] != b["short_id"][:4]
    assert home.view(a["short_id"][:4])["id"] == a["id"]
    assert home.view(b["short_id"][:4])["id"] == b["id"]
    assert home.view("fix-login")["id"] == a["id"]
    # `last` and -N: the newest sessions.
    assert home.view("last")["id"] == b["id"]
    assert home.view("-1")["id"] == b["id"]
    assert home.view("-2")["id"] == a["id"]
    # A live name cannot be taken twice; a bad one is refused with the reason.
    cp = home.cli("run", "-d", "--name", "fix-login", "-C", project, "--", "true", check=False)
    assert cp.returncode == 1 and "already named 'fix-login'" in cp.stderr
    cp = home.cli("run", "-d", "--name", "cafe", "-C", project, "--", "true", check=False)
    assert cp.returncode == 1 and "hex" in cp.stderr
    # stop and rm take several sessions, by name or short id.
    out = home.cli("stop", "--grace", "1", "fix-login", b["short_id"]).stdout
    assert "fix-login (%s) cancelled" % a["short_id"] in out and "%s (%s) cancelled" % (b["name"], b["short_id"]) in out
    for s in (a, b):
        assert not pid_alive(s["pid"])
    home.cli("rm", "fix-login", b["name"])
    assert home.cli_json("ls") == []
    # An unknown one is said, the others still done, exit 1.
    c = home.run_detached("-C", project, "--", "true")
    home.wait_status(c)
    cp = home.cli("rm", "no-such-session", c, check=False)
    assert cp.returncode == 1 and "no-such-session" in cp.stderr and "deleted" in cp.stdout


def test_foreground_run_says_name_and_id_at_start_and_end(home, project):
    out, rc = in_pty(home, ["run", "--mode", "autonomous", "-C", project, "--", "echo", "hello"])
    assert rc == 0
    s = get(home, "last")
    label = "%s (%s)" % (s["name"], s["short_id"])
    assert "session %s started" % label in out and "session %s completed (exit 0)" % label in out, out
    # Watched to its end here: nobody needs telling it ended.
    assert s["attention"] is None


def test_foreground_guided_run_is_interactive(home, project):
    out, rc = in_pty(home, ["run", "--mode", "guided", "-C", project, "--", "sh", "-c",
                            "printf 'name? '; read x; echo got-$x"], send=(b"name? ", b"otter\r"))
    assert "got-otter" in out, out
    assert rc == 0


# ---------------------------------------------------------------- the caller's environment

def test_the_session_gets_the_callers_environment(home, project):
    home.cli("ls")  # the daemon starts without FOO
    cp = home.cli("run", "-C", project, "--", "sh", "-c", "echo FOO=$FOO", env={"FOO": "bar"})
    assert "FOO=bar" in cp.stdout
    cp = home.cli("run", "--clean-env", "-C", project, "--", "sh", "-c", "echo FOO=$FOO", env={"FOO": "bar"})
    assert "FOO=\r\n" in cp.stdout or cp.stdout.strip() == "FOO=", cp.stdout
    # --env still wins over the caller's value; the caller's values are never stored.
    cp = home.cli("run", "-e", "FOO=set", "-C", project, "--", "sh", "-c", "echo FOO=$FOO", env={"FOO": "bar"})
    assert "FOO=set" in cp.stdout
    mark = "m-91c3-" + "z" * 23
    cp = home.cli("run", "-C", project, "--", "sh", "-c", 'echo "length ${#MARK}"', env={"MARK": mark})
    assert "length 30" in cp.stdout
    home.stop_daemon()
    for f in home.dir.glob("agentmux.db*"):
        assert mark.encode() not in f.read_bytes(), f


def test_a_plans_tasks_get_the_callers_environment(home, project):
    home.cli("ls")  # the daemon starts without FOO
    plan = project / "plan.yaml"
    plan.write_text("tasks:\n  - command: echo PLANFOO=$FOO\n    verify: test \"$FOO\" = bar\n")
    cp = home.cli("plan", "run", str(plan), "-C", project, env={"FOO": "bar"}, timeout=60)
    assert "PLANFOO=bar" in cp.stdout, cp.stdout
    cp = home.cli("plan", "run", str(plan), "-C", project, "--clean-env", env={"FOO": "bar"}, check=False, timeout=60)
    assert cp.returncode != 0 and "PLANFOO=bar" not in cp.stdout


def test_callers_api_key_reaches_claude_and_not_the_database(home, project):
    key = "sk-ant-api03-" + "Q7x" * 30
    log = home.root / "fake.jsonl"
    fake = subprocess.Popen([PYTHON, str(REPO / "tests" / "fixtures" / "fake_anthropic.py"), "--port", "0", "--log",
                             str(log), "--key", key], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.fullmatch(r"PORT (\d+)\n", fake.stdout.readline()).group(1))
        home.env["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:%d" % port
        home.cli("ls")  # the daemon: no ANTHROPIC_API_KEY
        cp = home.cli("run", "--tool", "claude", "--prompt", "say hello", "-C", project, check=False,
                      env={"ANTHROPIC_API_KEY": key}, timeout=120)
        s = home.view("last")
        assert s["status"] == "completed", (cp.stdout, cp.stderr, s.get("error"))
        posts = [json.loads(l) for l in log.read_text().splitlines()]
        assert any(p["headers"].get("x-api-key") == key or p["headers"].get("X-Api-Key") == key for p in posts)
    finally:
        fake.kill()
        fake.wait()
    home.stop_daemon()
    for f in home.dir.glob("agentmux.db*"):
        assert key.encode() not in f.read_bytes(), f


def test_tools_says_what_a_cli_lacks(home):
    tools = {t["name"]: t for t in home.cli_json("tools")}
    if tools["copilot"]["binary_path"]:
        assert tools["copilot"]["available"] is False
        assert "not logged in" in tools["copilot"]["install_hint"]
    if tools["opencode"]["binary_path"]:
        assert tools["opencode"]["available"] is False
        assert "no model provider" in tools["opencode"]["install_hint"]
    out = home.cli("tools").stdout
    assert "NOT READY" in out or not tools["copilot"]["binary_path"]
    home.stop_daemon()
    home.env["GH_TOKEN"] = "gho_" + "x" * 36
    home.env["OPENAI_API_KEY"] = "sk-" + "y" * 40
    tools = {t["name"]: t for t in home.cli_json("tools")}
    for name in ("copilot", "opencode"):
        if tools[name]["binary_path"]:
            assert tools[name]["available"] is True, tools[name]


# ---------------------------------------------------------------- attention

def test_claude_idle_at_its_prompt_needs_input_and_runs_the_hook(home, project, fake_anthropic):
    home.env.update({"ANTHROPIC_BASE_URL": fake_anthropic.url, "ANTHROPIC_API_KEY": "test", "IS_SANDBOX": "1"})
    (home.user_home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True, "customApiKeyResponses": {"approved": ["test"], "rejected": []},
        "projects": {str(project): {"hasTrustDialogAccepted": True}}}))
    hook_out = home.root / "hook.txt"
    (home.dir / "config.json").write_text(json.dumps(
        {"attention_hook": "echo \"$1 $2 $AGENTMUX_SESSION_NAME\" >> %s" % hook_out}))
    sid = home.run_detached("--tool", "claude", "--mode", "guided", "--prompt", "say hello", "-C", project)
    # The model answers; Claude draws it and waits at its prompt.
    wait_for(lambda: fake_anthropic.message_requests(), timeout=60, what="Claude's request")
    answered = time.monotonic()
    wait_for(lambda: "input" in home.cli("ls", "--attention").stdout, timeout=15, what="attention in ls")
    took = time.monotonic() - answered
    s = get(home, sid)
    assert s["status"] == "running" and s["attention"]["reason"] == "input"
    assert took < 2, "attention showed %.1f s after the answer" % took
    print("attention shown %.2f s after the model answered" % took)
    events = home.cli_json("events", sid)
    assert any(e["event_type"] == "attention" and e["data"]["reason"] == "input" for e in events)
    wait_for(lambda: hook_out.exists() and sid in hook_out.read_text(), timeout=10, what="the hook")
    assert "%s input %s" % (sid, s["name"]) in hook_out.read_text()
    # Typing a new prompt: it works again, and no longer waits.
    home.api("POST", "/api/sessions/%s/stop" % sid, {"grace_ms": 1000})
    s = home.wait_status(sid)
    assert s["attention"] is None or s["attention"]["reason"] != "input"


def test_an_ended_session_needs_attention_until_seen(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", "exit 3")
    wait_for(lambda: get(home, sid)["status"] == "failed", what="the end")
    assert get(home, sid)["attention"]["reason"] == "ended"
    listed = home.cli_json("ls", "--attention")
    assert [x["id"] for x in listed] == [sid]
    st, acked = home.api("POST", "/api/sessions/%s/ack" % sid)
    assert st == 200 and acked["attention"] is None
    assert home.cli("ls", "--attention").stdout.startswith("no sessions match")
    # A stopped one was seen by whoever stopped it.
    sid = home.run_detached("-C", project, "--", "sleep", "30")
    home.cli("stop", "--grace", "1", sid)
    assert get(home, sid)["attention"] is None
    # `view` is a person looking at it.
    sid = home.run_detached("-C", project, "--", "true")
    wait_for(lambda: get(home, sid)["attention"] is not None, what="the end")
    assert home.view(sid)["attention"]["reason"] == "ended"
    assert get(home, sid)["attention"] is None


# ---------------------------------------------------------------- ls, logs, errors

def test_ls_fits_80_columns_and_says_what_it_shows(home, project):
    long_prompt = "refactor the authentication module so that every handler validates its input " * 3
    for i in range(3):
        home.run_detached("-C", project, "--", "sh", "-c", "echo %d; %s" % (i, "true " * 40))
    home.cli("create", "--tool", "claude", "--prompt", long_prompt, "-C", project)
    paused = home.run_detached("-C", project, "--", "sleep", "30")
    home.cli("pause", paused)
    out, rc = in_pty(home, ["ls"], cols=80)
    assert rc == 0
    lines = [l for l in out.replace("\r", "").split("\n") if l]
    assert len(lines) == 6, out
    for line in lines:
        assert display_width(line) <= 80, "wrapped at 80 columns: %r" % line
    assert lines[0].startswith("NAME") and "STATUS" in lines[0]
    row = next(l for l in lines if "paused" in l)
    assert "running" not in row
    wide, _ = in_pty(home, ["ls"], cols=200)
    header = wide.split("\n")[0]
    assert "PROJECT" in header and "EXIT" in header
    prow = next(l for l in wide.split("\n") if "paused" in l)
    assert re.search(r"\s-\s", prow), "a paused session's exit is '-': %r" % prow
    assert home.cli("ls", "--tool", "codex").stdout.startswith("no sessions match")
    cp = home.cli("ls", "-n", "2")
    assert "showing the newest 2" in cp.stderr
    home.cli("stop", "--grace", "1", paused)


def test_shell_sessions_are_terminals_not_autonomous(home, project):
    s = run_json(home, "-C", project, "-e", "TERM=xterm", "--", "top", "-b", "-n", "1")
    assert s["mode"] == "guided"


def test_logs_json_and_json_errors(home, project):
    sid = home.run_detached("-C", project, "--", "printf", "one\\ntwo\\n")
    home.wait_status(sid)
    doc = home.cli_json("logs", sid)
    import base64
    data = b"".join(base64.b64decode(c["data"]) for c in doc["chunks"])
    assert data.replace(b"\r", b"") == b"one\ntwo\n"
    cp = home.cli("view", "nope-nope", "--json", check=False)
    assert cp.returncode == 1
    err = json.loads(cp.stderr)
    assert "nope-nope" in err["error"] and err["exit_code"] == 1


def test_run_help_lists_every_tool(home):
    out = home.cli("run", "--help").stdout
    for tool in ("claude", "codex", "copilot", "opencode", "gemini", "shell"):
        assert tool in out


def test_stop_shows_the_grace_countdown(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", "trap '' TERM; sleep 30")
    time.sleep(0.3)
    out, rc = in_pty(home, ["stop", "--grace", "2", sid])
    assert "SIGKILL in 2s" in out and "cancelled" in out, out


def test_attach_to_a_headless_agent_follows_its_transcript(home, project, fake_anthropic):
    home.env.update({"ANTHROPIC_BASE_URL": fake_anthropic.url, "ANTHROPIC_API_KEY": "test"})
    sid = home.run_detached("--tool", "claude", "--prompt", "SLOW say hello", "-C", project)
    cp = home.cli("attach", sid, timeout=120)
    assert '{"type"' not in cp.stdout, cp.stdout[:300]
    assert "Claude Code" in cp.stdout and "I see 2 messages" in cp.stdout and "done" in cp.stdout, cp.stdout
