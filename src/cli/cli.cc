#include "cli/cli.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/api.h"
#include "base/clock.h"
#include "cli/changes_cmd.h"
#include "cli/common.h"
#include "cli/create_options.h"
#include "cli/doctor.h"
#include "cli/follow.h"
#include "cli/home.h"
#include "cli/mcp_cmd.h"
#include "cli/plan_cmd.h"
#include "cli/print.h"

namespace agentmux {
using nlohmann::json;

int RunCli(int argc, char** argv) {
  Globals g;
  CLI::App app{"agentmux — run AI coding agents as durable, observable sessions", "agentmux"};
  app.require_subcommand(1);
  app.fallthrough();  // `agentmux logs ID --home DIR` works as well as `agentmux --home DIR logs ID`
  app.add_option("--home", g.home_flag, "data directory (default $AGENTMUX_HOME or ~/.local/share/agentmux)");
  app.add_flag("--json", g.json_out, "print JSON")->configurable();
  app.set_version_flag("--version", std::string("agentmux ") + kAgentmuxVersion);

  DaemonOptions daemon_opts;
  if (const char* listen = std::getenv("AGENTMUX_LISTEN"); listen && *listen) {
    daemon_opts.listen = listen;
    daemon_opts.listen_given = true;
  }
  // The web UI: $AGENTMUX_WEB_DIR, else web/dist of the source tree this binary was built from.
  if (const char* web = std::getenv("AGENTMUX_WEB_DIR"); web && *web) daemon_opts.web_dir = web;
  else daemon_opts.web_dir = AGENTMUX_DEFAULT_WEB_DIR;
  auto* daemon = app.add_subcommand("daemon", "run the daemon in the foreground");
  daemon->add_option_function<std::string>("--listen", [&](const std::string& v) {
    daemon_opts.listen = v;
    daemon_opts.listen_given = true;
  },
                     "HOST:PORT for the HTTP/WebSocket API (default 127.0.0.1:7171; port 0 = any free port; off = "
                     "unix socket only; also $AGENTMUX_LISTEN)");
  if (const char* mode = std::getenv("AGENTMUX_SHUTDOWN_SESSIONS"); mode && *mode) daemon_opts.shutdown_sessions = mode;
  daemon->add_option("--shutdown-sessions", daemon_opts.shutdown_sessions,
                     "what SIGTERM does to running sessions: keep (default: agents run on in their shims and the "
                     "next daemon reattaches them) or stop (also $AGENTMUX_SHUTDOWN_SESSIONS)")
      ->check(CLI::IsMember({"keep", "stop"}));
  bool restart = false;
  daemon->add_flag("--restart", restart,
                   "stop the running daemon without touching its agents (SIGUSR1), then run this one, which "
                   "reattaches them (an upgrade: the new binary picks the sessions up)");
  daemon->callback([&] {
    auto home = ResolveHome(g.home_flag);
    if (!home.ok()) Fail(home.error().message);
    if (daemon_opts.shutdown_sessions != "keep" && daemon_opts.shutdown_sessions != "stop")
      Fail("AGENTMUX_SHUTDOWN_SESSIONS must be keep or stop, got '" + daemon_opts.shutdown_sessions + "'");
    if (restart) {
      if (auto st = StopDaemonKeepingSessions(*home); !st.ok()) Fail(st.error().message);
    }
    throw CLI::RuntimeError(RunDaemon(*home, daemon_opts));
  });

  auto* ui_url = app.add_subcommand("ui-url", "print the URL of the web UI with the access token (keep it private)");
  ui_url->callback([&] {
    auto client = Connect(g);
    auto home = ResolveHome(g.home_flag);
    std::ifstream info(home->info());
    json j = json::parse(info, nullptr, false);
    if (!j.is_object() || !j["port"].is_number())
      Fail("the daemon does not listen on TCP (it was started with --listen off); restart it with --listen 127.0.0.1:7171");
    auto token = LoadOrCreateToken(*home);
    if (!token.ok()) Fail(token.error().message);
    std::string host = Str(j, "host", "127.0.0.1");
    if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    std::printf("http://%s:%d/?token=%s\n", host.c_str(), j["port"].get<int>(), token->c_str());
  });

  auto* session = app.add_subcommand("session", "manage sessions (every command here also works without `session`)");
  session->require_subcommand(1);

  CreateOpts create_opts, run_opts;
  std::string id_arg;
  int64_t grace_s = -1;
  bool raw = false, follow = false;
  int64_t tail = -1;
  std::string f_spec, f_status, f_tool, f_project, f_kind, f_parent;
  bool f_attention = false;
  std::vector<std::string> ids_arg;
  int64_t f_limit = 100;

  // Each command is registered under `session` and at the top level (short forms).
  auto both = [&](const std::string& name, const std::string& short_name, const std::string& help,
                  const std::function<void(CLI::App*)>& setup, const std::function<void()>& run) {
    for (CLI::App* parent : {session, &app}) {
      const std::string& n = parent == session ? name : short_name;
      if (n.empty()) continue;
      auto* cmd = parent->add_subcommand(n, help);
      if (parent == session && !short_name.empty() && short_name != name) cmd->alias(short_name);
      setup(cmd);
      cmd->callback(run);
      cmd->add_flag("--json", g.json_out, "print JSON");
    }
  };

  both("create", "create", "create a session (prints its id)", [&](CLI::App* c) {
    AddCreateOptions(c, create_opts);
  }, [&] {
    auto client = Connect(g);
    json s = Call(client, "POST", "/api/sessions", CreateBody(create_opts));
    if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
    else std::printf("%s\n", Str(s, "id").c_str());
  });

  both("start", "start", "start a pending session", [&](CLI::App* c) { c->add_option("id", id_arg)->required(); }, [&] {
    auto client = Connect(g);
    json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/start");
    if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
    else std::printf("%s started (pid %s)\n", Str(s, "id").c_str(), s["pid"].dump().c_str());
  });

  both("run", "run", "create and start a session; streams its output and exits with its exit code", [&](CLI::App* c) {
    AddCreateOptions(c, run_opts);
    c->add_flag("-d,--detach", run_opts.detach, "print the id and return at once");
    c->add_option("--until", run_opts.until,
                  "rerun in the same conversation until this command passes (Ralph mode: a one-task plan)");
    c->add_option("--max-attempts", run_opts.max_attempts, "with --until: at most this many tries (default 3)");
  }, [&] {
    auto client = Connect(g);
    if (!run_opts.until.empty()) {
      json plan = Call(client, "POST", "/api/plans", RalphPlanBody(run_opts));
      if (run_opts.detach) {
        std::printf("%s\n", g.json_out ? plan.dump(2).c_str() : Str(plan, "id").c_str());
        return;
      }
      throw CLI::RuntimeError(FollowPlan(client, plan, g.json_out));
    }
    if (run_opts.max_attempts > 0) Fail("--max-attempts goes with --until CMD (the check to pass)");
    json body = CreateBody(run_opts);
    body["start"] = true;
    json s = Call(client, "POST", "/api/sessions", body);
    std::string id = Str(s, "id");
    if (run_opts.detach) {
      if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
      else std::printf("%s\n", id.c_str());
      return;
    }
    std::string label = Label(s);
    // Guided: the terminal is the user's, as with `docker run -it`.
    if (Str(s, "mode") == "guided" && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !g.json_out) {
      std::fprintf(stderr, "agentmux: session %s started (%s); detach with Ctrl-\\ d, it keeps running\n", label.c_str(),
                   Str(s, "tool").c_str());
      throw CLI::RuntimeError(Attach(client, s));
    }
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "agentmux: session %s started (%s)\n", label.c_str(), Str(s, "tool").c_str());
    InstallForegroundInterrupt(client, id);
    LogPrinter printer(WantsTranscript(s, false));
    json final_session = Follow(client, id, 0, printer);
    Acknowledge(client, final_session);  // its end was watched here
    if (g.json_out) std::printf("%s\n", final_session.dump(2).c_str());
    if (isatty(STDERR_FILENO))
      std::fprintf(stderr, "agentmux: session %s %s (exit %d)\n", label.c_str(), Str(final_session, "status").c_str(),
                   SessionExitCode(final_session));
    throw CLI::RuntimeError(SessionExitCode(final_session));
  });

