"""MCP (issue 17): the genuine Claude Code CLI, run as an agentmux session, uses agentmux's MCP
server (`agentmux mcp` through --mcp-config) to hand a subtask to Codex and synthesize the result.
The SDK-level checks (every tool over stdio and HTTP, resources, progress, multi-client, restart)
are tests/mcp/run.mjs."""

import json

import pytest

from conftest import AGENT_BIN_DIR, BIN
from test_agents import codex_config


@pytest.fixture(autouse=True)
def _agents_installed():
    for name in ("claude", "codex"):
        if not (AGENT_BIN_DIR / name).exists():
            pytest.fail("%s is not installed in %s (run: make bootstrap)" % (name, AGENT_BIN_DIR))


def steps(*calls):
    """The fake Anthropic server's script: the MCP tools Claude calls, in order."""
    return "MCP-STEPS: " + json.dumps([[name, args] for name, args in calls])


def test_claude_orchestrates_a_codex_subtask_through_agentmux_mcp(home, fake_anthropic, fake_openai, project):
    # Claude reaches the fake Anthropic API, Codex the fake OpenAI one — through the caller's
    # environment, which `agentmux run` sends and `agentmux mcp` passes on to the sessions it makes.
    codex_home = home.root / "codex-home"
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(codex_config(fake_openai.url))
    home.env.update(ANTHROPIC_BASE_URL=fake_anthropic.url, ANTHROPIC_API_KEY="test", CODEX_HOME=str(codex_home),
                    FAKE_OPENAI_KEY="test")
    mcp_config = home.root / "mcp.json"
    mcp_config.write_text(json.dumps({"mcpServers": {"agentmux": {"command": str(BIN), "args": ["mcp"]}}}))

    prompt = "Hand the greeting to Codex.\n" + steps(
        ("orchestrator_initialize_session", {"name": "greeting"}),
        ("agentmux_run", {"tool": "codex", "prompt": "say hello from codex", "wait": True}),
        ("orchestrator_synthesize_results", {}))
    cp = home.cli("run", "--tool", "claude", "--prompt", prompt, "-C", str(project), "--",
                  "--mcp-config", str(mcp_config), "--strict-mcp-config", timeout=240)
    assert cp.returncode == 0, cp.stdout + cp.stderr

    sessions = home.cli_json("ls", "--limit", "50")
    by_tool = {}
    for s in sessions:
        by_tool.setdefault(s["tool"], []).append(s)
    claude = [s for s in by_tool["claude"] if s["kind"] == "agent"]
    assert len(claude) == 1 and claude[0]["status"] == "completed", claude
    # What came after `--` went to Claude Code's command line.
    assert home.view(claude[0]["id"])["command"][-3:] == ["--mcp-config", str(mcp_config), "--strict-mcp-config"]

    # The orchestration Claude made, and the Codex session under it: it ran and answered.
    orchestrations = [s for s in sessions if s["kind"] == "plan" and s["metadata"].get("orchestration")]
    assert len(orchestrations) == 1, sessions
    orch = home.view(orchestrations[0]["id"])
    assert orch["status"] == "completed"  # synthesize ended it: nothing was left to run
    assert orch["project_path"] == str(project)
    children = home.cli_json("ls", "--parent", orch["id"])
    assert [c["tool"] for c in children] == ["codex"], children
    codex = home.view(children[0]["id"])
    assert codex["status"] == "completed" and codex["exit_code"] == 0, codex
    assert codex["metadata"]["orchestration_task"] == "t1"
    openai_prompts = [json.dumps(r["body"]) for r in fake_openai.requests() if r["path"].endswith("/responses")]
    assert any("say hello from codex" in p for p in openai_prompts), "Codex never asked the model"

    # Claude's log: the tool calls went through agentmux, and the synthesized result (Codex's
    # answer, its session id) came back to Claude as the last tool result.
    log = home.raw_log(claude[0]["id"]).decode()
    for tool in ("orchestrator_initialize_session", "agentmux_run", "orchestrator_synthesize_results"):
        assert "mcp__agentmux__" + tool in log, tool
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    final = [d for d in lines if d.get("type") == "result"]
    assert final, log[-2000:]
    said = final[-1]["result"]
    assert said.startswith("Done. The tool said: "), said
    synthesized = json.loads(said[len("Done. The tool said: "):])
    assert synthesized["session_id"] == orch["id"]
    [sub] = synthesized["subtasks"]
    assert sub["tool"] == "codex" and sub["status"] == "completed" and sub["session_id"] == codex["id"]
    assert "Fake reply to: say hello from codex" in sub["answer"], sub
    assert synthesized["failures"] == []
