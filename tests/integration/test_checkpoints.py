"""Checkpoints, worktrees and diffs (issue 15): what an agent changed in its project — seen
(`diff`), rewound (`checkpoints`, `restore`), isolated (`run --worktree`, `merge`, `discard`) — with
the user's HEAD, branch, index and stash untouched by every checkpoint operation.
"""

import hashlib
import json
import os
import subprocess
import time

import pytest

from conftest import wait_for


def claude_env(home, fake):
    home.env.update({"ANTHROPIC_BASE_URL": fake.url, "ANTHROPIC_API_KEY": "test"})


def git(project, *args, check=True):
    cp = subprocess.run(["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                        capture_output=True, text=True)
    if check:
        assert cp.returncode == 0, "git %s: %s" % (" ".join(args), cp.stderr)
    return cp.stdout


def tree_hashes(project):
    """Every file of the working tree but .git, path → sha256 (mode included)."""
    out = {}
    for root, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, project)] = (hashlib.sha256(f.read()).hexdigest(), os.stat(p).st_mode)
    return out


def git_state(project):
    """What no checkpoint operation may change: status, stash, HEAD, branch, the index file."""
    with open(os.path.join(project, ".git", "index"), "rb") as f:
        index = hashlib.sha256(f.read()).hexdigest()
    return {"status": git(project, "status", "--porcelain", "--untracked-files=all"),
            "stash": git(project, "stash", "list"), "head": git(project, "rev-parse", "HEAD"),
            "branch": git(project, "branch", "--show-current"), "index": index,
            "reflog": git(project, "reflog", "-n", "5", check=False)}


@pytest.fixture
def repo(project):
    """The project fixture (a git repo with one commit) plus a tracked file, an untracked one and an
    ignored one."""
    (project / "tracked.txt").write_text("one\ntwo\n")
    (project / ".gitignore").write_text("ignored.log\n")
    git(project, "add", "tracked.txt", ".gitignore")
    git(project, "commit", "-q", "-m", "tracked")
    (project / "notes.txt").write_text("untracked notes\n")
    (project / "ignored.log").write_text("ignored\n")
    return project


def test_a_claude_sessions_diff_checkpoints_and_restore(home, fake_anthropic, repo):
    claude_env(home, fake_anthropic)
    before_files = tree_hashes(repo)
    before_git = git_state(repo)
    cp = home.cli("run", "--tool", "claude", "-C", repo, "--prompt",
                  "run `printf 'three\\n' >> tracked.txt && rm notes.txt && printf 'made\\n' > made.txt`",
                  check=False, timeout=120)
    s = home.cli_json("ls")[0]
    assert cp.returncode == 0 and s["status"] == "completed", (cp.stderr, s)
    assert (repo / "tracked.txt").read_text() == "one\ntwo\nthree\n" and not (repo / "notes.txt").exists()

    # The diff is exactly what the agent did.
    d = home.cli_json("diff", s["id"])
    files = {f["path"]: (f["status"], f["additions"], f["deletions"]) for f in d["files"]}
    assert files == {"tracked.txt": ("modified", 1, 0), "notes.txt": ("deleted", 0, 1), "made.txt": ("added", 1, 0)}
    assert "+three" in d["patch"] and "-untracked notes" in d["patch"]
    assert s["changes"] is None or s["changes"]["files"] == 3
    assert home.view(s["id"])["changes"] == {"files": 3, "additions": 2, "deletions": 1}
    stat = home.cli("diff", "--stat", s["id"]).stdout
    assert "3 files changed, 2 insertions(+), 1 deletion(-)" in stat
    patch = home.cli("diff", s["id"]).stdout
    assert patch.startswith("diff --git") and "+made" in patch

    # Before and after; the user's git state is as the agent's own edits left it, nothing more.
    cps = home.cli_json("checkpoints", s["id"])
    assert [c["kind"] for c in cps] == ["before", "after"]
    assert cps[1]["files_changed"] == 3 and cps[1]["agent_session_id"] == s["agent_session_id"]
    assert cps[0]["agent_session_id"] is None, "before it, the conversation had not begun"
    for c in cps:
        assert git(repo, "rev-parse", c["git_ref"]).strip() == c["git_commit"]
    after_git = git_state(repo)
    assert after_git["head"] == before_git["head"] and after_git["stash"] == before_git["stash"]
    assert after_git["index"] == before_git["index"] and after_git["branch"] == before_git["branch"]
    assert after_git["reflog"] == before_git["reflog"]

    # A manual checkpoint changes nothing in git's view of the tree.
    home.cli("checkpoint", s["id"], "-m", "by hand")
    assert git_state(repo) == after_git

    # Restore "before": the tree byte for byte, the deleted untracked file included.
    r = home.cli_json("restore", cps[0]["id"])
    assert sorted(r["changed"]) == ["made.txt", "notes.txt", "tracked.txt"]
    assert tree_hashes(repo) == before_files
    assert git_state(repo) == before_git, "HEAD, index, stash, status, reflog as before the session"
    assert (repo / "ignored.log").read_text() == "ignored\n"
    # …and it can be undone.
    home.cli("restore", r["undo"]["id"])
    assert (repo / "made.txt").read_text() == "made\n" and not (repo / "notes.txt").exists()
    kinds = [c["kind"] for c in home.cli_json("checkpoints", s["id"])]
    assert kinds == ["before", "after", "manual", "undo", "undo"]


