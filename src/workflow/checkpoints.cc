#include "workflow/checkpoints.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "base/clock.h"
#include "base/ids.h"
#include "workflow/orchestration.h"
#include "workflow/plan_text.h"

namespace agentmux {
namespace fs = std::filesystem;

namespace {

bool Within(const std::string& path, const std::string& root) {
  auto p = fs::path(path).lexically_normal().string(), r = fs::path(root).lexically_normal().string();
  return p == r || (p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/');
}

}  // namespace

Checkpoints::Checkpoints(SessionManager& manager, std::string worktrees_dir)
    : manager_(manager), worktrees_dir_(std::move(worktrees_dir)) {
  manager_.SetLaunchHook([this](SessionRecord& rec) { return OnLaunch(rec); });
  manager_.SetFinishHook([this](SessionRecord& rec) { OnFinish(rec); });
}

Checkpoints::~Checkpoints() {
  manager_.SetLaunchHook(nullptr);
  manager_.SetFinishHook(nullptr);
}

// The git root holding `path`, remembered for 10 s: every session start asks, and most projects
// of a busy daemon are the same few directories (or no repository at all).
std::optional<std::string> Checkpoints::GitRoot(const std::string& path) {
  int64_t now = NowMs();
  if (auto it = roots_.find(path); it != roots_.end() && now - it->second.first < 10'000) return it->second.second;
  auto root = RepoRoot(path);
  std::optional<std::string> found = root.ok() ? std::optional(*root) : std::nullopt;
  if (roots_.size() > 1000) roots_.clear();
  roots_[path] = {now, found};
  return found;
}

Status Checkpoints::CheckWorktreeRequest(const std::string& project) { return RequireCommits(project); }

Status Checkpoints::OnLaunch(SessionRecord& rec) {
  if (rec.kind != SessionKind::kAgent) return OkStatus();
  if (MetaOr(rec, "worktree") == "requested") {
    // A plan's tasks share one worktree: the first makes it, the others go on in it. An
    // orchestration's subtasks each get their own (they run side by side).
    std::optional<SessionRecord> plan;
    if (rec.parent_id)
      if (auto p = manager_.Get(*rec.parent_id); p.ok() && p->kind == SessionKind::kPlan && !IsOrchestration(*p))
        plan = std::move(*p);
    nlohmann::json w;
    if (plan && plan->state.contains("worktree")) {
      w = plan->state["worktree"];
      if (!fs::exists(w.value("path", std::string())))
        return Error::Conflict("worktree_gone", "the plan's worktree " + w.value("path", std::string()) +
                                                    " was removed; its work is on branch " +
                                                    w.value("branch", std::string()));
    } else {
      auto root = RepoRoot(rec.project_path);
      if (!root.ok()) return root.error();
      std::string path = worktrees_dir_ + "/" + rec.id;
      std::string branch = "agentmux/" + rec.id.substr(rec.id.size() - 12);  // the id's random end
      std::string base = MetaOr(rec, "worktree_base").empty() ? "HEAD" : MetaOr(rec, "worktree_base");
      std::error_code ec;
      fs::create_directories(worktrees_dir_, ec);
      auto base_commit = AddWorktree(*root, path, branch, base);
      if (!base_commit.ok()) return base_commit.error();
      w = {{"path", path}, {"branch", branch}, {"base_commit", *base_commit}, {"repo", *root}};
      if (plan) (void)manager_.Update(plan->id, [&](SessionRecord& r) { r.state["worktree"] = w; });
    }
    rec.metadata["worktree"] = "active";
    rec.metadata["worktree_path"] = w["path"];
    rec.metadata["worktree_branch"] = w["branch"];
    rec.metadata["worktree_base_commit"] = w["base_commit"];
    rec.metadata["worktree_repo"] = w["repo"];
    // Stored now: a start that fails after this still knows its worktree.
    SessionRecord copy = rec;
    (void)manager_.Update(rec.id, [&](SessionRecord& r) { r.metadata = copy.metadata; });
  }
  auto root = GitRoot(WorkingDir(rec));
  if (!root) return OkStatus();  // no repository: no checkpoints (nothing to say at every start)
  if (!manager_.store().ListCheckpoints(rec.id).empty()) return OkStatus();
  if (!rec.agent_session_id && rec.metadata.count("resume_conversation"))
    rec.agent_session_id = rec.metadata.at("resume_conversation");
  auto before = Record(rec, *root, "before", std::nullopt);
  if (!before.ok()) spdlog::warn("session {}: no before checkpoint: {}", rec.id, before.error().message);
  return OkStatus();
}

Result<CheckpointRecord> Checkpoints::Record(const SessionRecord& s, const std::string& tree, const std::string& kind,
                                             std::optional<std::string> message) {
  auto existing = manager_.store().ListCheckpoints(s.id);
  int64_t n = existing.empty() ? 1 : existing.back().n + 1;
  std::optional<std::string> parent;
  if (!existing.empty()) parent = existing.back().git_commit;
  std::string ref = "refs/agentmux/checkpoints/" + s.id + "/" + std::to_string(n);
  std::string words = message.value_or("agentmux: " + kind + " checkpoint " + std::to_string(n) + " of session " + s.id);
  if (!message && s.prompt) words += "\n\n" + FirstLineExcerpt(*s.prompt, 200);
  auto commit = CommitSnapshot(tree, words, parent, ref);
  if (!commit.ok()) return commit.error();
  CheckpointRecord c;
  c.id = NewUuidV7();
  c.session_id = s.id;
  c.n = n;
  c.kind = kind;
  c.message = std::move(message);
  c.created_at = NowMs();
  c.log_seq = s.log_seq;
  c.git_commit = *commit;
  c.git_ref = ref;
  c.tree_path = tree;
  c.agent_session_id = s.agent_session_id;
  if (parent) {
    auto d = Diff(tree, *parent, *commit, true);
    if (d.ok()) c.files_changed = static_cast<int64_t>(d->files.size());
  }
  if (s.parent_id && s.position) c.state = {{"plan_id", *s.parent_id}, {"position", *s.position}};
  Status st = manager_.store().Write([&](StoreTxn& tx) { tx.InsertCheckpoint(c); });
  if (!st.ok()) return st.error();
  nlohmann::json payload = {{"checkpoint_id", c.id}, {"n", n}, {"kind", kind}, {"git_commit", c.git_commit}};
  if (c.files_changed) payload["files_changed"] = *c.files_changed;
  (void)manager_.RecordEvent(s.id, "checkpoint", payload);
  return c;
}

Result<CheckpointRecord> Checkpoints::Take(const std::string& id, const std::string& kind,
                                           std::optional<std::string> message) {
  auto s = manager_.Get(id);
  if (!s.ok()) return s.error();
  const std::string& dir = WorkingDir(*s);
  if (!fs::exists(dir)) return Error::Conflict("worktree_gone", "session " + s->id + "'s tree " + dir + " is gone");
  auto root = RepoRoot(dir);
  if (!root.ok()) return root.error();
  return Record(*s, *root, kind, std::move(message));
}

std::vector<CheckpointRecord> Checkpoints::List(const std::string& session_id) {
  return manager_.store().ListCheckpoints(session_id);
}

// The end of a session in a repository, before its end is recorded: its worktree's leftovers
// committed on its branch, an "after" checkpoint, and what it changed (metadata changes_*;
// Session.changes in the API).
void Checkpoints::OnFinish(SessionRecord& s) {
  if (s.kind != SessionKind::kAgent) return;
  bool worktree = MetaOr(s, "worktree") == "active";
  auto existing = manager_.store().ListCheckpoints(s.id);
  if (existing.empty() && !worktree) return;  // not in a repository when it started
  if (!existing.empty() && existing.back().kind == "after") return;
  const std::string& dir = WorkingDir(s);
  if (worktree && fs::exists(dir)) {
    std::string message = s.prompt ? FirstLineExcerpt(*s.prompt, 72) : "agentmux session " + s.id;
    message += "\n\nagentmux session " + s.id + " (" + s.tool + ")";
    auto committed = CommitWorktree(dir, message);
    if (!committed.ok()) spdlog::warn("session {}: could not commit its worktree: {}", s.id, committed.error().message);
  }
  auto root = RepoRoot(dir);
  if (!root.ok()) return;
  auto after = Record(s, *root, "after", std::nullopt);
  if (!after.ok()) spdlog::warn("session {}: no after checkpoint: {}", s.id, after.error().message);
  auto diff = DiffOf(s, true);
  if (!diff.ok()) return;
  s.metadata["changes_files"] = std::to_string(diff->diff.files.size());
  s.metadata["changes_additions"] = std::to_string(diff->diff.additions);
  s.metadata["changes_deletions"] = std::to_string(diff->diff.deletions);
}

Result<Checkpoints::SessionDiff> Checkpoints::DiffOf(const SessionRecord& s, bool stat_only) {
  SessionDiff out;
  std::string repo;
  if (!MetaOr(s, "worktree_base_commit").empty()) {
    repo = MetaOr(s, "worktree_repo");
    out.base = MetaOr(s, "worktree_base_commit");
    if (manager_.IsLive(s.id) && fs::exists(WorkingDir(s))) {
      auto now = SnapshotTree(WorkingDir(s));  // uncommitted work included
      if (!now.ok()) return now.error();
      out.head = *now;
      repo = WorkingDir(s);
    } else if (MetaOr(s, "worktree") == "discarded") {
      return Error::Conflict("worktree_gone", "session " + s.id + "'s worktree and branch were discarded");
    } else {
      // Everything it did is on its branch (merged or not).
      auto tip = ResolveCommit(repo, MetaOr(s, "worktree_branch"));
      if (!tip.ok()) return tip.error();
      out.head = *tip;
    }
  } else {
    auto list = manager_.store().ListCheckpoints(s.id);
    const CheckpointRecord* before = nullptr;
    for (const auto& c : list)
      if (c.kind == "before") {
        before = &c;
        break;
      }
    if (!before && !GitRoot(WorkingDir(s)))
      return Error::InvalidArgument("not_a_git_repository", WorkingDir(s) + " is not in a git repository, so "
                                    "agentmux cannot tell what session " + s.id + " changed (`git init` it first)");
    if (!before)
      return Error::Conflict("no_checkpoints", "session " + s.id + " has no before checkpoint (it did not start in "
                                               "a git repository, or before checkpoints existed)");
    repo = before->tree_path;
    out.base = before->git_commit;
    if (manager_.IsLive(s.id)) {
      auto now = SnapshotTree(repo);
      if (!now.ok()) return now.error();
      out.head = *now;
    } else {
      out.head = list.back().git_commit;
      for (const auto& c : list)
        if (c.kind == "after") out.head = c.git_commit;
    }
  }
  auto d = Diff(repo, out.base, out.head, stat_only);
  if (!d.ok()) return d.error();
  out.diff = std::move(*d);
  return out;
}

Result<Checkpoints::Restored> Checkpoints::Restore(const std::string& checkpoint_id, bool continue_conversation,
                                                   const std::optional<std::string>& prompt) {
  auto c = manager_.store().GetCheckpoint(checkpoint_id);
  if (!c.ok()) return c.error();
  auto s = manager_.Get(c->session_id);
  if (!s.ok()) return s.error();
  if (!fs::exists(c->tree_path))
    return Error::Conflict("worktree_gone", "checkpoint " + std::to_string(c->n) + " of session " + s->id +
                                                " is of the worktree " + c->tree_path +
                                                ", which was removed (merged or discarded); its files are still in "
                                                "git at " + c->git_ref + " (git restore --source " + c->git_ref +
                                                " -- . in a checkout puts them back by hand)");
  SessionFilter f;
  f.limit = 10000;
  for (const char* st : {"running", "paused"}) {
    f.status = st;
    for (const auto& other : manager_.List(f))
      if (other.kind == SessionKind::kAgent && manager_.IsLive(other.id) &&
          (Within(WorkingDir(other), c->tree_path) || Within(c->tree_path, WorkingDir(other))))
        return Error::Conflict("session_running", "session " + other.id + " (" + other.tool + ") is " + st + " in " +
                                                      WorkingDir(other) + "; stop it before restoring (`agentmux stop " +
                                                      other.id.substr(0, 13) + "`)");
  }
  Restored out;
  auto undo = Record(*s, c->tree_path, "undo", "the tree before restoring checkpoint " + std::to_string(c->n));
  if (!undo.ok()) return undo.error();
  out.undo = std::move(*undo);
  auto changed = RestoreTree(c->tree_path, c->git_commit);
  if (!changed.ok()) return changed.error();
  out.changed = std::move(*changed);
  out.restored = *c;
  (void)manager_.RecordEvent(s->id, "restored", {{"checkpoint_id", c->id}, {"n", c->n}, {"undo_checkpoint_id", out.undo.id},
                                                 {"files", out.changed.size()}});
  if (!continue_conversation) return out;
  CreateRequest req = manager_.RequestLike(*s);
  req.worktree = false;
  req.base.reset();
  req.metadata.clear();
  if (c->tree_path == MetaOr(*s, "worktree_path")) {  // it goes on in the worktree it was restored in
    for (const auto& [k, v] : s->metadata)
      if (k.rfind("worktree", 0) == 0) req.metadata[k] = v;
    req.metadata["worktree"] = "active";
  }
  std::string ask = prompt && !prompt->empty() ? *prompt : "Continue.";
  req.prompt = ask;
  req.start_requested = true;
  const Adapter* adapter = manager_.adapters().Find(s->tool);
  if (adapter && adapter->SupportsResume() && c->agent_session_id) {
    req.resume_conversation = c->agent_session_id;
    if (adapter->SupportsFork()) req.metadata["fork_conversation"] = "1";
    else req.resume_conversation.reset();
  }
  if (!req.resume_conversation) {
    req.spec_ids.clear();
    req.context = "The project's files were just restored to how they were at checkpoint " + std::to_string(c->n) +
                  " (" + c->kind + ", " + Rfc3339(c->created_at) + ") of an earlier session; work done after that "
                  "point is undone.\n\n" + ask + "\n";
  }
  req.metadata["restored_from"] = c->id;
  auto made = manager_.Create(std::move(req));
  if (!made.ok()) return made.error();
  auto started = manager_.Start(made->id);
  if (!started.ok()) {
    (void)manager_.Delete(made->id);
    return started.error();
  }
  out.session = std::move(*started);
  return out;
}

Result<MergeResult> Checkpoints::MergeSession(const std::string& id) {
  auto s = manager_.Get(id);
  if (!s.ok()) return s.error();
  std::string state = MetaOr(*s, "worktree");
  if (state.empty() || state == "requested")
    return Error::Conflict("no_worktree", "session " + s->id + " did not run in a worktree of its own; its changes "
                                          "are already in the project");
  if (state != "active") return Error::Conflict("no_worktree", "session " + s->id + "'s worktree was already " + state);
  if (manager_.IsLive(s->id))
    return Error::Conflict("session_running", "session " + s->id + " is still running; merge it once it has ended");
  std::string repo = MetaOr(*s, "worktree_repo"), branch = MetaOr(*s, "worktree_branch");
  std::string path = MetaOr(*s, "worktree_path");
  if (fs::exists(path)) {
    auto committed = CommitWorktree(path, "agentmux session " + s->id + ": uncommitted work");
    if (!committed.ok()) return committed.error();
  }
  auto merged = Merge(repo, branch);
  if (!merged.ok()) return merged.error();
  // The branch stays (it is merged); the worktree's directory is not needed any more.
  (void)RemoveWorktree(repo, path, std::nullopt, false);
  (void)manager_.Update(s->id, [&](SessionRecord& r) {
    r.metadata["worktree"] = "merged";
  });
  (void)manager_.RecordEvent(s->id, "merged", {{"branch", branch}, {"fast_forward", merged->fast_forward},
                                               {"commit", merged->commit}});
  return merged;
}

Status Checkpoints::Discard(const std::string& id) {
  auto s = manager_.Get(id);
  if (!s.ok()) return s.error();
  std::string state = MetaOr(*s, "worktree");
  if (state != "active" && state != "merged")
    return Error::Conflict("no_worktree", "session " + s->id + " has no worktree to discard");
  if (manager_.IsLive(s->id))
    return Error::Conflict("session_running", "session " + s->id + " is running; stop it first");
  auto st = RemoveWorktree(MetaOr(*s, "worktree_repo"), MetaOr(*s, "worktree_path"), MetaOr(*s, "worktree_branch"), true);
  if (!st.ok()) return st;
  (void)manager_.Update(s->id, [&](SessionRecord& r) { r.metadata["worktree"] = "discarded"; });
  (void)manager_.RecordEvent(s->id, "discarded", {{"branch", MetaOr(*s, "worktree_branch")}});
  return OkStatus();
}

Status Checkpoints::BeforeDelete(const SessionRecord& s, bool force) {
  std::string state = MetaOr(s, "worktree");
  if (state != "active" && state != "merged") return OkStatus();
  // Only the session's own worktree: a plan's tasks share the plan's.
  if (MetaOr(s, "worktree_path") != worktrees_dir_ + "/" + s.id) return OkStatus();
  auto st = RemoveWorktree(MetaOr(s, "worktree_repo"), MetaOr(s, "worktree_path"), MetaOr(s, "worktree_branch"), force);
  if (!st.ok() && st.error().code == "branch_not_merged") {
    spdlog::info("session {}: {}", s.id, st.error().message);
    return OkStatus();  // the worktree is gone; the unmerged branch stays, as `rm` promises
  }
  return st;
}

}  // namespace agentmux
