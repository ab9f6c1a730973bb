"""Measure 7 — checkpoints (issue 15) on a large tree: 20,000 files, 200 MB (quick: 2,000 files,
20 MB), committed in a git repository. A session runs in it; then, alternating with the reference:
  * agentmux: POST /api/sessions/:id/checkpoints after 10 files changed (a private-index commit of
    the whole working tree, tracked and untracked, referenced under refs/agentmux/);
  * reference: `git stash create` after the same kind of change (a commit of the tracked changes,
    the closest thing git has; it does not take untracked files);
and the first checkpoint of the tree (cold: no stat cache to reuse), the objects each checkpoint adds
(`git count-objects`: only the changed blobs and the trees above them), and the time a session's
start takes with its "before" checkpoint against a start in a directory outside git.
"""
import os
import subprocess
import time

from . import common as C

GIT = ["git", "-c", "user.name=b", "-c", "user.email=b@example.invalid"]


def make_tree(root, files, size):
    os.makedirs(root, exist_ok=True)
    block = os.urandom(size)
    for i in range(files):
        d = os.path.join(root, "d%03d" % (i % 200))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%05d.txt" % i), "wb") as f:
            f.write(("%d\n" % i).encode() + block[: size - 8])
    subprocess.run(["git", "init", "-q", root], check=True)
    # No automatic packing between repetitions: it would make the loose-object counts meaningless.
    subprocess.run(["git", "-C", root, "config", "gc.auto", "0"], check=True)
    subprocess.run(GIT + ["-C", root, "add", "-A"], check=True)
    subprocess.run(GIT + ["-C", root, "commit", "-q", "-m", "tree"], check=True)


def loose_objects(root):
    out = subprocess.run(["git", "-C", root, "count-objects", "-v"], capture_output=True, text=True).stdout
    return int(dict(line.split(": ") for line in out.splitlines())["count"])


def touch_files(root, rep, n=10):
    for i in range(n):
        with open(os.path.join(root, "d%03d" % (i % 200), "f%05d.txt" % i), "ab") as f:
            f.write(b"change %d\n" % rep)


def run(cfg):
    files = cfg.get("checkpoint_files", 20_000)
    size = cfg.get("checkpoint_file_bytes", 10_000)
    reps = cfg.get("checkpoint_reps", 5)
    root = C.tmpdir("ckpt-tree")
    C.log("checkpoints: making %d files of %d bytes" % (files, size))
    make_tree(root, files, size)
    plain = C.tmpdir("ckpt-plain")
    d = C.Daemon(cfg["binary"])
    d.start()
    out = {"files": files, "bytes": files * size, "reps": reps}
    try:
        t0 = time.perf_counter()
        s = d.api.call("POST", "/api/sessions", {"command": ["sleep", "600"], "project_path": root, "start": True})
        out["first_start_with_checkpoint_s"] = time.perf_counter() - t0
        objs0 = loose_objects(root)
        mine, ref, added, starts_git, starts_plain = [], [], [], [], []
        for rep in range(reps):
            touch_files(root, rep)
            before = loose_objects(root)
            t0 = time.perf_counter()
            d.api.call("POST", "/api/sessions/%s/checkpoints" % s["id"], {"message": "bench %d" % rep})
            mine.append(time.perf_counter() - t0)
            added.append(loose_objects(root) - before)
            touch_files(root, rep + 1000)
            t0 = time.perf_counter()
            subprocess.run(["git", "-C", root, "stash", "create"], check=True, capture_output=True)
            ref.append(time.perf_counter() - t0)
            # A session start: with its before checkpoint (in the tree) and without (outside git).
            for where, bucket in ((root, starts_git), (plain, starts_plain)):
                t0 = time.perf_counter()
                x = d.api.call("POST", "/api/sessions", {"command": ["true"], "project_path": where, "start": True})
                bucket.append(time.perf_counter() - t0)
                d.wait_ended(x["id"])
        out["first_checkpoint_objects"] = objs0
        out["checkpoint_s"] = C.summary(mine)
        out["stash_create_s"] = C.summary(ref)
        out["ratio_vs_stash_create"] = C.summary([a / b for a, b in zip(mine, ref)])
        out["objects_added"] = C.summary(added)
        out["start_in_repo_s"] = C.summary(starts_git)
        out["start_outside_git_s"] = C.summary(starts_plain)
        d.api.call("POST", "/api/sessions/%s/stop" % s["id"], {"grace_ms": 0})
    finally:
        d.stop()
    return out
