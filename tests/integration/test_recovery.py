"""The daemon dies (kill -9) while a session runs; the next client command brings it back. The
agent runs on in its shim (issue 13) and the new daemon reattaches it; only a session whose shim is
gone too is interrupted."""

import os
import re
import signal
import subprocess
import time

from conftest import pid_alive, pids_with_env, proc_environ, wait_for

SCRIPT = "for i in $(seq 1 1000); do echo line $i; sleep 0.01; done"


def numbered_lines(raw):
    """The N of every complete "line N" in the output, in order (a cut-off last line is left out)."""
    text = raw.decode(errors="replace").replace("\r\n", "\n")
    complete = text[: text.rfind("\n") + 1]
    nums = []
    for line in complete.split("\n"):
        if line:
            m = re.fullmatch(r"line (\d+)", line)
            assert m, "unexpected output line %r" % line
            nums.append(int(m.group(1)))
    return nums


def test_kill9_daemon_session_is_reattached_and_its_log_goes_on(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", SCRIPT)
    s = home.wait_status(sid, {"running"}, timeout=10)
    agent_pid = s["pid"]
    assert agent_pid and pid_alive(agent_pid)
    daemon_pid = home.daemon_pid()
    assert daemon_pid and pid_alive(daemon_pid)

    # Let it print for about a second, and note what a reader saw.
    wait_for(lambda: len(numbered_lines(home.raw_log(sid))) >= 20, timeout=10, what="20 lines of output")
    time.sleep(0.8)
    seen = numbered_lines(home.raw_log(sid))
    # The durability promise: output reaches disk within one group-commit window.
    time.sleep(0.3)

    os.kill(daemon_pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(daemon_pid), timeout=5, what="the daemon to die")
    assert pid_alive(agent_pid), "the agent outlives the daemon"

    # Any client command restarts the daemon, which reattaches the session.
    home.cli("ls")
    new_pid = home.daemon_pid()
    assert new_pid and new_pid != daemon_pid and pid_alive(new_pid)
    s = home.view(sid)
    assert s["status"] == "running" and s["pid"] == agent_pid
    s = home.wait_status(sid, timeout=30)
    assert s["status"] == "completed"
    events = [e["event_type"] for e in home.cli_json("events", sid)]
    assert events.count("reattached") == 1 and "interrupted" not in events

    # Every line stored before the kill is there, and what came after: the numbers only go up, and
    # the one jump is what the dead daemon had read but not committed (one group commit at most).
    nums = numbered_lines(home.raw_log(sid))
    assert nums[: len(seen)] == seen, "lines seen before the kill changed after the restart"
    assert all(b > a for a, b in zip(nums, nums[1:])), "a repeat"
    assert nums[-1] == 1000 and len([1 for a, b in zip(nums, nums[1:]) if b != a + 1]) <= 1
    assert s["log_bytes"] == len(home.raw_log(sid))

    # The store survived the crash intact.
    ic = subprocess.run(["sqlite3", str(home.db), "PRAGMA integrity_check"], capture_output=True, text=True,
                        timeout=30)
    assert ic.stdout.strip() == "ok", ic.stdout + ic.stderr


def test_recovered_daemon_keeps_working(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", "echo started; sleep 30")
    home.wait_status(sid, {"running"}, timeout=10)
    wait_for(lambda: b"started" in home.raw_log(sid), timeout=10, what="output")
    os.kill(home.daemon_pid(), signal.SIGKILL)

    # A new session runs normally on the restarted daemon, and the old one goes on.
    cp = home.cli("run", "-C", project, "--", "sh", "-c", "echo after restart", check=False, timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert "after restart" in cp.stdout
    assert home.view(sid)["status"] == "running"
    # It can be paused, resumed and stopped as before, and then deleted.
    home.cli("pause", sid)
    assert home.view(sid)["status"] == "paused"
    home.cli("resume", sid)
    home.cli("stop", sid)
    assert home.view(sid)["status"] == "cancelled"
    home.cli("rm", sid)
    gone = home.cli("view", sid, check=False)
    assert gone.returncode != 0 and "no session" in gone.stderr


def test_orphan_that_ignores_hangup_is_killed_on_recovery(home, project):
    # The daemon and the session's shim die (power loss would take both): the agent, which ignores
    # SIGHUP like a detached build would, is left to nobody; only the restarted daemon's recovery
    # can end it.
    sid = home.run_detached("-C", project, "--", "sh", "-c",
                            "trap '' HUP; echo ready; while :; do sleep 0.05; done")
    s = home.wait_status(sid, {"running"}, timeout=10)
    agent_pid = s["pid"]
    wait_for(lambda: b"ready" in home.raw_log(sid), timeout=10, what="ready")
    os.kill(home.daemon_pid(), signal.SIGKILL)
    for pid in pids_with_env("AGENTMUX_HOME=%s" % home.dir):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if f.read().split(b"\0")[1:2] == [b"shim"]:
                    os.kill(pid, signal.SIGKILL)  # the session's shim
        except OSError:
            pass
    time.sleep(0.5)
    mark = ("AGENTMUX_SESSION_ID=%s" % sid).encode()
    assert pid_alive(agent_pid) and mark in proc_environ(agent_pid), "the orphan should outlive the daemon"

    home.cli("ls")  # restarts the daemon
    assert home.view(sid)["status"] == "interrupted"
    wait_for(lambda: not pid_alive(agent_pid) or mark not in proc_environ(agent_pid), timeout=5,
             what="the orphaned session process %d to be killed" % agent_pid)
