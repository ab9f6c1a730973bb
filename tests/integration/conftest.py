"""Fixtures for the integration tests: the real agentmux binary, driven through its CLI and its
HTTP API on the unix socket, each test in its own data dir with its own daemon.

Run:  /usr/bin/python3 -m pytest -q tests/integration
Env:  AGENTMUX_BIN  the binary under test (default: <repo>/build/agentmux)

Every test gets a fresh AGENTMUX_HOME (short path under /tmp: unix socket paths are limited to 107
bytes). The first CLI command auto-starts the daemon, which inherits the CLI's environment, so
anything the agents must see (ANTHROPIC_BASE_URL, HOME, ...) is put in `home.env` before that.
At teardown the daemon (pid from daemon.json) gets SIGTERM, then SIGKILL, and every process still
carrying AGENTMUX_HOME=<this test's dir> in its environment (daemons and agents alike) is killed.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AGENTMUX_BIN") or REPO / "build" / "agentmux")
AGENT_BIN_DIR = REPO / "tools" / "agents" / "node_modules" / ".bin"
PYTHON = sys.executable or "/usr/bin/python3"

TERMINAL = {"completed", "failed", "cancelled", "interrupted"}


# ---------------------------------------------------------------- process helpers

def proc_stat(pid):
    """(state, pgrp) of a live process, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[2])


def pid_alive(pid):
    """True when `pid` exists and is not a zombie (PID 1 here may be slow to reap orphans)."""
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def proc_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def pids_with_env(entry):
    """Live pids whose environment holds exactly `entry` ("NAME=value")."""
    want = entry.encode()
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid() and want in proc_environ(int(name)):
            if pid_alive(int(name)):
                out.append(int(name))
    return out


