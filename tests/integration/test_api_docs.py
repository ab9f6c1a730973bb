"""docs/api.md is the API's contract: every route it documents exists on the daemon, and every
route of the daemon's route table (GET /api/routes, src/api/routes.cc) is documented."""

import re

from conftest import REPO

DOC = (REPO / "docs" / "api.md").read_text()


def documented_routes():
    routes = set()
    for line in DOC.splitlines():
        if not line.startswith("| `"):
            continue
        cell = line.split("|")[1]
        for method, path in re.findall(r"`?(GET|POST|DELETE) (/api/[^`?\[ ,]+)", cell):
            routes.add((method, path))
    return routes


def test_every_route_of_the_router_is_documented(home):
    home.cli("ls")  # starts the daemon
    st, body = home.api("GET", "/api/routes")
    assert st == 200
    served = {(r["method"], r["path"]) for r in body["routes"]}
    missing = served - documented_routes()
    assert not missing, "routes the daemon serves missing from docs/api.md: %s" % sorted(missing)
    extra = documented_routes() - served
    assert not extra, "routes documented in docs/api.md that the daemon does not serve: %s" % sorted(extra)


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
