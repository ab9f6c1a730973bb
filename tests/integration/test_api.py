"""The HTTP API with clients the project did not write (curl), over TCP with the bearer token and
over the unix socket: the whole lifecycle, seed 000's request shapes and the agent environment they
produce, and every kind of bad input — after which the daemon is still up."""

import json
import subprocess
import time

import pytest

from conftest import wait_for


class Tcp:
    """curl against the daemon's TCP listener (port from daemon.json, token from the token file)."""

    def __init__(self, home):
        self.home = home
        info = json.loads((home.dir / "daemon.json").read_text())
        self.base = "http://127.0.0.1:%d" % info["port"]
        self.token = (home.dir / "token").read_text().strip()

    def call(self, method, path, body=None, token=True, headers=(), raw_body=None):
        cmd = ["curl", "-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}", self.base + path]
        if token:
            cmd += ["-H", "Authorization: Bearer " + (self.token if token is True else token)]
        for h in headers:
            cmd += ["-H", h]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        if raw_body is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=20, input=raw_body)
        assert cp.returncode == 0, "curl failed: %s" % cp.stderr
        text, _, code = cp.stdout.rpartition("\n")
        try:
            return int(code), json.loads(text)
        except ValueError:
            return int(code), text


@pytest.fixture
def tcp(home):
    home.env["AGENTMUX_LISTEN"] = "127.0.0.1:0"
    home.cli("ls")  # starts the daemon
    return Tcp(home)


def env_of(home, sid):
    """The LEANSPEC_*/AGENTMUX_* variables the agent printed (see ENV_CMD)."""
    home.wait_status(sid)
    out = home.raw_log(sid).decode()
    return dict(line.split("=", 1) for line in out.replace("\r", "").splitlines() if "=" in line)


ENV_CMD = ["sh", "-c", 'echo "IDS=$LEANSPEC_SPEC_IDS"; echo "ID=$LEANSPEC_SPEC_ID"; '
                       'echo "PROMPT=${LEANSPEC_PROMPT-<unset>}"; echo "SID=$AGENTMUX_SESSION_ID"']


def test_lifecycle_over_tcp(tcp, project):
    st, s = tcp.call("POST", "/api/sessions", {"project_path": str(project), "command": ["sleep", "30"]})
    assert st == 201 and s["status"] == "pending" and s["spec_ids"] == []
    sid = s["id"]
    assert tcp.call("POST", "/api/sessions/%s/start" % sid[:13])[1]["status"] == "running"
    assert tcp.call("POST", "/api/sessions/%s/pause" % sid)[1]["status"] == "paused"
    assert tcp.call("POST", "/api/sessions/%s/resume" % sid)[1]["status"] == "running"
    st, s = tcp.call("POST", "/api/sessions/%s/stop" % sid, {"grace_ms": 2000})
    assert st == 200
    s = wait_for(lambda: (lambda v: v if v["status"] == "cancelled" else None)(tcp.call("GET", "/api/sessions/" + sid)[1]),
                 what="cancelled")
    assert s["pid"] is None and s["signal"] == "SIGTERM"
    events = [e["event_type"] for e in tcp.call("GET", "/api/sessions/%s/events" % sid)[1]["events"]]
    # In a git repository the session is checkpointed when it starts and when it ends (issue 15).
    assert events == ["created", "checkpoint", "started", "paused", "resumed", "checkpoint", "output_closed",
                      "cancelled"]
    st, lst = tcp.call("GET", "/api/sessions?status=cancelled")
    assert [x["id"] for x in lst["sessions"]] == [sid]
    assert tcp.call("DELETE", "/api/sessions/" + sid)[0] == 200
    assert tcp.call("GET", "/api/sessions/" + sid)[0] == 404


