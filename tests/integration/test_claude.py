"""The genuine Claude Code CLI (tools/agents) as an agentmux session, against the fake Anthropic API."""

import json
import subprocess

import pytest

from conftest import AGENT_BIN_DIR

FAKE_CONTENT = "Hello from the fake model!\n"



@pytest.fixture(autouse=True)
def _claude_installed():
    if not (AGENT_BIN_DIR / "claude").exists():
        pytest.fail("Claude Code is not installed in %s (run: make bootstrap)" % AGENT_BIN_DIR)


@pytest.fixture
def claude_home(home, fake_anthropic):
    """A data dir whose daemon (and so every claude it runs) talks to the fake API with the right key."""
    home.env["ANTHROPIC_BASE_URL"] = fake_anthropic.url
    home.env["ANTHROPIC_API_KEY"] = "test"
    return home


def stream_lines(raw):
    out = []
    for line in raw.decode().splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def only(lines, pred, what):
    found = [d for d in lines if pred(d)]
    assert len(found) == 1, "expected one %s line in the stored log, found %d" % (what, len(found))
    return found[0]


def first_user_text(request_body):
    """Text of the first user message of a /v1/messages request (the composed context)."""
    for m in request_body["messages"]:
        if m.get("role") == "user":
            c = m["content"]
            if isinstance(c, str):
                return c
            return "\n".join(b.get("text", "") for b in c if b.get("type") == "text")
    return ""


def test_claude_creates_file_and_session_records_the_run(claude_home, fake_anthropic, project):
    cp = claude_home.cli("run", "--tool", "claude", "--spec", "001", "--prompt", "create hello.txt",
                         "-C", project, check=False, timeout=90)
    assert cp.returncode == 0, "run exited %d\nstdout: %s\nstderr: %s" % (cp.returncode, cp.stdout, cp.stderr)

    # The agent really did the work in the project.
    assert (project / "hello.txt").read_text() == FAKE_CONTENT

    # The foreground run showed a readable transcript, not raw JSON.
    assert "→ Write(" in cp.stdout
    assert "✓ done" in cp.stdout
    assert '{"type":' not in cp.stdout

    sessions = claude_home.cli_json("ls")
    assert len(sessions) == 1
    s = claude_home.view(sessions[0]["id"])
    sid = s["id"]
    assert s["status"] == "completed"
    assert s["exit_code"] == 0
    assert s["signal"] is None
    assert s["tool"] == "claude"
    assert s["spec_ids"] == ["001"] or s["spec_ids"][0].startswith("001")
    assert s["prompt"] == "create hello.txt"
    assert s["project_path"] == str(project)

    # Conversation id, tokens, cost and turns match what Claude Code printed (the stored raw log).
    lines = stream_lines(claude_home.raw_log(sid))
    init = only(lines, lambda d: d.get("type") == "system" and d.get("subtype") == "init", "init")
    result = only(lines, lambda d: d.get("type") == "result", "result")
    assert s["agent_session_id"] == init["session_id"] == result["session_id"]
    usage = result["usage"]
    assert s["input_tokens"] == usage["input_tokens"]
    assert s["output_tokens"] == usage["output_tokens"]
    assert s["cache_read_tokens"] == usage.get("cache_read_input_tokens", 0)
    assert s["cache_creation_tokens"] == usage.get("cache_creation_input_tokens", 0)
    assert s["token_count"] == (usage["input_tokens"] + usage["output_tokens"]
                                + usage.get("cache_read_input_tokens", 0)
                                + usage.get("cache_creation_input_tokens", 0))
    assert s["cost_usd"] == pytest.approx(result["total_cost_usd"], rel=1e-9)
    assert s["num_turns"] == result["num_turns"] == 2
    assert s["log_bytes"] == len(claude_home.raw_log(sid))

    # The model got the spec text and the prompt (context on stdin, specs first).
    reqs = fake_anthropic.message_requests()
    assert reqs, "the fake API received no /v1/messages request"
    text = first_user_text(reqs[0]["body"])
    assert "SPEC-MARKER-001" in text
    assert "create hello.txt" in text
    assert text.index("SPEC-MARKER-001") < text.index("create hello.txt")
    # ... and Claude's own session header names the same conversation.
    assert any(r["headers"].get("X-Claude-Code-Session-Id") == init["session_id"] for r in reqs)

    # `logs ID` (not raw) renders the stored output as the same transcript.
    logs = claude_home.cli("logs", sid).stdout
    assert "→ Write(" in logs
    assert "✓ done" in logs
    assert init["session_id"] in logs

    # The lifecycle is recorded.
    kinds = [e["event_type"] for e in claude_home.cli_json("events", sid)]
    for k in ("created", "started", "completed"):
        assert k in kinds


