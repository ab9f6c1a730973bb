"""Plans (issue 14): ordered tasks run by one agent in one conversation, with the genuine agent CLIs
against the project's scripted model servers (tests/fixtures/fake_*.py) and with shell tasks.

A plan is a session of kind `plan`; each try of a task is a child agent session (parent_id = the
plan, position = the task's index), each run of a task's verify command a child shell session.
"""

import json
import os
import signal
import time

import pytest

from conftest import AGENT_BIN_DIR, pid_alive, pids_with_env, wait_for
from test_agents import CLIS, Cli

ALL_CLIS = ["claude"] + CLIS


def claude_env(home, fake):
    home.env.update({"ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_API_KEY": "test"})


class Claude:
    """The genuine Claude Code CLI against fake_anthropic.py, shaped like test_agents.Cli."""

    name = "claude"

    def __init__(self, home, fake):
        self.home = home
        self.fake = fake
        claude_env(home, fake)

    def model_requests(self):
        return self.fake.message_requests()


@pytest.fixture(params=ALL_CLIS)
def agent(request, home, fake_anthropic, fake_openai, fake_gemini):
    name = request.param
    if not (AGENT_BIN_DIR / name).exists():
        pytest.fail("%s is not installed in %s (run: make bootstrap)" % (name, AGENT_BIN_DIR))
    if name == "claude":
        return Claude(home, fake_anthropic)
    return Cli(name, home, fake_openai, fake_gemini)


def write_plan(project, text, name="plan.yaml"):
    path = project / name
    path.write_text(text)
    return path


def plan_run(home, *args, timeout=240, check=False):
    return home.cli("plan", "run", *args, check=check, timeout=timeout)


def the_plan(home):
    plans = home.cli_json("ls", "--kind", "plan")
    assert len(plans) == 1, plans
    return home.cli_json("view", plans[0]["id"])


def tasks_of(plan, role="task"):
    """The plan's children of `role`, by task then attempt."""
    kids = [c for c in plan["children"] if c["metadata"].get("plan_role", "task") == role]
    return sorted(kids, key=lambda c: (c["position"], int(c["metadata"].get("attempt", "1")), c["id"]))


def plan_events(home, plan):
    return home.cli_json("events", plan["id"])


# ---------------------------------------------------------------- one conversation, every CLI

def test_three_task_plan_keeps_one_conversation(agent, home, project):
    path = write_plan(project, "\n".join([
        "name: three-steps",
        "tool: %s" % agent.name,
        "tasks:",
        "  - prompt: create hello.txt",
        "  - prompt: FIRST-FOLLOW-UP what did you just do?",
        "  - prompt: SECOND-FOLLOW-UP and now?",
        ""]))
    cp = plan_run(home, path, "-C", project)
    plan = the_plan(home)
    assert cp.returncode == 0, "plan run exited %d\n%s\n%s\n%s" % (cp.returncode, cp.stdout[-3000:], cp.stderr, plan)
    assert plan["status"] == "completed" and plan["plan"]["end_reason"] == "completed"
    # Each task's output streamed under its header.
    for n in (1, 2, 3):
        assert "task %d/3" % n in cp.stdout
    assert (project / "hello.txt").exists(), "task 1 did its work through the agent's own tool"

    tasks = tasks_of(plan)
    assert [t["position"] for t in tasks] == [0, 1, 2] and all(t["status"] == "completed" for t in tasks)
    conversation = tasks[0]["agent_session_id"]
    assert conversation, "task 1 started the conversation"
    assert [t["agent_session_id"] for t in tasks] == [conversation] * 3, "every task is in one conversation"
    assert plan["agent_session_id"] == conversation and plan["plan"]["conversation_id"] == conversation
    for t in tasks[1:]:
        assert conversation in " ".join(t["command"]), "tasks 2 and 3 resume the conversation: %s" % t["command"]

    # The model server's record: task 3's request carried tasks 1 and 2's turns.
    last = json.dumps(agent.model_requests()[-1]["body"])
    assert "SECOND-FOLLOW-UP" in last
    assert "create hello.txt" in last and "FIRST-FOLLOW-UP" in last, "task 3's request lacks the earlier turns"

    # Usage: each task's own; the plan's is their sum; the conversation total is never counted twice.
    own = [t["input_tokens"] for t in tasks]
    assert all(n and n > 0 for n in own), own
    assert plan["input_tokens"] == sum(own)
    assert plan["plan"]["spent"]["tokens"] == sum(t["token_count"] for t in tasks)
    assert tasks[2]["conversation"]["input_tokens"] == sum(own)
    assert plan["conversation"]["input_tokens"] == sum(own)


