// MCP resources (issue 17): every session as agentmux://sessions/{id} (its record as JSON, the
// API's Session shape) and agentmux://sessions/{id}/log (its output as text, escapes removed, the
// last 2,000 lines, at most 256 KiB). Subscriptions tell a client when either changed: the session
// on a status change or an event, the log when output arrives — at most every 250 ms per URI.
//
// Threading: loop thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"

namespace agentmux {
class Api;
class SessionManager;
}  // namespace agentmux

namespace agentmux::mcp {

// The two templates (resources/templates/list).
nlohmann::json ResourceTemplates();
// Both resources of the 50 newest sessions (resources/list).
nlohmann::json SessionResources(SessionManager& manager);
// resources/read's contents. Errors: kNotFound (unknown session), kInvalidArgument (not an
// agentmux:// URI of these shapes).
Result<nlohmann::json> ReadSessionResource(SessionManager& manager, Api& api, const std::string& uri);

// One MCP session's subscriptions.
class Subscriptions {
 public:
  Subscriptions(boost::asio::io_context& io, SessionManager& manager);
  ~Subscriptions();
  // `changed(uri)` runs (on the loop) after the resource changed. Errors as ReadSessionResource.
  Status Add(const std::string& uri, std::function<void(const std::string&)> changed);
  void Remove(const std::string& uri);

 private:
  struct Watch;
  boost::asio::io_context& io_;
  SessionManager& manager_;
  std::map<std::string, std::shared_ptr<Watch>> watches_;
};

}  // namespace agentmux::mcp
