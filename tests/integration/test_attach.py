"""`agentmux attach` as a person uses it: two terminals (tmux panes) attached to one guided session
running an interactive shell type into it and both see the echo; the window size reaches the PTY;
detaching leaves the session running."""

import shutil
import subprocess
import time

import pytest

from conftest import BIN, wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by scripts/bootstrap")


def tmux(sock, *args):
    return subprocess.run(["tmux", "-S", sock, *args], capture_output=True, text=True, timeout=10)


def screen(sock, target):
    return tmux(sock, "capture-pane", "-p", "-t", target).stdout


def test_two_attached_terminals_share_a_session(home, project):
    sid = home.run_detached("--mode", "guided", "-C", project, "--", "bash", "--norc", "--noprofile", "-i")
    sock = str(home.root / "tmux.sock")
    env = " ".join("%s='%s'" % (k, home.env[k]) for k in ("AGENTMUX_HOME", "PATH", "HOME"))
    try:
        tmux(sock, "new-session", "-d", "-s", "one", "-x", "100", "-y", "30", "env %s %s attach %s" % (env, BIN, sid))
        tmux(sock, "new-session", "-d", "-s", "two", "-x", "90", "-y", "25", "env %s %s attach %s" % (env, BIN, sid[:13]))
        time.sleep(0.5)
        tmux(sock, "send-keys", "-t", "one", "echo typed-in-one-$((6*7))", "Enter")
        wait_for(lambda: "typed-in-one-42" in screen(sock, "one") and "typed-in-one-42" in screen(sock, "two"),
                 what="the echo in both terminals")
        tmux(sock, "send-keys", "-t", "two", "echo from-two; stty size", "Enter")
        wait_for(lambda: "from-two" in screen(sock, "one"), what="the second terminal's input in the first")
        # The last terminal to attach (or resize) sets the PTY size.
        tmux(sock, "resize-window", "-t", "two", "-x", "77", "-y", "21")
        time.sleep(0.5)
        tmux(sock, "send-keys", "-t", "two", "stty size", "Enter")
        wait_for(lambda: "21 77" in screen(sock, "two"), what="stty size after resize")
        # Detach the first terminal: Ctrl-\ then d.
        tmux(sock, "send-keys", "-t", "one", "C-\\", "d")
        wait_for(lambda: "detached" in screen(sock, "one") or tmux(sock, "has-session", "-t", "one").returncode != 0,
                 what="detach")
        assert home.view(sid)["status"] == "running"
        tmux(sock, "send-keys", "-t", "two", "exit", "Enter")
        done = home.wait_status(sid, timeout=10)
        assert done["status"] == "completed"
        assert b"typed-in-one-42" in home.raw_log(sid)
    finally:
        tmux(sock, "kill-server")


def test_an_attached_terminal_survives_a_daemon_restart(home, project):
    """Issue 13: the daemon restarts (its agents run on in their shims); `attach` reconnects by itself,
    the program redraws, and typing goes on reaching it."""
    sid = home.run_detached("--mode", "guided", "-C", project, "--", "bash", "--norc", "--noprofile", "-i")
    sock = str(home.root / "tmux.sock")
    env = " ".join("%s='%s'" % (k, home.env[k]) for k in ("AGENTMUX_HOME", "PATH", "HOME"))
    try:
        tmux(sock, "new-session", "-d", "-s", "one", "-x", "100", "-y", "30", "env %s %s attach %s" % (env, BIN, sid))
        time.sleep(0.5)
        tmux(sock, "send-keys", "-t", "one", "echo before-$((6*7))", "Enter")
        wait_for(lambda: "before-42" in screen(sock, "one"), what="the echo before the restart")
        old = home.daemon_pid()
        new_log = open(home.root / "new-daemon.log", "w")
        new = subprocess.Popen([str(BIN), "daemon", "--restart", "--listen", "off"], env=home.env,
                               stdout=new_log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: home.daemon_pid() == new.pid, timeout=15, what="the new daemon")
            assert old != new.pid
            wait_for(lambda: "reconnecting" in screen(sock, "one"), timeout=10, what="the reconnect notice")
            tmux(sock, "send-keys", "-t", "one", "echo after-$((7*7))", "Enter")
            # Typed during the reconnect: kept and delivered once the new daemon answers.
            wait_for(lambda: "after-49" in screen(sock, "one"), timeout=15, what="the echo after the restart")
            tmux(sock, "send-keys", "-t", "one", "exit", "Enter")
            done = home.wait_status(sid, timeout=10)
            assert done["status"] == "completed"
            assert b"after-49" in home.raw_log(sid)
        finally:
            new.terminate()
            new.wait(timeout=15)
    finally:
        tmux(sock, "kill-server")
