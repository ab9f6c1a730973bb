"""Measure 8 — a big log opens at its end (issue 16): a finished session of 1,000,000 lines
(~70 MB; quick: 100,000) opened in Chromium, ms from navigation to its last line on screen (the
page's own performance.now()), 3 loads; the reference, in the same page and run, is fetching the
whole log over the API (GET …/logs?format=raw page by page), the least any full replay must do.
Runs web/e2e/biglog.mjs (playwright-core + Debian's chromium) with this run's binary.
"""
import json
import os
import subprocess

from . import common as C


def run(cfg):
    lines = cfg.get("biglog_lines", 1_000_000)
    web = os.path.join(C.REPO, "web")
    env = dict(os.environ, AGENTMUX_BIN=cfg["binary"], BIGLOG_LINES=str(lines), BIGLOG_RUNS="3")
    cp = subprocess.run(["node", "e2e/biglog.mjs"], cwd=web, env=env, capture_output=True, text=True, timeout=1800)
    for line in cp.stdout.splitlines():
        C.log("biglog: " + line)
        if line.startswith("BIGLOG_RESULT "):
            out = json.loads(line[len("BIGLOG_RESULT "):])
            out["lines"] = lines
            out["ratio_vs_fetch_all"] = out["open_median_ms"] / max(1, out["fetch_all_ms"])
            return out
    return {"error": "web/e2e/biglog.mjs gave no result (exit %d): %s" % (cp.returncode, (cp.stderr or cp.stdout)[-500:])}