  std::string continue_prompt, fallback = "none";
  bool continue_detach = false;
  auto follow_new = [&](DaemonClient& client, const json& s, bool detach) {
    std::string id = Str(s, "id");
    if (detach) {
      if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
      else std::printf("%s\n", id.c_str());
      return;
    }
    if (isatty(STDERR_FILENO))
      std::fprintf(stderr, "agentmux: session %s (%s, parent %s) started\n", Label(s).c_str(), Str(s, "tool").c_str(),
                   ShortId(Str(s, "parent_id")).c_str());
    InstallForegroundInterrupt(client, id);
    LogPrinter printer(WantsTranscript(s, false));
    json final_session = Follow(client, id, 0, printer);
    Acknowledge(client, final_session);
    if (g.json_out) std::printf("%s\n", final_session.dump(2).c_str());
    if (isatty(STDERR_FILENO) && final_session["error"].is_string())
      std::fprintf(stderr, "agentmux: %s\n", Str(final_session, "error").c_str());
    throw CLI::RuntimeError(SessionExitCode(final_session));
  };
  both("continue", "continue", "continue an ended session's agent conversation in a new session (streams it; -d to detach)",
       [&](CLI::App* c) {
         c->add_option("id", id_arg)->required();
         c->add_option("--prompt,-p", continue_prompt, "what to ask next (default: \"Continue.\")");
         c->add_option("--fallback", fallback, "fresh: if the agent lost the conversation, start a fresh one seeded "
                                               "with the earlier context")
             ->check(CLI::IsMember({"none", "fresh"}));
         c->add_flag("-d,--detach", continue_detach, "print the new id and return at once");
       },
       [&] {
         auto client = Connect(g);
         json body = {{"fallback", fallback}};
         if (!continue_prompt.empty()) body["prompt"] = continue_prompt;
         json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/continue", body);
         follow_new(client, s, continue_detach);
       });
  both("retry", "retry", "run an ended session again as a new session (same tool, specs, prompt, command)",
       [&](CLI::App* c) {
         c->add_option("id", id_arg)->required();
         c->add_flag("-d,--detach", continue_detach, "print the new id and return at once");
       },
       [&] {
         auto client = Connect(g);
         json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/retry", json::object());
         follow_new(client, s, continue_detach);
       });

