"""docs/api.md is the API's contract: every route it documents exists on the daemon, and every
route the daemon's router declares (src/api/api.h) is documented."""

import re

from conftest import REPO

DOC = (REPO / "docs" / "api.md").read_text()
HEADER = (REPO / "src" / "api" / "api.h").read_text()


def documented_routes():
    routes = set()
    for method, path in re.findall(r"^\| `(GET|POST|DELETE) (/api/[^`?\[ ]+)", DOC, re.M):
        routes.add((method, path))
    return routes


def header_routes():
    routes = set()
    for method, path in re.findall(r"^//\s+(GET|POST|DELETE)\s+(/api/\S+)", HEADER, re.M):
        path = path.split("?")[0]
        if "{" in path:  # /api/sessions/:id/{start,pause,resume,stop}
            base, alts = re.match(r"(.*)\{(.*)\}", path).groups()
            routes.update((method, base + a) for a in alts.split(","))
        else:
            routes.add((method, path))
    return routes


def test_every_route_of_the_router_is_documented():
    missing = header_routes() - documented_routes()
    assert not missing, "routes in src/api/api.h missing from docs/api.md: %s" % sorted(missing)


def test_every_documented_route_answers(home, project):
    home.cli("ls")  # starts the daemon
    st, s = home.api("POST", "/api/sessions", {"project_path": str(project), "command": ["true"]})
    assert st == 201
    sid = s["id"]
    for method, path in sorted(documented_routes()):
        if path.endswith("/stream"):
            continue  # WebSocket: test_stream.py
        url = path.replace(":id", sid)
        if url.startswith("/api/specs"):
            url += "?project=%s" % project
        body = {} if method == "POST" else None
        st, out = home.api(method, url, body)
        code = out.get("error", {}).get("code") if isinstance(out, dict) else None
        assert code != "no_route", "%s %s is documented but the daemon has no such route" % (method, path)
        assert st < 500, "%s %s answered %d: %s" % (method, path, st, out)