# ---------------------------------------------------------------- fallback

def test_a_forgotten_conversation_falls_back_to_a_fresh_one_with_a_record(home, fake_anthropic, project):
    claude_env(home, fake_anthropic)
    # Task 1's verify step wipes Claude Code's conversation store (its transcripts live in HOME):
    # task 2 then resumes a conversation the CLI no longer knows.
    path = write_plan(project, "\n".join([
        "tool: claude",
        "tasks:",
        "  - prompt: create hello.txt",
        "    verify: rm -rf \"$HOME/.claude/projects\"",
        "  - prompt: TASK-TWO what is in the project?",
        ""]))
    cp = plan_run(home, path, "-C", project)
    plan = the_plan(home)
    assert cp.returncode == 0, "%s\n%s\n%s" % (cp.stdout[-2000:], cp.stderr, plan)
    assert plan["status"] == "completed"
    events = plan_events(home, plan)
    fallback = [e for e in events if e["event_type"] == "conversation_fallback"]
    assert len(fallback) == 1 and fallback[0]["data"]["task"] == 2, [e["event_type"] for e in events]
    tries = [t for t in tasks_of(plan) if t["position"] == 1]
    assert [t["status"] for t in tries] == ["failed", "completed"]
    assert tries[1]["agent_session_id"] != tasks_of(plan)[0]["agent_session_id"], "a fresh conversation"
    # Task 2's first request in the fresh conversation holds the record of task 1 and the diff stat.
    first_of_fresh = [r for r in fake_anthropic.message_requests()
                      if "TASK-TWO" in json.dumps(r["body"])][-1]["body"]
    text = json.dumps(first_of_fresh)
    assert "create hello.txt" in text and "Files changed since the plan started" in text
    assert "hello.txt" in text.split("Files changed since the plan started")[1], "the diff stat names hello.txt"
    assert plan["plan"]["conversation_id"] == tries[1]["agent_session_id"]


# ---------------------------------------------------------------- verify loop (Ralph mode)

def test_verify_failing_twice_then_passing_takes_three_attempts_in_one_conversation(home, fake_anthropic, project):
    claude_env(home, fake_anthropic)
    counter = project / ".checks"
    path = write_plan(project, "\n".join([
        "tool: claude",
        "tasks:",
        "  - prompt: make the check pass",
        "    verify: n=$(cat .checks 2>/dev/null || echo 0); n=$((n+1)); echo $n > .checks; "
        "[ $n -ge 3 ] || { echo \"CHECK-FAILED run $n\"; exit 1; }",
        "    max_attempts: 3",
        ""]))
    cp = plan_run(home, path, "-C", project)
    plan = the_plan(home)
    assert cp.returncode == 0, "%s\n%s\n%s" % (cp.stdout[-2000:], cp.stderr, plan)
    assert plan["status"] == "completed" and counter.read_text().strip() == "3"
    attempts = tasks_of(plan)
    assert len(attempts) == 3 and all(a["status"] == "completed" for a in attempts)
    assert len({a["agent_session_id"] for a in attempts}) == 1, "the attempts share the conversation"
    verifies = tasks_of(plan, "verify")
    assert [v["status"] for v in verifies] == ["failed", "failed", "completed"]
    events = plan_events(home, plan)
    results = [(e["event_type"], e["data"]["attempt"]) for e in events
               if e["event_type"] in ("verify_failed", "verify_passed")]
    assert results == [("verify_failed", 1), ("verify_failed", 2), ("verify_passed", 3)]
    # Attempt 2's prompt is the check's output: the model received it.
    assert any("CHECK-FAILED run 1" in json.dumps(r["body"]) for r in fake_anthropic.message_requests())
    assert "CHECK-FAILED run 2" in attempts[2]["prompt"]