  both("list", "ls", "list sessions, newest first", [&](CLI::App* c) {
    c->add_option("--spec", f_spec, "only sessions with this spec attached");
    c->add_option("--status", f_status, "only sessions with this status");
    c->add_option("--tool", f_tool, "only sessions of this tool");
    c->add_option("--project", f_project, "only sessions of this project path");
    c->add_option("--kind", f_kind, "only sessions of this kind (agent, plan)");
    c->add_option("--parent", f_parent, "only the tasks of this plan (or what continues this session)");
    c->add_option("--limit,-n", f_limit, "at most this many (default 100)");
    c->add_flag("--attention,-a", f_attention, "only sessions waiting for you (input, permission, ended unseen)");
  }, [&] {
    auto client = Connect(g);
    std::string q = "/api/sessions?limit=" + std::to_string(f_limit);
    if (!f_spec.empty()) q += "&spec=" + Escape(f_spec);
    if (!f_status.empty()) q += "&status=" + Escape(f_status);
    if (!f_tool.empty()) q += "&tool=" + Escape(f_tool);
    if (!f_kind.empty()) q += "&kind=" + Escape(f_kind);
    if (!f_parent.empty()) {
      json parent = Call(client, "GET", "/api/sessions/" + Escape(f_parent));  // a prefix → the id
      q += "&parent_id=" + Escape(Str(parent, "id"));
    }
    if (!f_project.empty()) {
      std::error_code ec;
      auto canon = std::filesystem::canonical(f_project, ec);
      q += "&project=" + Escape(ec ? f_project : canon.string());
    }
    if (f_attention) q += "&attention=true";
    json r = Call(client, "GET", q);
    bool filtered = q.find('&', q.find("limit=")) != std::string::npos;
    if (g.json_out) {
      std::printf("%s\n", r["sessions"].dump(2).c_str());
    } else if (r["sessions"].empty()) {
      if (filtered) std::printf("no sessions match (%s)\n", q.substr(q.find('&') + 1).c_str());
      else std::printf("no sessions yet — start one with: agentmux run -- echo hello\n");
    } else {
      PrintList(r["sessions"]);
      if (static_cast<int64_t>(r["sessions"].size()) >= f_limit)
        std::fprintf(stderr, "agentmux: showing the newest %lld; there may be more (--limit N)\n",
                     static_cast<long long>(f_limit));
    }
    // While nothing can be written (a full disk), say so where people look.
    if (r.contains("store") && r["store"].is_string())
      std::fprintf(stderr, "agentmux: the database cannot be written (%s): agents' output is held back, nothing "
                           "is lost; it resumes by itself once space is freed\n",
                   r["store"].get<std::string>().c_str());
  });