def test_seed000_request_shapes_over_both_listeners(tcp, home, project):
    # spec_ids: [] + prompt → a prompt-only session (unix socket)
    st, a = home.api("POST", "/api/sessions", {"project_path": str(project), "spec_ids": [], "prompt": "fix lint",
                                               "command": ENV_CMD, "start": True})
    assert st == 201, a
    assert a["spec_ids"] == [] and a["prompt"] == "fix lint"
    # two specs in order (TCP)
    st, b = tcp.call("POST", "/api/sessions", {"project_path": str(project), "spec_ids": ["320", "028"],
                                               "command": ENV_CMD, "start": True})
    assert st == 201 and b["spec_ids"] == ["320", "028"], b
    # the deprecated spec_id alias
    st, c = tcp.call("POST", "/api/sessions", {"project_path": str(project), "spec_id": "028", "command": ENV_CMD,
                                               "start": True})
    assert st == 201 and c["spec_ids"] == ["028"], c
    assert tcp.call("GET", "/api/sessions/" + c["id"])[1]["spec_ids"] == ["028"]

    ea, eb, ec = env_of(home, a["id"]), env_of(home, b["id"]), env_of(home, c["id"])
    assert ea == {"IDS": "", "ID": "", "PROMPT": "fix lint", "SID": a["id"]}
    assert eb == {"IDS": "320,028", "ID": "320", "PROMPT": "<unset>", "SID": b["id"]}
    assert ec["IDS"] == "028" and ec["ID"] == "028" and ec["PROMPT"] == "<unset>"
    # filter by spec
    ids = {s["id"] for s in tcp.call("GET", "/api/sessions?spec=028")[1]["sessions"]}
    assert ids == {b["id"], c["id"]}


def test_bad_input_gets_the_right_status_and_the_daemon_stays_up(tcp, project):
    pid = tcp.home.daemon_pid()
    assert tcp.call("GET", "/api/health", token=False)[0] == 401
    assert tcp.call("GET", "/api/health", token="wrong-token-wrong-token-wrong")[0] == 401
    st, body = tcp.call("POST", "/api/sessions", {"project_path": str(project), "command": ["true"]},
                        headers=["Origin: http://evil.example"])
    assert st == 403 and body["error"]["code"] == "bad_origin"
    assert tcp.call("POST", "/api/sessions", raw_body="{not json")[0] == 400
    assert tcp.call("POST", "/api/sessions", raw_body="x" * (2 << 20))[0] == 413
    assert tcp.call("GET", "/api/nope")[0] == 404
    assert tcp.call("GET", "/api/sessions/ffffffff")[1]["error"]["code"] == "session_not_found"
    st, body = tcp.call("POST", "/api/sessions", {"project_path": str(project), "tool": "nope"})
    assert st == 422 and body["error"]["code"] == "unknown_tool"
    st, body = tcp.call("POST", "/api/sessions", {"project_path": str(project), "spec_ids": ["999"], "command": ["true"]})
    assert st == 422 and "close matches" in body["error"]["message"]
    st, body = tcp.call("POST", "/api/sessions", {"project_path": str(project), "spec_ids": "028"})
    assert st == 400 and body["error"]["code"] == "bad_field" and "spec_ids" in body["error"]["message"]
    st, s = tcp.call("POST", "/api/sessions", {"project_path": str(project), "command": ["true"], "start": True})
    wait_for(lambda: tcp.call("GET", "/api/sessions/" + s["id"])[1]["status"] == "completed", what="completed")
    st, body = tcp.call("POST", "/api/sessions/%s/pause" % s["id"])
    assert st == 409 and body["error"]["code"] == "illegal_transition"
    # Every error has the documented shape, and the daemon is still the same process, still serving.
    assert set(body["error"]) == {"code", "message"}
    assert tcp.call("GET", "/api/health")[0] == 200
    assert tcp.home.daemon_pid() == pid


def test_websocket_upgrade_checks_origin_and_token(tcp):
    host = tcp.base[len("http://"):]

    def upgrade(*headers):
        cmd = ["curl", "-sS", "--max-time", "3", "-o", "/dev/null", "-w", "%{http_code}", "--http1.1",
               "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
               "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
        for h in headers:
            cmd += ["-H", h]
        cp = subprocess.run(cmd + [tcp.base + "/api/stream"], capture_output=True, text=True, timeout=10)
        return cp.stdout.strip()

    assert upgrade() == "401"
    assert upgrade("Authorization: Bearer " + tcp.token, "Origin: http://evil.example") == "403"
    assert upgrade("Authorization: Bearer " + tcp.token, "Origin: http://" + host) == "101"
    assert upgrade("Sec-WebSocket-Protocol: agentmux.v1, bearer." + tcp.token) == "101"


def test_ui_url_carries_the_token_and_token_file_is_private(tcp, home):
    url = home.cli("ui-url").stdout.strip()
    assert url == "%s/?token=%s" % (tcp.base, tcp.token)
    assert oct((home.dir / "token").stat().st_mode & 0o777) == "0o600"