def test_verify_that_always_fails_fails_the_plan_with_its_last_output(home, project):
    path = write_plan(project, "\n".join([
        "tool: shell",
        "tasks:",
        "  - command: echo working",
        "    verify: echo \"still broken $(date +%N)\"; echo LAST-LINE; exit 3",
        "    max_attempts: 2",
        "  - command: echo never",
        ""]))
    cp = plan_run(home, path, "-C", project)
    plan = the_plan(home)
    assert cp.returncode == 1
    assert plan["status"] == "failed" and plan["plan"]["end_reason"] == "verify_failed"
    assert "after 2 attempt(s)" in plan["error"] and "exit code 3" in plan["error"]
    events = plan_events(home, plan)
    failed = [e["data"] for e in events if e["event_type"] == "verify_failed"]
    assert len(failed) == 2 and failed[-1]["will_retry"] is False and failed[0]["will_retry"] is True
    assert failed[-1]["exit_code"] == 3 and "LAST-LINE" in failed[-1]["output"]
    lifecycle = [e for e in events if e["event_type"] != "attention"]
    assert lifecycle[-1]["event_type"] == "failed" and "LAST-LINE" in lifecycle[-1]["data"]["output"]
    assert any(e["event_type"] == "attention" and e["data"]["reason"] == "ended" for e in events)
    never = [t for t in tasks_of(plan) if t["position"] == 1]
    assert [t["status"] for t in never] == ["cancelled"], "task 2 never ran"
    # `logs PLAN` prints each try's output under its header; `ls` lists the tries under the plan.
    logs = home.cli("logs", plan["id"]).stdout
    assert logs.count("── task 1/2 · shell") == 2 and logs.count("verify: echo") == 2, logs
    assert logs.count("working") == 2 and "LAST-LINE" in logs and "echo never" not in logs
    rows = home.cli("ls").stdout.splitlines()[1:]
    assert rows[0].startswith(plan["name"]) and plan["short_id"] in rows[0] and "plan: " in rows[0]
    assert len(rows) == 6 and all(r.startswith("  ") for r in rows[1:]), rows


def test_run_until_is_a_one_task_plan_in_ralph_mode(home, project):
    cp = home.cli("run", "-C", project, "--until", "test -f .ok || { touch .ok; exit 1; }", "--max-attempts", "4",
                  "--", "sh", "-c", "echo trying", check=False, timeout=60)
    plan = the_plan(home)
    assert cp.returncode == 0, cp.stderr
    assert plan["mode"] == "ralph" and plan["status"] == "completed"
    assert len(tasks_of(plan)) == 2 and plan["plan"]["tasks"][0]["max_attempts"] == 4
    assert cp.stdout.count("trying") == 2


# ---------------------------------------------------------------- budgets

def test_a_token_budget_below_two_tasks_stops_the_plan_after_the_first(home, fake_anthropic, project):
    claude_env(home, fake_anthropic)
    # What one task of this kind uses (the fake's usage is deterministic for the same request).
    plan_run(home, "--tool", "claude", "--task", "say hi", "-C", project, "--name", "probe")
    probe = home.cli_json("ls", "--kind", "plan")[0]
    one_task = probe["plan"]["spent"]["tokens"]
    assert one_task > 0
    limit = int(one_task * 1.5)
    cp = plan_run(home, "--tool", "claude", "--task", "say hi", "--task", "say more", "--task", "and more",
                  "--budget-tokens", str(limit), "-C", project)
    plans = [p for p in home.cli_json("ls", "--kind", "plan") if p["id"] != probe["id"]]
    plan = home.cli_json("view", plans[0]["id"])
    assert cp.returncode == 1
    assert plan["status"] == "failed" and plan["plan"]["end_reason"] == "budget", plan
    assert plan["error"].startswith("budget:") and "tokens" in plan["error"]
    tasks = tasks_of(plan)
    assert tasks[0]["status"] == "completed"
    assert tasks[2]["status"] in ("pending", "cancelled") and tasks[2]["started_at"] is None, "task 3 never ran"
    over = [e["data"] for e in plan_events(home, plan) if e["event_type"] == "budget_exceeded"]
    assert over and over[0]["what"] == "tokens" and over[0]["limit"] == limit and over[0]["spent"] >= limit
    assert plan["plan"]["spent"]["tokens"] >= limit
    assert "budget" in cp.stderr