  both("view", "view", "show one session: status, exit, tokens, cost, conversation id (a plan: its tasks)", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json s = Call(client, "GET", "/api/sessions/" + Escape(id_arg));
    Acknowledge(client, s);
    if (Str(s, "kind") == "plan") {
      s["children"] = Call(client, "GET", "/api/sessions?parent_id=" + Escape(Str(s, "id")) + "&limit=1000")["sessions"];
      if (!g.json_out) return PrintPlan(s, s["children"]);
    }
    if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
    else PrintSession(s);
  });

  both("logs", "logs", "print a session's output (a structured session as a transcript; --raw for the bytes)",
       [&](CLI::App* c) {
         c->add_option("id", id_arg)->required();
         c->add_flag("-f,--follow", follow, "keep streaming until the session ends");
         c->add_option("--tail,-n", tail, "only the last N lines");
         c->add_flag("--raw", raw, "exactly the stored bytes");
       },
       [&] {
         auto client = Connect(g);
         json s = Call(client, "GET", "/api/sessions/" + Escape(id_arg));
         if (Str(s, "kind") == "plan") {  // its tasks' output, in order
           if (follow) throw CLI::RuntimeError(FollowPlan(client, s, false, false));
           return PrintPlanLogs(client, s, raw);
         }
         if (g.json_out && !follow) return PrintLogsJson(client, s, raw, tail);
         LogPrinter printer(WantsTranscript(s, raw));
         int64_t last = PrintStoredLogs(client, s, tail >= 0 ? std::optional(tail) : std::nullopt, printer);
         if (follow) {
           json final_session = Follow(client, Str(s, "id"), last, printer);
           throw CLI::RuntimeError(SessionExitCode(final_session));
         }
         printer.Finish();
       });

  // pause/resume/stop/rm take several sessions; each is tried, the failures said, exit 1 if any.
  auto each = [&](const std::function<json(DaemonClient&, const std::string&)>& act) {
    return [&, act] {
      auto client = Connect(g);
      int failed = 0;
      json out = json::array();
      for (const auto& ref : ids_arg) {
        try {
          out.push_back(act(client, ref));
        } catch (const CliError& e) {
          ++failed;
          std::fprintf(stderr, "agentmux: %s: %s\n", ref.c_str(), e.message.c_str());
        }
      }
      if (g.json_out) std::printf("%s\n", (ids_arg.size() == 1 && out.size() == 1 ? out[0] : out).dump(2).c_str());
      if (failed) throw CLI::RuntimeError(kExitError);
    };
  };
  auto control = [&](const std::string& action, const std::string& past) {
    return each([&, action, past](DaemonClient& client, const std::string& ref) {
      json body = json::object();
      if (action == "stop" && grace_s >= 0) body["grace_ms"] = grace_s * 1000;
      json s = Call(client, "POST", "/api/sessions/" + Escape(ref) + "/" + action, body);
      if (action == "stop" && !IsTerminalStatus(Str(s, "status"))) s = WaitStopped(client, s, grace_s >= 0 ? grace_s * 1000 : 10000);
      if (!g.json_out) std::printf("%s %s\n", Label(s).c_str(), action == "stop" ? Str(s, "status").c_str() : past.c_str());
      return s;
    });
  };
  auto ids_option = [&](CLI::App* c) { c->add_option("ids", ids_arg, "sessions: ids, id prefixes, names, last")->required(); };
  both("pause", "pause", "freeze the session's whole process group (SIGSTOP)", ids_option, control("pause", "paused"));
  both("resume", "resume", "continue a paused session (SIGCONT)", ids_option, control("resume", "resumed"));
  both("stop", "stop", "stop a session: SIGTERM to its process group, SIGKILL after the grace period", [&](CLI::App* c) {
    ids_option(c);
    c->add_option("--grace", grace_s, "seconds between SIGTERM and SIGKILL (default 10)");
  }, control("stop", "stopped"));
  bool force = false;
  both("delete", "rm", "delete ended sessions with their logs, events, checkpoints and worktrees", [&](CLI::App* c) {
    ids_option(c);
    c->add_flag("--force,-f", force, "also delete its worktree branch when it holds commits merged nowhere");
  }, each([&](DaemonClient& client, const std::string& ref) {
    json r = Call(client, "DELETE", "/api/sessions/" + Escape(ref) + (force ? "?force=1" : ""));
    if (!g.json_out) std::printf("%s deleted\n", Str(r, "deleted").c_str());
    return r;
  }));
  both("events", "events", "print a session's lifecycle events", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json r = Call(client, "GET", "/api/sessions/" + Escape(id_arg) + "/events");
    if (g.json_out) {
      std::printf("%s\n", r["events"].dump(2).c_str());
      return;
    }
    for (const auto& e : r["events"])
      std::printf("%s  %-14s %s\n", Str(e, "timestamp").c_str(), Str(e, "event_type").c_str(), e["data"].dump().c_str());
  });

  both("attach", "attach", "join a running session's terminal (detach: Ctrl-\\ then d, or Enter ~ .)", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json s = Call(client, "GET", "/api/sessions/" + Escape(id_arg));
    if (Str(s, "kind") == "plan") s = RunningTask(client, s);  // a plan's terminal is its running task's
    Acknowledge(client, s);
    if (WantsTranscript(s, false)) {
      // A headless agent has no terminal to join: follow its conversation instead.
      if (IsTerminalStatus(Str(s, "status")))
        Fail("session " + Label(s) + " is " + Str(s, "status") + "; read it with: agentmux logs " + ShortId(Str(s, "id")));
      LogPrinter printer(true);
      int64_t last = PrintStoredLogs(client, s, std::nullopt, printer);
      throw CLI::RuntimeError(SessionExitCode(Follow(client, Str(s, "id"), last, printer)));
    }
    throw CLI::RuntimeError(Attach(client, s));
  });

  AddPlanCommands(app, g);
  AddChangesCommands(app, g);
  AddMcpCommands(app, g);

  bool repair = false;
  auto* doctor = app.add_subcommand("doctor", "check the database file; --repair backs a damaged one up and recovers it");
  doctor->add_flag("--repair", repair, "back the file up and recover what can be read (stop the daemon first)");
  doctor->add_flag("--json", g.json_out, "print JSON");
  doctor->callback([&] {
    auto home = ResolveHome(g.home_flag);
    if (!home.ok()) Fail(home.error().message);
    throw CLI::RuntimeError(RunDoctor(*home, repair, g.json_out));
  });

  auto* tools = app.add_subcommand("tools", "list agent adapters: binary, version, what is missing");
  tools->add_flag("--json", g.json_out, "print JSON");
  tools->callback([&] {
    auto client = Connect(g);
    json r = Call(client, "GET", "/api/tools");
    if (g.json_out) {
      std::printf("%s\n", r["tools"].dump(2).c_str());
      return;
    }
    for (const auto& t : r["tools"]) {
      bool ok = t["available"].get<bool>();
      std::printf("%-8s %-10s %s %s\n", Str(t, "name").c_str(),
                  ok ? "available" : t["binary_path"].is_string() ? "NOT READY" : "MISSING",
                  t["binary_path"].is_string() ? Str(t, "binary_path").c_str() : "",
                  t["version"].is_string() ? ("(" + Str(t, "version") + ")").c_str() : "");
      for (const auto& n : t["notes"]) std::printf("         - %s\n", n.get<std::string>().c_str());
      if (!ok && !Str(t, "install_hint").empty()) std::printf("         - %s\n", Str(t, "install_hint").c_str());
    }
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CliError& e) {
    std::fflush(stdout);
    if (g.json_out) std::fprintf(stderr, "%s\n", json{{"error", e.message}, {"exit_code", e.code}}.dump().c_str());
    else std::fprintf(stderr, "agentmux: %s\n", e.message.c_str());
    return e.code;
  }
  return 0;
}

}  // namespace agentmux