def test_restore_continue_forks_the_conversation(home, fake_anthropic, repo):
    claude_env(home, fake_anthropic)
    home.cli("run", "--tool", "claude", "-C", repo, "--prompt", "create hello.txt", timeout=120)
    s = home.cli_json("ls")[0]
    after = home.cli_json("checkpoints", s["id"])[-1]
    assert after["kind"] == "after" and after["agent_session_id"] == s["agent_session_id"]
    (repo / "hello.txt").unlink()  # the user goes on by hand, then wants the agent's state back
    cp = home.cli("restore", after["id"], "--continue", "--prompt", "WHAT-NOW after the restore", check=False,
                  timeout=120)
    assert cp.returncode == 0, cp.stderr
    assert (repo / "hello.txt").exists()
    new = home.cli_json("ls")[0]
    assert new["id"] != s["id"] and new["status"] == "completed"
    assert "--fork-session" in new["command"] and s["agent_session_id"] in new["command"]
    assert new["agent_session_id"] and new["agent_session_id"] != s["agent_session_id"], "a forked conversation"
    last = json.dumps(fake_anthropic.message_requests()[-1]["body"])
    assert "WHAT-NOW" in last and "create hello.txt" in last, "the fork carries the earlier turns"


def test_two_worktree_agents_on_one_repo(home, fake_anthropic, repo):
    claude_env(home, fake_anthropic)
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "notes")
    a = home.run_detached("--tool", "claude", "--worktree", "-C", repo, "--prompt",
                          "run `printf 'from A\\n' > tracked.txt`")
    b = home.run_detached("--tool", "claude", "--worktree", "-C", repo, "--prompt",
                          "run `printf 'from B\\n' > tracked.txt && printf 'b\\n' > b.txt`")
    sa, sb = home.wait_status(a, timeout=120), home.wait_status(b, timeout=120)
    assert sa["status"] == sb["status"] == "completed", (sa, sb)
    assert (repo / "tracked.txt").read_text() == "one\ntwo\n", "the project itself is untouched"
    for s in (sa, sb):
        w = s["worktree"]
        assert w["state"] == "active" and w["branch"].startswith("agentmux/") and w["path"] != str(repo)
        assert s["project_path"] == str(repo), "the project stays the project; the process ran in the worktree"
        assert git(repo, "log", "-1", "--format=%an", w["branch"]).strip() == "agentmux", "the leftovers were committed"
    da, db = home.cli_json("diff", a), home.cli_json("diff", b)
    assert [f["path"] for f in da["files"]] == ["tracked.txt"] and "+from A" in da["patch"]
    assert sorted(f["path"] for f in db["files"]) == ["b.txt", "tracked.txt"] and "+from B" in db["patch"]

    head = git(repo, "rev-parse", "HEAD").strip()
    merged = home.cli_json("merge", a)
    assert merged["fast_forward"] is True and (repo / "tracked.txt").read_text() == "from A\n"
    assert git(repo, "rev-parse", "HEAD").strip() != head
    assert home.view(a)["worktree"]["state"] == "merged"

    files, state = tree_hashes(repo), git_state(repo)
    cp = home.cli("merge", b, check=False)
    assert cp.returncode != 0 and "would conflict in: tracked.txt" in cp.stderr, cp.stderr
    assert tree_hashes(repo) == files and git_state(repo) == state, "a conflict changes nothing"

    home.cli("discard", b)
    assert home.view(b)["worktree"]["state"] == "discarded"
    assert not os.path.exists(sb["worktree"]["path"])
    assert git(repo, "branch", "--list", sb["worktree"]["branch"]).strip() == ""


def test_restore_refuses_while_a_session_runs_in_the_tree(home, repo):
    home.cli("run", "-C", repo, "--", "sh", "-c", "echo x > x.txt")
    done = home.cli_json("ls")[0]
    before = home.cli_json("checkpoints", done["id"])[0]
    busy = home.run_detached("-C", repo, "--", "sh", "-c", "sleep 30")
    home.wait_status(busy, {"running"})
    cp = home.cli("restore", before["id"], check=False)
    assert cp.returncode != 0 and "is running in" in cp.stderr and busy[:13] in cp.stderr, cp.stderr
    assert (repo / "x.txt").exists(), "nothing was restored"
    home.cli("stop", busy)
    home.cli("restore", before["id"])
    assert not (repo / "x.txt").exists()