def test_a_time_budget_stops_a_task_that_hangs(home, project):
    t0 = time.monotonic()
    path = write_plan(project, "\n".join([
        "tool: shell",
        "budget: { time: 2s }",
        "tasks:",
        "  - command: echo started; sleep 120",
        "  - command: echo never",
        ""]))
    cp = plan_run(home, path, "-C", project, timeout=60)
    took = time.monotonic() - t0
    plan = the_plan(home)
    assert cp.returncode == 1 and took < 20
    assert plan["status"] == "failed" and plan["plan"]["end_reason"] == "budget"
    assert "ran for" in plan["error"]
    hung = tasks_of(plan)[0]
    assert hung["status"] == "cancelled" and hung["signal"] == "SIGTERM", hung


# ---------------------------------------------------------------- control, crash and resume

def test_pause_resume_and_stop_act_on_the_running_task(home, project):
    path = write_plan(project, "\n".join([
        "tool: shell",
        "tasks:",
        "  - command: i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done",
        "  - command: echo never",
        ""]))
    plan_id = home.cli("plan", "run", path, "-C", project, "-d").stdout.strip()
    plan = home.wait_status(plan_id, {"running"})
    wait_for(lambda: [t for t in home.cli_json("view", plan_id)["children"] if t["status"] == "running"],
             what="task 1 running")
    task = [t for t in home.cli_json("view", plan_id)["children"] if t["status"] == "running"][0]
    home.cli("pause", plan_id)
    assert home.view(plan_id)["status"] == "paused" and home.view(task["id"])["status"] == "paused"
    def stopped():
        with open("/proc/%d/stat" % task["pid"]) as f:
            return f.read().split(") ")[1][0] == "T"
    wait_for(stopped, timeout=5, what="the task's process to be stopped (SIGSTOP)")
    home.cli("resume", plan_id)
    assert home.view(plan_id)["status"] == "running" and home.view(task["id"])["status"] == "running"
    cp = home.cli("stop", plan_id)
    assert "cancelled" in cp.stdout
    plan = home.cli_json("view", plan_id)
    assert plan["status"] == "cancelled" and plan["plan"]["end_reason"] == "stopped"
    assert [t["status"] for t in tasks_of(plan)] == ["cancelled", "cancelled"]
    assert not pid_alive(task["pid"])


def test_kill9_of_the_daemon_during_task_2_then_resume_finishes_in_the_same_conversation(
        home, fake_anthropic, project):
    claude_env(home, fake_anthropic)
    path = write_plan(project, "\n".join([
        "tool: claude",
        "tasks:",
        "  - prompt: create hello.txt",
        "  - prompt: SLOW tell me a long story",
        "  - prompt: THIRD and now?",
        ""]))
    plan_id = home.cli("plan", "run", path, "-C", project, "-d").stdout.strip()

    def task2_running():
        kids = home.cli_json("view", plan_id)["children"]
        return [k for k in kids if k["position"] == 1 and k["status"] == "running"]
    wait_for(task2_running, timeout=60, interval=0.05, what="task 2 running")
    task2 = task2_running()[0]
    n_before = len(fake_anthropic.message_requests())
    # The host goes down: the daemon and task 2's shim and agent with it.
    os.kill(home.daemon_pid(), signal.SIGKILL)
    for pid in pids_with_env("AGENTMUX_SESSION_ID=%s" % task2["id"]):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids_with_env("AGENTMUX_HOME=%s" % home.dir):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().split(b"\0")[1:2] == [b"shim"]:
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    plan = home.cli_json("view", plan_id)  # a new daemon recovers
    assert plan["status"] == "interrupted", plan
    assert home.view(task2["id"])["status"] == "interrupted"

    home.cli("resume", plan_id)
    done = home.wait_status(plan_id, timeout=120)
    plan = home.cli_json("view", plan_id)
    assert done["status"] == "completed", plan
    tasks = tasks_of(plan)
    assert [t["position"] for t in tasks] == [0, 1, 2], "nothing was redone: one session per task"
    conversation = tasks[0]["agent_session_id"]
    assert all(t["agent_session_id"] == conversation for t in tasks)
    # Task 1 was not asked again (no agent turn after the crash ends on its prompt); task 3's
    # request carries tasks 1 and 2.
    later = [r["body"] for r in fake_anthropic.message_requests()[n_before:]
             if (r["body"].get("output_config") or {}).get("format") is None]  # not the title generator
    assert later and not any("create hello.txt" in json.dumps(b["messages"][-1]) for b in later)
    last = json.dumps(fake_anthropic.message_requests()[-1]["body"])
    assert "THIRD" in last and "create hello.txt" in last and "SLOW tell me" in last
    events = [e["event_type"] for e in plan_events(home, plan) if e["event_type"] != "attention"]
    assert "interrupted" in events and "resumed" in events and events[-1] == "completed"


