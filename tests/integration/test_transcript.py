"""Transcript items served by the daemon (issue 12 item 4): GET /api/sessions/:id/transcript and
the WebSocket subscription with "transcript": true, from scripted agents that print the genuine
CLIs' recorded output (tests/fixtures/transcripts) line by line; and the CLI, which only prints the
daemon's items."""

import asyncio
import json
from pathlib import Path

import websockets

from conftest import wait_for

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "transcripts"
TERMINAL = ("completed", "failed", "cancelled", "interrupted")


def scripted_agent(home, tool, fixture, delay="0.05", tail="", stderr=""):
    """Points `tool` at a script that reads its context, then prints `fixture` a line every `delay`
    seconds (after `stderr` on stderr), then `tail` with no newline."""
    path = home.root / ("fake-" + tool)
    body = "cat >/dev/null\n"
    if stderr:
        body += "printf '%%s\\n' '%s' >&2\n" % stderr
    body += "while IFS= read -r line; do printf '%%s\\n' \"$line\"; sleep %s; done < '%s'\n" % (delay, FIXTURES / fixture)
    if tail:
        body += "printf '%%s' '%s'\n" % tail
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    home.env["AGENTMUX_%s_BIN" % tool.upper()] = str(path)


def kinds(items):
    return [i["kind"] for i in items]


async def follow(home, sid, since_seq=0, items=None):
    """Subscribes with transcript: true and applies every update until the session has ended and
    its final log message arrived. Returns (items, replacements seen, error messages)."""
    items = list(items or [])
    replaced, errors = 0, []
    expected, final_seq = since_seq + 1, None
    async with websockets.unix_connect(str(home.socket), "ws://localhost/api/stream", max_size=1 << 24) as ws:
        await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "since_seq": since_seq, "transcript": True}))
        while final_seq is None or expected <= final_seq:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if msg["type"] == "transcript":
                # A chunk's updates come before its log message (or, for the end of the last line,
                # right after the final one).
                assert msg["seq"] >= expected - 1, (msg["seq"], expected)
                assert msg["session_id"] == sid and msg["updates"]
                for u in msg["updates"]:
                    assert u["index"] <= len(items), "an update beyond the end: %r" % u
                    if u["index"] == len(items):
                        items.append(u["item"])
                    else:
                        items[u["index"]] = u["item"]
                        replaced += 1
            elif msg["type"] == "log":
                assert msg["seq"] == expected, "gap or duplicate: seq %d, expected %d" % (msg["seq"], expected)
                expected += 1
            elif msg["type"] == "status" and msg["status"] in TERMINAL:
                final_seq = msg["log_seq"]
            elif msg["type"] == "error":
                errors.append(msg)
    return items, replaced, errors


def test_a_claude_session_transcript_is_served_whole_and_names_what_the_agent_did(home, project):
    scripted_agent(home, "claude", "claude-stream-json.jsonl", delay="0.01", tail="last words, no newline",
                   stderr="warning: from stderr")
    sid = home.run_detached("--tool", "claude", "--prompt", "create hello.txt", "-C", project)
    s = home.wait_status(sid)
    assert s["status"] == "completed", s
    assert s["transcript"] is True
    status, t = home.api("GET", "/api/sessions/%s/transcript" % sid[:8])
    assert status == 200, t
    assert t["session_id"] == sid and t["log_seq"] == s["log_seq"]
    items = t["items"]
    assert kinds([i for i in items if i["kind"] != "raw"]) == ["init", "text", "tool_use", "tool_result", "text", "result"]
    init = items[kinds(items).index("init")]
    assert init["agent"] == "Claude Code" and init["conversation_id"] == "e254051f-ca00-4c11-a542-cef57e7dcd50"
    use = items[kinds(items).index("tool_use")]
    assert use["name"] == "Write" and use["summary"] == "/home/dev/lab/repo1/hello.txt"
    assert use["input"]["file_path"] == "/home/dev/lab/repo1/hello.txt"
    result = items[kinds(items).index("tool_result")]
    assert result["tool_use_id"] == use["id"] and result["tool_name"] == "Write" and result["is_error"] is False
    done = items[kinds(items).index("result")]
    assert done["is_error"] is False and done["num_turns"] == 2 and done["usage"]["input_tokens"] == 3460
    assert {"kind": "raw", "stream": "stderr", "text": "warning: from stderr"} in items
    # The session has ended: its last line, without a newline, is read too.
    assert items[-1] == {"kind": "raw", "stream": "stdout", "text": "last words, no newline"}

    # The tools list and every session payload say which have a transcript.
    _, tools = home.api("GET", "/api/tools")
    has = {t["name"]: t["transcript"] for t in tools["tools"]}
    assert has["claude"] and has["codex"] and has["gemini"] and not has["shell"]


