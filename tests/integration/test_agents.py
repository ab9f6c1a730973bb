"""The genuine Codex, OpenCode, Gemini and Copilot CLIs (pinned in tools/agents) as agentmux
sessions, against the project's scripted model servers on 127.0.0.1 (tests/fixtures/fake_openai.py:
Responses for Codex, Chat Completions for OpenCode and Copilot; tests/fixtures/fake_gemini.py).

For each CLI: a session creates a file through the agent's own tool and completes with its
conversation id, turns and usage stored; `continue` resumes the conversation and the model server
receives the earlier turns; a wrong key fails with the CLI's own message; a server that is down ends
within --timeout; a conversation the CLI no longer knows is reported. Every CLI runs with a
throwaway HOME (the test's), its own TMPDIR (agentmux's per-session one), and no network but
loopback (nothing else is reachable here).
"""

import json
import os
import re
import shutil
import tempfile

import pytest

from conftest import AGENT_BIN_DIR, Home, closed_port

FAKE_CONTENT = "Hello from the fake model!\n"
CLIS = ["codex", "opencode", "gemini", "copilot"]


# ---------------------------------------------------------------- how each CLI is pointed at the fakes

def codex_config(base_url):
    return "\n".join([
        'model = "gpt-5.5"',
        'model_provider = "fake"',
        "check_for_update_on_startup = false",
        "[analytics]", "enabled = false",
        "[features]", "plugins = false",
        "[model_providers.fake]",
        'name = "Fake local"',
        'base_url = "%s/v1"' % base_url,
        'env_key = "FAKE_OPENAI_KEY"',
        'wire_api = "responses"',
        "request_max_retries = 0",
        "stream_max_retries = 0",
        ""])


def opencode_config(base_url):
    return json.dumps({
        "$schema": "https://opencode.ai/config.json", "autoupdate": False, "share": "disabled",
        "model": "fake/fake-model",
        "provider": {"fake": {"npm": "@ai-sdk/openai-compatible", "name": "Fake local",
                              "options": {"baseURL": base_url + "/v1", "apiKey": "{env:FAKE_OPENAI_KEY}"},
                              "models": {"fake-model": {"name": "Fake Model", "tool_call": True}}}}})


GEMINI_SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}