def test_a_plan_survives_a_daemon_restart_and_goes_on(home, project):
    path = write_plan(project, "\n".join([
        "tool: shell",
        "tasks:",
        "  - command: sleep 1.5; echo first-done",
        "  - command: echo second-done",
        ""]))
    plan_id = home.cli("plan", "run", path, "-C", project, "-d").stdout.strip()
    home.wait_status(plan_id, {"running"})
    wait_for(lambda: any(k["status"] == "running" for k in home.cli_json("view", plan_id)["children"]),
             what="task 1 running")
    os.kill(home.daemon_pid(), signal.SIGKILL)  # the agent runs on in its shim
    time.sleep(0.2)
    done = home.wait_status(plan_id, timeout=30)  # the next command brings a daemon back
    plan = home.cli_json("view", plan_id)
    assert done["status"] == "completed", plan
    assert [t["status"] for t in tasks_of(plan)] == ["completed", "completed"]


# ---------------------------------------------------------------- invalid plans

@pytest.mark.parametrize("text,says", [
    ("tool: shell\ntasks:\n  - command: echo a\n    retries: 3\n", "plan.yaml:4: tasks[0].retries: unknown field"),
    ("tool: shell\nname: nothing\n", "plan.yaml: tasks: missing"),
    ("tool: shell\nbudget: { tokens: lots }\ntasks:\n  - command: echo a\n", "plan.yaml:2: budget.tokens"),
    ("tool: claude\ntasks:\n  - prompt: a\n  - spec: 999\n", "plan.yaml:4: tasks[1].spec: "),
    ("tool: claude\ntasks:\n  - prompt: a\n  - prompt: b\n    tool: cluade\n", "plan.yaml:5: tasks[1].tool: unknown tool 'cluade'"),
    ("tool: cluade\ntasks:\n  - prompt: a\n", "plan.yaml:1: tool: unknown tool 'cluade'"),
])
def test_an_invalid_plan_file_says_file_line_and_field_and_creates_nothing(home, project, text, says):
    path = write_plan(project, text)
    cp = plan_run(home, path, "-C", project, timeout=30)
    assert cp.returncode != 0
    assert says in cp.stderr, cp.stderr
    assert home.cli_json("ls") == [], "nothing was created"


def test_an_unknown_spec_names_the_tasks_field(home, project):
    path = write_plan(project, "tool: claude\ntasks:\n  - spec: 02\n")
    cp = plan_run(home, path, "-C", project, timeout=30)
    assert cp.returncode != 0 and "tasks[0].spec" in cp.stderr


# ---------------------------------------------------------------- API

def test_post_api_plans_and_the_session_filters(home, project):
    home.cli("ls")  # starts the daemon
    status, plan = home.api("POST", "/api/plans", {
        "name": "api-plan", "tool": "shell", "project_path": str(project),
        "tasks": [{"command": "echo a"}, {"command": "echo b", "verify": "true"}]})
    assert status == 201, plan
    assert plan["kind"] == "plan" and plan["plan"]["name"] == "api-plan" and len(plan["plan"]["tasks"]) == 2
    done = home.wait_status(plan["id"])
    assert done["status"] == "completed"
    status, kids = home.api("GET", "/api/sessions?parent_id=%s" % plan["id"])
    assert status == 200 and len(kids["sessions"]) == 3
    assert {k["metadata"]["plan_role"] for k in kids["sessions"]} == {"task", "verify"}
    status, plans = home.api("GET", "/api/sessions?kind=plan")
    assert [p["id"] for p in plans["sessions"]] == [plan["id"]]
    status, bad = home.api("POST", "/api/plans", {"tool": "shell", "project_path": str(project), "tasks": []})
    assert status == 422 and bad["error"]["code"] == "invalid_plan"
    status, bad = home.api("POST", "/api/plans", {"tool": "shell", "project_path": str(project), "tasks": "x"})
    assert status == 400 and bad["error"]["code"] == "bad_field"
    # A plan goes with its tasks.
    status, _ = home.api("DELETE", "/api/sessions/%s" % plan["id"])
    assert status == 200
    assert home.cli_json("ls") == []