def test_a_session_without_a_transcript_or_a_wrong_id_is_refused_with_what_to_do(home, project):
    sid = home.run_detached("-C", project, "--", "sh", "-c", "echo plain")
    s = home.wait_status(sid)
    assert s["transcript"] is False
    status, err = home.api("GET", "/api/sessions/%s/transcript" % sid)
    assert status == 422 and err["error"]["code"] == "no_transcript", err
    assert "/api/sessions/%s/logs" % sid in err["error"]["message"]
    status, err = home.api("GET", "/api/sessions/0000dead-0000-7000-8000-000000000000/transcript")
    assert status == 404 and err["error"]["code"] == "session_not_found", err

    # On the WebSocket the subscription stands, without transcript messages: the log still comes.
    async def subscribe():
        got = []
        async with websockets.unix_connect(str(home.socket), "ws://localhost/api/stream") as ws:
            await ws.send(json.dumps({"type": "subscribe", "session_id": sid, "transcript": True}))
            while not any(m["type"] == "log" for m in got):
                got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        return got

    got = asyncio.run(subscribe())
    errors = [m for m in got if m["type"] == "error"]
    assert errors and errors[0]["error"]["code"] == "no_transcript" and errors[0]["session_id"] == sid
    assert not any(m["type"] == "transcript" for m in got)


def test_websocket_subscribers_from_the_start_and_from_mid_run_end_with_the_items_get_serves(home, project):
    # Gemini streams its answer as deltas: one item grows in place, so updates replace as well.
    scripted_agent(home, "gemini", "gemini-stream-json.jsonl", delay="0.15")
    sid = home.run_detached("--tool", "gemini", "--prompt", "create hello.txt", "-C", project)
    wait_for(lambda: home.view(sid)["log_seq"] >= 3, timeout=20, what="the agent's first lines")
    status, mid = home.api("GET", "/api/sessions/%s/transcript" % sid)
    assert status == 200 and mid["log_seq"] >= 3 and mid["items"], mid

    async def both():
        return await asyncio.gather(follow(home, sid), follow(home, sid, mid["log_seq"], mid["items"]))

    (from_start, replaced, errors), (from_mid, _, mid_errors) = asyncio.run(both())
    assert not errors and not mid_errors
    assert home.view(sid)["status"] == "completed"
    _, whole = home.api("GET", "/api/sessions/%s/transcript" % sid)
    assert from_start == whole["items"]
    assert from_mid == whole["items"]
    assert kinds(whole["items"]) == ["init", "text", "tool_use", "tool_result", "text", "result"]
    assert whole["items"][4]["text"].startswith("Done. The tool said: ")
    assert replaced > 0, "the streamed answer grew in place"


def test_the_cli_prints_the_daemons_items_the_same_live_and_afterwards(home, project):
    scripted_agent(home, "claude", "claude-stream-json.jsonl", delay="0.2")
    sid = home.run_detached("--tool", "claude", "--prompt", "create hello.txt", "-C", project)
    live = home.cli("logs", "-f", sid, timeout=60).stdout
    after = home.cli("logs", sid).stdout
    assert live == after
    assert "● Claude Code 2.1.197 · model claude-opus-4-8[1m] · conversation e254051f" in after
    assert "→ Write(/home/dev/lab/repo1/hello.txt)\n← File created successfully" in after
    assert "✓ done · turns 2 · tokens in 3460 out 99 · cost $0.0198" in after
    assert '{"type":' not in after
    assert home.cli("logs", "--tail", "1", sid).stdout == after.splitlines(True)[-1]
    assert home.cli("logs", "--raw", sid).stdout.startswith('{"type":"system"')
