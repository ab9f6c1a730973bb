// The routes of issue 15: a session's diff, its checkpoints (list, take, restore), and merging or
// discarding a worktree session's branch (workflow/checkpoints.h does the work).
#include "api/api.h"
#include "base/json_access.h"
#include "session/manager.h"
#include "workflow/checkpoints.h"

namespace agentmux {
using nlohmann::json;

namespace {
Error NoDriver() { return Error::Unavailable("no_driver", "this daemon does not keep checkpoints"); }

json FilesJson(const DiffResult& d) {
  json files = json::array();
  for (const auto& f : d.files)
    files.push_back({{"path", f.path}, {"old_path", f.old_path}, {"status", f.status}, {"additions", f.additions},
                     {"deletions", f.deletions}, {"binary", f.binary}});
  return files;
}
}  // namespace

ApiResponse Api::Diff(const ApiCall& c) {
  if (!checkpoints_) return ErrorResponse(NoDriver());
  bool stat = c.query.count("stat") > 0;
  bool patch_only = c.query.count("format") && c.query.at("format") == "patch";
  auto d = checkpoints_->DiffOf(c.session, stat && !patch_only);
  if (!d.ok()) return ErrorResponse(d.error());
  if (patch_only) {
    ApiResponse r = JsonResponse(200, json::object());
    r.content_type = "text/plain; charset=utf-8";
    r.body = d->diff.patch;
    return r;
  }
  json out = {{"session_id", c.session.id}, {"base", d->base}, {"head", d->head}, {"files", FilesJson(d->diff)},
              {"additions", d->diff.additions}, {"deletions", d->diff.deletions}};
  if (!stat) out["patch"] = d->diff.patch;
  return JsonResponse(200, out);
}

ApiResponse Api::ListCheckpoints(const ApiCall& c) {
  if (!checkpoints_) return ErrorResponse(NoDriver());
  json list = json::array();
  for (const auto& cp : checkpoints_->List(c.session.id)) list.push_back(ToJson(cp));
  return JsonResponse(200, {{"session_id", c.session.id}, {"checkpoints", list}});
}

ApiResponse Api::CreateCheckpoint(const ApiCall& c) {
  if (!checkpoints_) return ErrorResponse(NoDriver());
  auto cp = checkpoints_->Take(c.session.id, "manual", Field<std::string>(c.body, "message"));
  if (!cp.ok()) return ErrorResponse(cp.error());
  return JsonResponse(201, ToJson(*cp));
}

ApiResponse Api::RestoreCheckpoint(const ApiCall& c) {
  if (!checkpoints_) return ErrorResponse(NoDriver());
  auto r = checkpoints_->Restore(c.param, Field<bool>(c.body, "continue").value_or(false),
                                 Field<std::string>(c.body, "prompt"));
  if (!r.ok()) return ErrorResponse(r.error());
  return JsonResponse(200, {{"restored", ToJson(r->restored)},
                            {"undo", ToJson(r->undo)},
                            {"changed", r->changed},
                            {"session", r->session ? SessionJson(*r->session, manager_.adapters()) : json(nullptr)}});
}

ApiResponse Api::Merge(const ApiCall& c) {
  if (!checkpoints_) return ErrorResponse(NoDriver());
  auto m = checkpoints_->MergeSession(c.session.id);
  if (!m.ok()) return ErrorResponse(m.error());
  auto s = manager_.Get(c.session.id);
  return JsonResponse(200, {{"merged", true}, {"fast_forward", m->fast_forward}, {"commit", m->commit},
                            {"branch", s.ok() && s->metadata.count("worktree_branch") ? s->metadata.at("worktree_branch") : ""}});
}

ApiResponse Api::Discard(const ApiCall& c) {
  if (!checkpoints_) return ErrorResponse(NoDriver());
  if (auto st = checkpoints_->Discard(c.session.id); !st.ok()) return ErrorResponse(st.error());
  return JsonResponse(200, {{"discarded", true}});
}

}  // namespace agentmux