class Cli:
    """One CLI's set-up in a test's data dir: the daemon environment (so every session of the
    test reaches the fake with the right key), and --env overrides for the error cases."""

    def __init__(self, name, home, fake_openai, fake_gemini):
        self.name = name
        self.home = home
        self.fake = fake_gemini if name == "gemini" else fake_openai
        env = home.env
        if name == "codex":
            self.codex_home = home.root / "codex-home"
            self.codex_home.mkdir()
            (self.codex_home / "config.toml").write_text(codex_config(self.fake.url))
            env.update(CODEX_HOME=str(self.codex_home), FAKE_OPENAI_KEY="test")
        elif name == "opencode":
            env.update(OPENCODE_CONFIG_CONTENT=opencode_config(self.fake.url), FAKE_OPENAI_KEY="test",
                       OPENCODE_DISABLE_MODELS_FETCH="1", OPENCODE_DISABLE_SHARE="1",
                       OPENCODE_DISABLE_LSP_DOWNLOAD="1")
        elif name == "gemini":
            d = home.user_home / ".gemini"
            d.mkdir()
            (d / "settings.json").write_text(json.dumps(GEMINI_SETTINGS))
            env.update(GOOGLE_GEMINI_BASE_URL=self.fake.url, GEMINI_API_KEY="test")
        elif name == "copilot":
            env.update(COPILOT_OFFLINE="true", COPILOT_MODEL="fake-model",
                       COPILOT_PROVIDER_BASE_URL=self.fake.url + "/v1", COPILOT_PROVIDER_API_KEY="test")

    def wrong_key_env(self):
        return {"codex": "FAKE_OPENAI_KEY=wrong", "opencode": "FAKE_OPENAI_KEY=wrong",
                "gemini": "GEMINI_API_KEY=wrong", "copilot": "COPILOT_PROVIDER_API_KEY=wrong"}[self.name]

    # What each CLI says about a rejected key (REPORT.md §3–6), as the session's error must show it.
    WRONG_KEY_MESSAGE = {"codex": "Incorrect API key provided (fake)", "opencode": "Incorrect API key provided (fake)",
                         "gemini": "API key not valid", "copilot": "Authentication failed with provider"}

    def down_env(self):
        """--env values that point this CLI at a model server that is down."""
        dead = "http://127.0.0.1:%d" % closed_port()
        if self.name == "codex":
            d = self.home.root / "codex-home-down"
            d.mkdir()
            (d / "config.toml").write_text(codex_config(dead))
            return ["CODEX_HOME=%s" % d]
        return {"opencode": ["OPENCODE_CONFIG_CONTENT=%s" % opencode_config(dead)],
                "gemini": ["GOOGLE_GEMINI_BASE_URL=%s" % dead],
                "copilot": ["COPILOT_PROVIDER_BASE_URL=%s/v1" % dead]}[self.name]

    def model_requests(self):
        path = {"codex": "/responses", "opencode": "/chat/completions", "copilot": "/chat/completions",
                "gemini": "streamGenerateContent"}[self.name]
        return self.fake.posts(path)

    def earlier_turns_in(self, body):
        """True when a request body carries the first run's prompt, tool call and tool result."""
        text = json.dumps(body)
        if self.name == "codex":
            kinds = [i.get("type") for i in body.get("input", [])]
            return "create hello.txt" in text and "custom_tool_call" in kinds and "custom_tool_call_output" in kinds
        if self.name == "gemini":
            keys = {k for c in body.get("contents", []) for p in c.get("parts", []) for k in p}
            return "create hello.txt" in text and {"functionCall", "functionResponse"} <= keys
        roles = [m.get("role") for m in body.get("messages", [])]
        return "create hello.txt" in text and "tool" in roles and roles.count("user") >= 2

    def forget_conversations(self):
        """Wipes the CLI's own record of its conversations (it then no longer knows the id)."""
        h = self.home.user_home
        paths = {"codex": [self.home.root / "codex-home" / "sessions"],
                 "opencode": [h / ".local" / "share" / "opencode"],
                 "gemini": [h / ".gemini" / "tmp"],
                 "copilot": [h / ".copilot" / "session-state", h / ".copilot" / "session-store.db"]}[self.name]
        for p in paths:
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()


@pytest.fixture(params=CLIS)
def agent(request, home, fake_openai, fake_gemini):
    name = request.param
    if not (AGENT_BIN_DIR / name).exists():
        pytest.fail("%s is not installed in %s (run: make bootstrap)" % (name, AGENT_BIN_DIR))
    return Cli(name, home, fake_openai, fake_gemini)


def run(home, *args, timeout=120):
    return home.cli("run", *args, check=False, timeout=timeout)


def newest(home):
    return home.cli_json("ls")[0]


# ---------------------------------------------------------------- the tests

