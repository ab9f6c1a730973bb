"""Conversation resume with the genuine Claude Code CLI against the scripted Messages API:
`continue` resumes the agent's conversation (the model receives the earlier turns), usage is kept
per session and per conversation without double counting, a lost conversation is reported and can
fall back to a fresh one, `--timeout` ends a runaway agent, and `retry` runs a session again."""

import json

from conftest import wait_for


def claude_env(home, fake):
    home.env.update({"ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_API_KEY": "test"})


def test_continue_resumes_the_conversation_with_earlier_turns(home, fake_anthropic, project):
    claude_env(home, fake_anthropic)
    home.cli("run", "--tool", "claude", "--prompt", "create hello.txt", "-C", project)
    first = home.cli_json("ls")[0]
    assert first["status"] == "completed" and first["agent_session_id"]
    n_before = len(fake_anthropic.message_requests())

    cp = home.cli("continue", first["id"][:13], "--prompt", "what did you just do?")
    second = home.cli_json("ls")[0]
    assert second["id"] != first["id"]
    assert second["parent_id"] == first["id"]
    assert second["status"] == "completed", second
    assert second["agent_session_id"] == first["agent_session_id"], "the conversation id stays the same"
    assert second["spec_ids"] == first["spec_ids"] and second["tool"] == "claude"
    assert "--resume" in second["command"] and first["agent_session_id"] in second["command"]

    # The model saw the earlier turns: the first user prompt, the tool call and its result.
    req = fake_anthropic.message_requests()[n_before:][-1]["body"]
    texts = json.dumps(req["messages"])
    assert "create hello.txt" in texts and "tool_use" in texts and "tool_result" in texts
    assert "what did you just do?" in texts
    assert "I see" in cp.stdout or "messages" in cp.stdout  # the fake's echo of the message count

    # Usage: the second session's own numbers are its run only; the conversation's add up.
    own1, own2 = first["input_tokens"], second["input_tokens"]
    assert own2 > 0 and second["conversation"]["input_tokens"] == own1 + own2
    # Claude 2.1.330 reports cost over the whole conversation: the session keeps only its part.
    conv_cost = second["conversation"]["cost_usd"]
    assert abs(conv_cost - (first["cost_usd"] + second["cost_usd"])) < 1e-9
    assert second["cost_usd"] > 0 and second["cost_usd"] < conv_cost


def test_lost_conversation_is_reported_and_falls_back_to_a_fresh_one(home, fake_anthropic, project):
    claude_env(home, fake_anthropic)
    home.cli("run", "--tool", "claude", "--prompt", "say hi", "-C", project)
    first = home.cli_json("ls")[0]
    # The agent forgets: its transcripts live in HOME, which we wipe.
    for p in sorted((home.user_home / ".claude" / "projects").rglob("*.jsonl")):
        p.unlink()

    cp = home.cli("continue", first["id"], "--prompt", "and now?", check=False)
    lost = home.cli_json("ls")[0]
    assert cp.returncode != 0
    assert lost["status"] == "failed"
    assert "no longer knows conversation" in lost["error"] and "--fallback fresh" in lost["error"]

    home.cli("continue", first["id"], "--prompt", "and now?", "--fallback", "fresh", check=False)
    sessions = home.cli_json("ls")
    resumed = sessions[1] if sessions[0]["parent_id"] != first["id"] else sessions[0]
    fresh = [s for s in sessions if s["parent_id"] == resumed["id"]]
    assert resumed["status"] == "failed" and resumed["metadata"].get("fallback_session_id")
    assert len(fresh) == 1
    done = home.wait_status(fresh[0]["id"])
    assert done["status"] == "completed"
    assert done["agent_session_id"] != first["agent_session_id"]
    # The fresh conversation was seeded with the earlier context and the new prompt.
    last = fake_anthropic.message_requests()[-1]["body"]
    texts = json.dumps(last["messages"])
    assert "say hi" in texts and "and now?" in texts
    events = [e["event_type"] for e in home.cli_json("events", resumed["id"])]
    assert "error" in events


def test_timeout_ends_a_runaway_agent(home, project):
    cp = home.cli("run", "--timeout", "1s", "-C", project, "--", "sh", "-c", "trap '' TERM; sleep 100", check=False,
                  timeout=30)
    s = home.cli_json("ls")[0]
    assert s["status"] == "failed"
    assert s["error"].startswith("timed out after 1s")
    assert s["duration_ms"] < 1000 + 5000 + 1500  # timeout + grace + slack
    assert cp.returncode == 137
    assert "timeout" in [e["event_type"] for e in home.cli_json("events", s["id"])]


def test_claude_against_a_server_that_is_down_ends_within_the_timeout(home, project):
    home.env.update({"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_API_KEY": "test",
                     "CLAUDE_CODE_MAX_RETRIES": "10"})
    home.cli("run", "--tool", "claude", "--prompt", "hi", "--timeout", "3s", "-C", project, check=False, timeout=60)
    s = home.cli_json("ls")[0]
    assert s["status"] == "failed"
    assert s["duration_ms"] < 3000 + 5000 + 2000


def test_retry_runs_the_same_session_again(home, project):
    home.cli("run", "-C", project, "--", "sh", "-c", "echo attempt; exit 2", check=False)
    first = home.cli_json("ls")[0]
    home.cli("retry", first["id"], check=False)
    again = home.cli_json("ls")[0]
    assert again["parent_id"] == first["id"] and again["command"] == first["command"]
    assert again["status"] == "failed" and again["exit_code"] == 2
