"""The daemon dies (kill -9) while a session runs; the next client command brings it back."""

import os
import re
import signal
import subprocess
import time

from conftest import pid_alive, proc_environ, wait_for

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


def test_kill9_daemon_session_becomes_interrupted_and_logs_survive(home, project):
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
    # The durability promise: output reaches disk within one group-commit window (≤ 100 ms).
    time.sleep(0.3)

    os.kill(daemon_pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(daemon_pid), timeout=5, what="the daemon to die")

    # Any client command restarts the daemon, which recovers the session.
    home.cli("ls")
    new_pid = home.daemon_pid()
    assert new_pid and new_pid != daemon_pid and pid_alive(new_pid)

    s = home.view(sid)
    assert s["status"] == "interrupted"
    assert s["pid"] is None
    assert s["ended_at"]
    events = home.cli_json("events", sid)
    assert [e["event_type"] for e in events].count("interrupted") == 1

    # Every line stored before the kill is there: contiguous from 1, no gaps, no duplicates.
    nums = numbered_lines(home.raw_log(sid))
    assert nums == list(range(1, len(nums) + 1)), "gaps or duplicates: %s" % nums[:50]
    assert len(nums) >= 20
    assert len(nums) >= len(seen), "lines seen before the kill are missing after the restart: had %d, now %d" % (
        len(seen), len(nums))
    assert s["log_bytes"] == len(home.raw_log(sid))

    # The store survived the crash intact.
    ic = subprocess.run(["sqlite3", str(home.db), "PRAGMA integrity_check"], capture_output=True, text=True,
                        timeout=30)
    assert ic.stdout.strip() == "ok", ic.stdout + ic.stderr

    # The orphaned agent is gone (or the pid now belongs to some other process).
    mark = ("AGENTMUX_SESSION_ID=%s" % sid).encode()
    wait_for(lambda: not pid_alive(agent_pid) or mark not in proc_environ(agent_pid), timeout=5,
             what="the orphaned session process %d to be gone" % agent_pid)


def test_recovered_daemon_keeps_working(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", "echo started; sleep 30")
    home.wait_status(sid, {"running"}, timeout=10)
    wait_for(lambda: b"started" in home.raw_log(sid), timeout=10, what="output")
    os.kill(home.daemon_pid(), signal.SIGKILL)

    # A new session runs normally on the restarted daemon, and the old one is interrupted.
    cp = home.cli("run", "-C", project, "--", "sh", "-c", "echo after restart", check=False, timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert "after restart" in cp.stdout
    assert home.view(sid)["status"] == "interrupted"
    # An interrupted session cannot be paused or stopped, and can be deleted.
    bad = home.cli("pause", sid, check=False)
    assert bad.returncode != 0
    home.cli("rm", sid)
    gone = home.cli("view", sid, check=False)
    assert gone.returncode != 0 and "no session" in gone.stderr


def test_orphan_that_ignores_hangup_is_killed_on_recovery(home, project):
    # A PTY session usually dies of SIGHUP with the daemon; this one ignores it (like a detached
    # build would), so only the restarted daemon's recovery can end it.
    sid = home.run_detached("-C", project, "--", "sh", "-c",
                            "trap '' HUP; echo ready; while :; do sleep 0.05; done")
    s = home.wait_status(sid, {"running"}, timeout=10)
    agent_pid = s["pid"]
    wait_for(lambda: b"ready" in home.raw_log(sid), timeout=10, what="ready")
    os.kill(home.daemon_pid(), signal.SIGKILL)
    time.sleep(0.5)
    mark = ("AGENTMUX_SESSION_ID=%s" % sid).encode()
    assert pid_alive(agent_pid) and mark in proc_environ(agent_pid), "the orphan should outlive the daemon"

    home.cli("ls")  # restarts the daemon
    assert home.view(sid)["status"] == "interrupted"
    wait_for(lambda: not pid_alive(agent_pid) or mark not in proc_environ(agent_pid), timeout=5,
             what="the orphaned session process %d to be killed" % agent_pid)