def test_agent_creates_a_file_and_continue_carries_the_earlier_turns(agent, home, project):
    cp = run(home, "--tool", agent.name, "--prompt", "create hello.txt", "-C", project)
    first = newest(home)
    assert cp.returncode == 0, "run exited %d: %s\n%s\nsession: %s" % (cp.returncode, cp.stdout, cp.stderr, first)

    # The agent did the work in the project, through its own file tool.
    assert (project / "hello.txt").exists(), home.raw_log(first["id"]).decode(errors="replace")[-3000:]
    assert (project / "hello.txt").read_text() == FAKE_CONTENT
    assert first["status"] == "completed" and first["exit_code"] == 0
    assert first["agent_session_id"], "the conversation id is stored"
    assert first["num_turns"] >= 1
    assert first["input_tokens"] > 0 and first["output_tokens"] > 0, first
    assert first["conversation"]["input_tokens"] == first["input_tokens"]
    # Its turn and tool call are session events, in the same words for every CLI.
    events = home.cli_json("events", first["id"])
    types = [e["event_type"] for e in events]
    assert types.index("turn_started") < types.index("tool_use") < types.index("turn_finished") < types.index("completed"), types
    tool = next(e for e in events if e["event_type"] == "tool_use")["data"]
    assert "hello.txt" in tool["input"], tool
    # The agent's structured output is in the session's log.
    log = home.raw_log(first["id"]).decode()
    assert first["agent_session_id"] in log

    n_before = len(agent.model_requests())
    cp = home.cli("continue", first["id"][:12], "--prompt", "what did you just do?", check=False, timeout=120)
    second = newest(home)
    assert cp.returncode == 0, "continue exited %d: %s\n%s\nsession: %s" % (cp.returncode, cp.stdout, cp.stderr, second)
    assert second["parent_id"] == first["id"] and second["tool"] == agent.name
    assert second["status"] == "completed"
    assert second["agent_session_id"] == first["agent_session_id"], "the same conversation goes on"

    # The model server received the earlier turns with the new prompt.
    new_requests = agent.model_requests()[n_before:]
    assert new_requests, "the continued session made no model request"
    last = new_requests[-1]["body"]
    assert "what did you just do?" in json.dumps(last)
    assert agent.earlier_turns_in(last), "the resumed request lacks the earlier turns: %s" % json.dumps(last)[:2000]

    # Usage: each session keeps its own run; the conversation adds up, never counted twice (Codex
    # and Copilot report conversation totals, OpenCode per step, Gemini per run).
    assert second["input_tokens"] > 0
    assert second["conversation"]["input_tokens"] == first["input_tokens"] + second["input_tokens"]
    assert second["conversation"]["output_tokens"] == first["output_tokens"] + second["output_tokens"]


def test_agent_with_a_wrong_key_fails_with_the_clis_own_message(agent, home, project):
    run(home, "--tool", agent.name, "--prompt", "create nope.txt", "--env", agent.wrong_key_env(), "-C", project)
    s = newest(home)
    assert s["status"] == "failed", s
    assert agent.WRONG_KEY_MESSAGE[agent.name] in (s["error"] or ""), s["error"]
    assert not (project / "nope.txt").exists()
    events = [e for e in home.cli_json("events", s["id"]) if e["event_type"] != "attention"]
    assert events[-1]["event_type"] == "failed"


def test_agent_against_a_server_that_is_down_ends_within_the_timeout(agent, home, project):
    env = [a for e in agent.down_env() for a in ("--env", e)]
    run(home, "--tool", agent.name, "--prompt", "hi", "--timeout", "4s", *env, "-C", project, timeout=60)
    s = newest(home)
    assert s["status"] == "failed", s
    # Ends by itself (OpenCode, Copilot give up after ~24–65 s; Codex never) or by the timeout.
    assert s["duration_ms"] < 4000 + 5000 + 3000, s["duration_ms"]
    assert s["error"].startswith("timed out after 4s"), s["error"]


def test_agent_that_forgot_the_conversation_says_so_and_can_start_fresh(agent, home, project):
    run(home, "--tool", agent.name, "--prompt", "say hi", "-C", project)
    first = newest(home)
    assert first["status"] == "completed", first
    agent.forget_conversations()

    home.cli("continue", first["id"], "--prompt", "and now?", check=False, timeout=120)
    lost = newest(home)
    assert lost["status"] == "failed"
    assert "no longer knows conversation" in lost["error"] and "--fallback fresh" in lost["error"], lost["error"]

    home.cli("continue", first["id"], "--prompt", "and now?", "--fallback", "fresh", check=False, timeout=120)
    fresh = [s for s in home.cli_json("ls") if s["parent_id"] and s["parent_id"] != first["id"]]
    assert len(fresh) == 1, "one fresh session started by the fallback"
    done = home.wait_status(fresh[0]["id"], timeout=120)
    assert done["status"] == "completed", done
    assert done["agent_session_id"] and done["agent_session_id"] != first["agent_session_id"]
    # The fresh conversation is seeded with the earlier context and the new prompt.
    last = json.dumps(agent.model_requests()[-1]["body"])
    assert "say hi" in last and "and now?" in last


