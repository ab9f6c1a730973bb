// `checkpoint`, `checkpoints`, `restore`, `diff`, `merge`, `discard` (issue 15): what an agent
// changed in its project, through the daemon's routes (docs/api.md).
#include "cli/changes_cmd.h"

#include <unistd.h>

#include <cstdio>

#include "cli/follow.h"

namespace agentmux {
using nlohmann::json;

namespace {

struct Opts {
  std::string id, message, prompt;
  bool stat = false, cont = false, detach = false;
};

void PrintStat(const json& d) {
  size_t width = 0;
  for (const auto& f : d["files"]) width = std::max(width, Str(f, "path").size());
  width = std::min<size_t>(width, 60);
  for (const auto& f : d["files"]) {
    std::string path = Str(f, "path");
    if (Str(f, "status") == "renamed") path = Str(f, "old_path") + " => " + path;
    int64_t add = f["additions"].get<int64_t>(), del = f["deletions"].get<int64_t>();
    std::string bar = f["binary"].get<bool>() ? "Bin" : std::to_string(add + del) + " " + std::string(std::min<int64_t>(add, 40), '+') +
                                                          std::string(std::min<int64_t>(del, 40), '-');
    std::printf(" %-*s | %s%s\n", static_cast<int>(width), path.c_str(), bar.c_str(),
                Str(f, "status") == "added" ? " (new)" : Str(f, "status") == "deleted" ? " (gone)" : "");
  }
  std::printf(" %zu file%s changed, %lld insertion%s(+), %lld deletion%s(-)\n", d["files"].size(),
              d["files"].size() == 1 ? "" : "s", static_cast<long long>(d["additions"].get<int64_t>()),
              d["additions"] == 1 ? "" : "s", static_cast<long long>(d["deletions"].get<int64_t>()),
              d["deletions"] == 1 ? "" : "s");
}

}  // namespace

void AddChangesCommands(CLI::App& app, Globals& g) {
  static Opts o;
  auto* cp = app.add_subcommand("checkpoint", "take a checkpoint of a session's project tree now (git; HEAD, index, stash untouched)");
  cp->add_option("id", o.id, "session id (prefix)")->required();
  cp->add_option("-m,--message", o.message, "what this checkpoint is");
  cp->add_flag("--json", g.json_out, "print JSON");
  cp->callback([&g] {
    auto client = Connect(g);
    json body = json::object();
    if (!o.message.empty()) body["message"] = o.message;
    json c = Call(client, "POST", "/api/sessions/" + Escape(o.id) + "/checkpoints", body);
    if (g.json_out) std::printf("%s\n", c.dump(2).c_str());
    else std::printf("checkpoint %s (#%lld of session %s) at %s\n", ShortId(Str(c, "id")).c_str(),
                     static_cast<long long>(c["n"].get<int64_t>()), ShortId(Str(c, "session_id")).c_str(),
                     Str(c, "git_commit").substr(0, 12).c_str());
  });

  auto* list = app.add_subcommand("checkpoints", "list a session's checkpoints (before/after, manual, undo)");
  list->add_option("id", o.id, "session id (prefix)")->required();
  list->add_flag("--json", g.json_out, "print JSON");
  list->callback([&g] {
    auto client = Connect(g);
    json r = Call(client, "GET", "/api/sessions/" + Escape(o.id) + "/checkpoints");
    if (g.json_out) return (void)std::printf("%s\n", r["checkpoints"].dump(2).c_str());
    std::printf("%-13s  %-3s  %-7s  %-8s  %-7s  %-12s  %-36s  %s\n", "ID", "N", "KIND", "WHEN", "FILES", "COMMIT",
                "CONVERSATION", "MESSAGE");
    for (const auto& c : r["checkpoints"])
      std::printf("%-13s  %-3lld  %-7s  %-8s  %-7s  %-12s  %-36s  %s\n", ShortId(Str(c, "id")).c_str(),
                  static_cast<long long>(c["n"].get<int64_t>()), Str(c, "kind").c_str(), Ago(Str(c, "created_at")).c_str(),
                  c["files_changed"].is_number() ? std::to_string(c["files_changed"].get<int64_t>()).c_str() : "-",
                  Str(c, "git_commit").substr(0, 12).c_str(),
                  c["agent_session_id"].is_string() ? Str(c, "agent_session_id").c_str() : "-",
                  c["message"].is_string() ? Excerpt(Str(c, "message"), 50).c_str() : "");
    if (r["checkpoints"].empty())
      std::printf("(none: checkpoints are taken when an agent session starts and ends in a git repository, or with "
                  "`agentmux checkpoint %s`)\n", o.id.c_str());
  });

  auto* restore = app.add_subcommand(
      "restore", "put the project's files back as a checkpoint has them (the present is checkpointed first)");
  restore->add_option("checkpoint", o.id, "checkpoint id (prefix; see `agentmux checkpoints SESSION`)")->required();
  restore->add_flag("--continue", o.cont, "then continue the agent's conversation from that point in a new session");
  restore->add_option("--prompt,-p", o.prompt, "with --continue: what to ask (default: \"Continue.\")");
  restore->add_flag("-d,--detach", o.detach, "with --continue: print the new session's id and return");
  restore->add_flag("--json", g.json_out, "print JSON");
  restore->callback([&g] {
    auto client = Connect(g);
    json body = {{"continue", o.cont}};
    if (!o.prompt.empty()) body["prompt"] = o.prompt;
    json r = Call(client, "POST", "/api/checkpoints/" + Escape(o.id) + "/restore", body);
    if (g.json_out) return (void)std::printf("%s\n", r.dump(2).c_str());
    std::printf("restored checkpoint %s (#%lld, %s): %zu file%s changed; undo with `agentmux restore %s`\n",
                ShortId(Str(r["restored"], "id")).c_str(), static_cast<long long>(r["restored"]["n"].get<int64_t>()),
                Str(r["restored"], "kind").c_str(), r["changed"].size(), r["changed"].size() == 1 ? "" : "s",
                ShortId(Str(r["undo"], "id")).c_str());
    if (!r["session"].is_object()) return;
    std::string id = Str(r["session"], "id");
    if (o.detach) return (void)std::printf("%s\n", id.c_str());
    std::fflush(stdout);
    InstallForegroundInterrupt(client, id);
    LogPrinter printer(WantsTranscript(r["session"], false));
    json end = Follow(client, id, 0, printer);
    throw CLI::RuntimeError(SessionExitCode(end));
  });

  auto* diff = app.add_subcommand("diff", "what a session changed: its worktree branch against its base, or its "
                                          "after checkpoint against its before");
  diff->add_option("id", o.id, "session id (prefix)")->required();
  diff->add_flag("--stat", o.stat, "files and +/- counts only");
  diff->add_flag("--json", g.json_out, "print JSON (per-file counts; the patch unless --stat)");
  diff->callback([&g] {
    auto client = Connect(g);
    std::string q = "/api/sessions/" + Escape(o.id) + "/diff";
    if (o.stat || g.json_out) {
      json d = Call(client, "GET", q + (o.stat ? "?stat=1" : ""));
      if (g.json_out) return (void)std::printf("%s\n", d.dump(2).c_str());
      return PrintStat(d);
    }
    auto r = client.Request("GET", q + "?format=patch");
    if (!r.ok()) Fail(r.error().message, kExitUnreachable);
    if (r->status != 200) Call(client, "GET", q + "?stat=1");  // says why, the usual way
    WriteOut(stdout, r->body);
  });

  auto* merge = app.add_subcommand("merge", "merge a worktree session's branch into the project's current branch");
  merge->add_option("id", o.id, "session id (prefix)")->required();
  merge->add_flag("--json", g.json_out, "print JSON");
  merge->callback([&g] {
    auto client = Connect(g);
    json r = Call(client, "POST", "/api/sessions/" + Escape(o.id) + "/merge", json::object());
    if (g.json_out) return (void)std::printf("%s\n", r.dump(2).c_str());
    std::printf("merged %s (%s) → %s\n", Str(r, "branch").c_str(), r["fast_forward"].get<bool>() ? "fast-forward" : "merge commit",
                Str(r, "commit").substr(0, 12).c_str());
  });

  auto* discard = app.add_subcommand("discard", "remove a worktree session's worktree and branch (its work is gone)");
  discard->add_option("id", o.id, "session id (prefix)")->required();
  discard->add_flag("--json", g.json_out, "print JSON");
  discard->callback([&g] {
    auto client = Connect(g);
    json r = Call(client, "POST", "/api/sessions/" + Escape(o.id) + "/discard", json::object());
    if (g.json_out) return (void)std::printf("%s\n", r.dump(2).c_str());
    std::printf("discarded the worktree and branch of %s\n", o.id.c_str());
  });
}

}  // namespace agentmux