def test_a_checkpoint_of_a_discarded_worktree_says_why_it_cannot_be_restored(home, repo):
    sid = home.run_detached("--worktree", "-C", repo, "--", "sh", "-c", "echo w > w.txt")
    s = home.wait_status(sid)
    cps = home.cli_json("checkpoints", sid)
    assert [c["kind"] for c in cps] == ["before", "after"] and cps[0]["tree_path"] == s["worktree"]["path"]
    home.cli("discard", sid)
    cp = home.cli("restore", cps[0]["id"], check=False)
    assert cp.returncode != 0 and "was removed" in cp.stderr and cps[0]["git_ref"] in cp.stderr, cp.stderr


def test_not_a_git_repository_is_a_clear_error(home, tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    home.cli("run", "-C", plain, "--", "sh", "-c", "echo hi > f.txt")
    s = home.cli_json("ls")[0]
    assert home.cli_json("checkpoints", s["id"]) == []
    cp = home.cli("checkpoint", s["id"], check=False)
    assert cp.returncode != 0 and "not in a git repository" in cp.stderr and "git init" in cp.stderr
    cp = home.cli("diff", s["id"], check=False)
    assert cp.returncode != 0 and "not in a git repository" in cp.stderr
    cp = home.cli("run", "--worktree", "-C", plain, "--", "true", check=False)
    assert cp.returncode != 0 and "not in a git repository" in cp.stderr
    assert len(home.cli_json("ls")) == 1, "nothing was created"


def test_a_repository_without_commits_gets_checkpoints(home, tmp_path):
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    git(fresh, "init", "-q")
    (fresh / "a.txt").write_text("a\n")
    home.cli("run", "-C", fresh, "--", "sh", "-c", "echo b > b.txt; rm a.txt")
    s = home.cli_json("ls")[0]
    assert [c["kind"] for c in home.cli_json("checkpoints", s["id"])] == ["before", "after"]
    d = home.cli_json("diff", s["id"])
    assert {f["path"]: f["status"] for f in d["files"]} == {"a.txt": "deleted", "b.txt": "added"}
    home.cli("restore", home.cli_json("checkpoints", s["id"])[0]["id"])
    assert sorted(os.listdir(fresh)) == [".git", "a.txt"]
    assert git(fresh, "rev-parse", "--verify", "-q", "HEAD", check=False) == "", "still no commit on HEAD"
    cp = home.cli("run", "--worktree", "-C", fresh, "--", "true", check=False)
    assert cp.returncode != 0 and "no commits yet" in cp.stderr


def test_rm_removes_a_worktree_but_keeps_an_unmerged_branch_unless_forced(home, repo):
    sid = home.run_detached("--worktree", "-C", repo, "--", "sh", "-c", "echo w > w.txt")
    s = home.wait_status(sid)
    home.cli("rm", sid)
    assert not os.path.exists(s["worktree"]["path"])
    assert git(repo, "branch", "--list", s["worktree"]["branch"]).strip() != "", "unmerged work is kept"
    sid = home.run_detached("--worktree", "-C", repo, "--", "sh", "-c", "echo v > v.txt")
    s = home.wait_status(sid)
    home.cli("rm", "--force", sid)
    assert git(repo, "branch", "--list", s["worktree"]["branch"]).strip() == ""


def test_a_plan_in_a_worktree_runs_every_task_in_the_same_one(home, repo):
    (repo / "plan.yaml").write_text("\n".join([
        "tool: shell", "worktree: true", "tasks:",
        "  - command: echo one > one.txt",
        "  - command: cat one.txt > two.txt",
        ""]))
    cp = home.cli("plan", "run", repo / "plan.yaml", "-C", repo, check=False, timeout=60)
    assert cp.returncode == 0, cp.stderr
    plan = [s for s in home.cli_json("ls") if s["kind"] == "plan"][0]
    tasks = [s for s in home.cli_json("ls") if s["parent_id"] == plan["id"]]
    paths = {t["worktree"]["path"] for t in tasks}
    assert len(tasks) == 2 and len(paths) == 1, "the tasks share the plan's worktree"
    branch = tasks[0]["worktree"]["branch"]
    assert git(repo, "show", "%s:two.txt" % branch) == "one\n", "task 2 saw task 1's file; the branch has both"
    assert not (repo / "one.txt").exists(), "the project itself is untouched"
    assert all(t["project_path"] == str(repo) for t in tasks)