def test_agent_leaves_nothing_in_tmp(agent, home, project):
    """Each agent session has its own TMPDIR under the data dir, removed when it ends."""
    before = set(os.listdir("/tmp"))
    run(home, "--tool", agent.name, "--prompt", "create hello.txt", "-C", project)
    s = newest(home)
    assert s["status"] == "completed", s
    # Not the agent's: other tests' dirs, and a compiler's temp files (gcc's mkstemps "ccXXXXXX.*")
    # when a build runs beside the tests.
    left = {n for n in set(os.listdir("/tmp")) - before
            if not n.startswith(("amx-", "pytest-", "agentmux-")) and not re.match(r"cc[A-Za-z0-9]{6}\.", n)}
    assert not left, "the agent left %s in /tmp" % sorted(left)
    assert not (home.dir / "tmp" / s["id"]).exists()


def test_tools_lists_every_adapter_and_says_how_to_install_a_missing_one(home):
    tools = {t["name"]: t for t in home.cli_json("tools")}
    assert set(tools) >= {"shell", "claude", "codex", "opencode", "gemini", "copilot"}
    expected = {"claude": "2.1.330", "codex": "0.169.0", "opencode": "1.18.33", "gemini": "0.61.0",
                "copilot": "1.0.102"}
    for name, version in expected.items():
        assert tools[name]["version"] == version, tools[name]
        assert tools[name]["binary_path"].endswith("/" + name)
    # Installed is not ready: Copilot without a login and OpenCode without a provider would fail
    # at once (test_daily.py: with a token and a key they are available).
    for name in ("claude", "codex", "gemini"):
        assert tools[name]["available"], tools[name]
    assert not tools["copilot"]["available"] and "not logged in" in tools["copilot"]["install_hint"]
    assert not tools["opencode"]["available"] and "no model provider" in tools["opencode"]["install_hint"]

    # A machine without the agent CLIs: a daemon whose PATH has only the system dirs.
    bare = Home(tempfile.mkdtemp(prefix="amx-it-", dir="/tmp"))
    try:
        bare.env["PATH"] = "/usr/bin:/bin"
        cp = bare.cli("tools")
        tools = {t["name"]: t for t in bare.cli_json("tools")}
        for name, pkg in [("codex", "@openai/codex"), ("opencode", "opencode-ai"), ("gemini", "@google/gemini-cli"),
                          ("copilot", "@github/copilot"), ("claude", "@anthropic-ai/claude-code")]:
            assert not tools[name]["available"]
            assert "npm install -g %s" % pkg in tools[name]["install_hint"]
            assert name in cp.stdout and "npm install -g %s" % pkg in cp.stdout, cp.stdout
        # Running one says what is missing and how to install it.
        cp = bare.cli("run", "--tool", "codex", "--prompt", "hi", check=False)
        assert cp.returncode != 0
        assert "Codex CLI ('codex') was not found" in cp.stderr and "npm install -g @openai/codex" in cp.stderr, cp.stderr
    finally:
        bare.cleanup()


def test_an_agent_without_login_fails_with_the_clis_reason(home, project):
    """A CLI that exits before any structured output: the session's error quotes its stderr."""
    home.env.update(COPILOT_OFFLINE="true", COPILOT_MODEL="fake-model")  # offline, but no model provider
    run(home, "--tool", "copilot", "--prompt", "hi", "-C", project)
    s = newest(home)
    assert s["status"] == "failed"
    assert s["error"] == ("exited with code 1 (stderr: Offline mode requires a local model provider. "
                          "Set COPILOT_PROVIDER_BASE_URL to configure one.)"), s["error"]