def group_members(pgid):
    """Live (non-zombie) processes in process group `pgid`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[1] == pgid and st[0] != "Z":
                out.append(int(name))
    return out


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    """Polls `pred` until it returns a truthy value (returned) or fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def kill_and_wait(pid, timeout=5.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------- the data dir + CLI

class Home:
    """One test's data dir, the environment its CLI commands (and so its daemon) get, and helpers."""

    def __init__(self, root):
        self.root = Path(root)
        self.dir = self.root / "h"
        self.dir.mkdir()
        self.user_home = self.root / "userhome"
        self.user_home.mkdir()
        (self.root / "tmp").mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AGENTMUX_", "ANTHROPIC_", "CLAUDE_", "LEANSPEC_"))}
        env.update({
            "AGENTMUX_HOME": str(self.dir),
            "HOME": str(self.user_home),
            "PATH": "%s:%s" % (AGENT_BIN_DIR, os.environ.get("PATH", "/usr/bin:/bin")),
            "DISABLE_TELEMETRY": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "CLAUDE_CODE_MAX_RETRIES": "0",
            "CLAUDE_CODE_TMPDIR": str(self.root / "tmp"),
            "LC_ALL": "C.UTF-8",
        })
        env.pop("XDG_DATA_HOME", None)
        self.env = env

    # paths
    @property
    def socket(self):
        return self.dir / "daemon.sock"

    @property
    def db(self):
        return self.dir / "agentmux.db"

    def daemon_pid(self):
        try:
            return json.loads((self.dir / "daemon.json").read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return None

    # commands
    def cli(self, *args, check=True, timeout=60, input=None, env=None):
        """Runs `agentmux ARGS…`; returns the CompletedProcess (text). check: fail on rc != 0."""
        e = dict(self.env)
        if env:
            e.update(env)
        try:
            cp = subprocess.run([str(BIN), *map(str, args)], env=e, input=input, capture_output=True,
                                text=True, timeout=timeout, cwd=str(self.root), errors="replace")
        except subprocess.TimeoutExpired as ex:
            pytest.fail("agentmux %s: no exit within %ss; stdout=%r stderr=%r"
                        % (" ".join(map(str, args)), timeout, ex.stdout, ex.stderr))
        if check and cp.returncode != 0:
            pytest.fail("agentmux %s: exit %d\nstdout: %s\nstderr: %s"
                        % (" ".join(map(str, args)), cp.returncode, cp.stdout, cp.stderr))
        return cp

    def cli_json(self, *args, **kw):
        cp = self.cli(*args, "--json", **kw)
        return json.loads(cp.stdout)

    def view(self, sid):
        return self.cli_json("view", sid)

    def raw_log(self, sid):
        """The session's stored output, exactly (bytes)."""
        cp = subprocess.run([str(BIN), "logs", sid, "--raw"], env=self.env, capture_output=True, timeout=30)
        assert cp.returncode == 0, cp.stderr.decode(errors="replace")
        return cp.stdout

    def run_detached(self, *args):
        """`agentmux run -d ARGS…` → the new session's id."""
        out = self.cli("run", "-d", *args).stdout.strip()
        assert re.fullmatch(r"[0-9a-f-]{36}", out), "run -d printed %r, not an id" % out
        return out

    def wait_status(self, sid, statuses=TERMINAL, timeout=30):
        """Polls `view` until the session's status is in `statuses`; returns the session JSON."""
        last = {}

        def done():
            last["s"] = self.view(sid)
            return last["s"]["status"] in statuses

        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                pytest.fail("session %s still %s after %ss" % (sid, last["s"]["status"], timeout))
            time.sleep(0.05)
        return last["s"]

    def api(self, method, path, body=None):
        """HTTP on the unix socket with curl: (status, parsed JSON or text)."""
        cmd = ["curl", "-sS", "--max-time", "10", "--unix-socket", str(self.socket), "-X", method,
               "-w", "\n%{http_code}", "http://agentmux" + path]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        assert cp.returncode == 0, "curl failed: %s" % cp.stderr
        text, _, code = cp.stdout.rpartition("\n")
        try:
            return int(code), json.loads(text)
        except ValueError:
            return int(code), text

    # teardown
    def stop_daemon(self):
        pid = self.daemon_pid()
        if pid and str(self.dir) in " ".join(a.decode(errors="replace") for a in _cmdline(pid)):
            kill_and_wait(pid, timeout=8)

    def cleanup(self):
        self.stop_daemon()
        # Anything else this test started through the daemon (agents, orphans, a second daemon)
        # inherited AGENTMUX_HOME=<dir>.
        for _ in range(3):
            pids = pids_with_env("AGENTMUX_HOME=%s" % self.dir)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


@pytest.fixture(scope="session", autouse=True)
def _binary_present():
    if not BIN.is_file() or not os.access(BIN, os.X_OK):
        pytest.exit("no agentmux binary at %s (build it, or set AGENTMUX_BIN)" % BIN, returncode=2)


@pytest.fixture
def home():
    h = Home(tempfile.mkdtemp(prefix="amx-it-", dir="/tmp"))
    try:
        yield h
    finally:
        h.cleanup()


@pytest.fixture
def cli(home):
    """cli(*args, check=True, timeout=60, input=None, env=None) -> CompletedProcess."""
    return home.cli


# ---------------------------------------------------------------- fake Anthropic API

class FakeAnthropic:
    def __init__(self, port, log, proc):
        self.port = port
        self.log = log
        self.proc = proc
        self.url = "http://127.0.0.1:%d" % port

    def requests(self):
        """Every logged request, parsed."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def message_requests(self):
        return [r for r in self.requests()
                if r["method"] == "POST" and r["path"].split("?")[0] == "/v1/messages"
                and isinstance(r["body"], dict)]


@pytest.fixture
def fake_anthropic():
    """The scripted Anthropic API (tests/fixtures/fake_anthropic.py, expected key "test")."""
    yield from _fake_server("fake_anthropic.py", FakeAnthropic)


# ---------------------------------------------------------------- fake OpenAI and Gemini APIs

class FakeServer(FakeAnthropic):
    def posts(self, path_part):
        """Logged POST requests whose path contains `path_part`, oldest first."""
        return [r for r in self.requests() if r["method"] == "POST" and path_part in r["path"]
                and isinstance(r["body"], dict)]


def _fake_server(script, cls=None):
    """Starts tests/fixtures/<script> on a free loopback port and yields a `cls` (FakeServer) for it."""
    cls = cls or FakeServer
    d = Path(tempfile.mkdtemp(prefix="amx-fake-", dir="/tmp"))
    log = d / "requests.jsonl"
    proc = subprocess.Popen([PYTHON, str(REPO / "tests" / "fixtures" / script), "--port", "0", "--log", str(log),
                             "--key", "test"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        m = re.fullmatch(r"PORT (\d+)\n", line)
        if not m:
            pytest.fail("%s did not start: %r" % (script, line))
        yield cls(int(m.group(1)), log, proc)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fake_openai():
    """Scripted OpenAI Responses + Chat Completions API (tests/fixtures/fake_openai.py, key "test")."""
    yield from _fake_server("fake_openai.py")


@pytest.fixture
def fake_gemini():
    """Scripted Gemini generateContent API (tests/fixtures/fake_gemini.py, key "test")."""
    yield from _fake_server("fake_gemini.py")


def closed_port():
    """A loopback port nothing listens on (a model server that is down)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- a LeanSpec project

SPECS = {
    "001-hello-file": ("Hello file", "Create `hello.txt` in the project root with a greeting. SPEC-MARKER-001"),
    "028-cli-ui-modernization": ("CLI UI modernization", "Make the CLI output readable. SPEC-MARKER-028"),
    "320-session-recovery": ("Session recovery", "Recover sessions after a daemon crash. SPEC-MARKER-320"),
}


@pytest.fixture
def project():
    """A git repo with LeanSpec specs 001, 028 and 320 (each body holds SPEC-MARKER-<nnn>)."""
    d = Path(tempfile.mkdtemp(prefix="amx-proj-", dir="/tmp")).resolve()
    for slug, (title, body) in SPECS.items():
        p = d / "specs" / slug
        p.mkdir(parents=True)
        (p / "README.md").write_text(
            "---\nstatus: planned\ncreated: 2025-01-01\npriority: medium\n---\n\n# %s\n\n## Overview\n\n%s\n"
            % (title, body))
    (d / "README.md").write_text("# test project\n")
    git = ["git", "-C", str(d), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "specs"], check=True)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
