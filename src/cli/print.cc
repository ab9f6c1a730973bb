#include "cli/print.h"

#include <cstdio>

#include "base/clock.h"
#include "cli/common.h"

namespace agentmux {
using nlohmann::json;

void PrintSession(const json& s) {
  auto line = [](const char* k, const std::string& v) { std::printf("%-18s %s\n", k, v.c_str()); };
  auto val = [](const json& v) -> std::string {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  line("id", Str(s, "id"));
  line("status", Str(s, "status"));
  line("tool", Str(s, "tool") + " (" + Str(s, "mode") + ")");
  line("project", Str(s, "project_path"));
  std::string specs;
  for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ", ") + sp.get<std::string>();
  line("specs", specs.empty() ? "-" : specs);
  line("prompt", s["prompt"].is_string() ? Excerpt(s["prompt"], 200) : "-");
  std::string cmd;
  for (const auto& a : s["command"]) cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
  line("command", cmd.empty() ? "-" : Excerpt(cmd, 200));
  line("pid", val(s["pid"]));
  line("exit code", val(s["exit_code"]));
  if (!s["signal"].is_null()) line("signal", val(s["signal"]));
  line("created", Str(s, "created_at"));
  line("started", val(s["started_at"]));
  line("ended", val(s["ended_at"]));
  line("duration", s["duration_ms"].is_number() ? HumanDuration(s["duration_ms"]) : "-");
  if (s["token_count"].is_number()) {
    line("tokens", std::to_string(s["token_count"].get<int64_t>()) + " (in " + val(s["input_tokens"]) + ", out " +
                       val(s["output_tokens"]) + ", cache read " + val(s["cache_read_tokens"]) + ", cache write " +
                       val(s["cache_creation_tokens"]) + ")");
  } else {
    line("tokens", "-");
  }
  if (s["cost_usd"].is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.6f", s["cost_usd"].get<double>());
    line("cost", buf);
  } else {
    line("cost", "-");
  }
  if (s["conversation"].is_object()) {
    const json& c = s["conversation"];
    char buf[96] = "";
    if (c["cost_usd"].is_number()) std::snprintf(buf, sizeof buf, ", $%.6f", c["cost_usd"].get<double>());
    line("conversation", val(c["token_count"]) + " tokens" + buf + " (this session and the ones it continued)");
  }
  line("turns", val(s["num_turns"]));
  line("conversation id", val(s["agent_session_id"]));
  if (!s["parent_id"].is_null()) line("parent", val(s["parent_id"]));
  if (!s["error"].is_null()) line("error", val(s["error"]));
  line("log", std::to_string(s["log_bytes"].get<int64_t>()) + " bytes in " + std::to_string(s["log_seq"].get<int64_t>()) +
                  " chunks");
  for (const auto& [k, v] : s["metadata"].items()) line(("meta " + k).c_str(), val(v));
}

void PrintList(const json& sessions) {
  std::printf("%-13s  %-11s  %-8s  %-10s  %-16s  %-34s  %-8s  %-9s  %-8s  %s\n", "ID", "STATUS", "TOOL", "MODE",
              "SPECS", "PROMPT / COMMAND", "CREATED", "DURATION", "TOKENS", "COST");
  for (const auto& s : sessions) {
    std::string specs;
    for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ",") + sp.get<std::string>();
    std::string what;
    if (s["prompt"].is_string()) what = s["prompt"];
    else
      for (const auto& a : s["command"]) what += (what.empty() ? "" : " ") + a.get<std::string>();
    char cost[24] = "-";
    if (s["cost_usd"].is_number()) std::snprintf(cost, sizeof cost, "$%.4f", s["cost_usd"].get<double>());
    std::string dur = s["duration_ms"].is_number() ? HumanDuration(s["duration_ms"]) : "-";
    if (Str(s, "status") == "running" && s["started_at"].is_string())
      if (auto t = ParseRfc3339(s["started_at"])) dur = HumanDuration(NowMs() - *t);
    std::printf("%-13s  %-11s  %-8s  %-10s  %-16s  %-34s  %-8s  %-9s  %-8s  %s\n", ShortId(Str(s, "id")).c_str(),
                Str(s, "status").c_str(), Str(s, "tool").c_str(), Str(s, "mode").c_str(),
                Excerpt(specs.empty() ? "-" : specs, 16).c_str(), Excerpt(what.empty() ? "-" : what, 34).c_str(),
                Ago(Str(s, "created_at")).c_str(), dur.c_str(),
                s["token_count"].is_number() ? std::to_string(s["token_count"].get<int64_t>()).c_str() : "-", cost);
  }
  if (sessions.empty()) std::printf("(no sessions yet — start one with: agentmux run -- echo hello)\n");
}

// Options shared by create and run.
}  // namespace agentmux