def test_claude_two_specs_reach_the_model_in_order(claude_home, fake_anthropic, project):
    cp = claude_home.cli("run", "--tool", "claude", "--spec", "320", "--spec", "028", "--prompt",
                         "say hi", "-C", project, check=False, timeout=90)
    assert cp.returncode == 0, cp.stderr
    text = first_user_text(fake_anthropic.message_requests()[0]["body"])
    assert text.index("SPEC-MARKER-320") < text.index("SPEC-MARKER-028") < text.index("say hi")
    s = claude_home.view(claude_home.cli_json("ls")[0]["id"])
    assert [x[:3] for x in s["spec_ids"]] == ["320", "028"]
    # The context went through stdin: it is not on the command line.
    assert "say hi" not in " ".join(s["command"])


def test_claude_wrong_key_fails_with_invalid_api_key(home, fake_anthropic, project):
    home.env["ANTHROPIC_BASE_URL"] = fake_anthropic.url
    home.env["ANTHROPIC_API_KEY"] = "wrong"  # the fake expects "test"
    cp = home.cli("run", "--tool", "claude", "--spec", "001", "--prompt", "create nope.txt",
                  "-C", project, check=False, timeout=90)
    assert cp.returncode == 1, "exit %d\nstdout: %s\nstderr: %s" % (cp.returncode, cp.stdout, cp.stderr)
    assert not (project / "nope.txt").exists()
    s = home.view(home.cli_json("ls")[0]["id"])
    assert s["status"] == "failed"
    assert s["exit_code"] == 1
    assert s["error"] and "Invalid API key" in s["error"]
    assert b"Invalid API key" in home.raw_log(s["id"])
    assert "Invalid API key" in cp.stdout  # the user saw why
    assert any(r["headers"].get("x-api-key") == "wrong" for r in fake_anthropic.message_requests())


def test_claude_secret_env_per_session_is_used_but_not_stored(claude_home, fake_anthropic, project):
    secret = "wrong-key-5f3c9a1e7d"
    cp = claude_home.cli("run", "--tool", "claude", "--prompt", "create nope.txt", "-C", project,
                         "--env", "ANTHROPIC_API_KEY=" + secret, "--env", "AMX_PLAIN=visible", check=False, timeout=90)
    # The per-session value overrides the daemon's (correct) key ...
    assert cp.returncode == 1, cp.stdout + cp.stderr
    assert any(r["headers"].get("x-api-key") == secret for r in fake_anthropic.message_requests())
    s = claude_home.view(claude_home.cli_json("ls")[0]["id"])
    assert s["status"] == "failed"
    # ... but it is not stored anywhere: not in the session, not in the database file.
    assert secret not in json.dumps(s)
    assert s.get("env", {}).get("AMX_PLAIN") == "visible"
    dump = subprocess.run(["sqlite3", str(claude_home.db), ".dump"], capture_output=True, text=True, timeout=30)
    assert dump.returncode == 0, dump.stderr
    assert "AMX_PLAIN" in dump.stdout
    assert secret not in dump.stdout
