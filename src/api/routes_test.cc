// The route table is the API's one description: docs/api.md documents exactly its routes, and
// every body field a route declares is type-checked (a wrong type is 400 naming the field).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "api/api.h"
#include "session/manager.h"

namespace agentmux {
namespace {
namespace fs = std::filesystem;

std::set<std::string> DocumentedRoutes() {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/docs/api.md");
  std::stringstream ss;
  ss << in.rdbuf();
  std::set<std::string> out;
  // A route row: | `GET /api/sessions/:id/logs` | …; a row may name two ("`GET /a`, `GET /b[?x]`").
  std::regex row(R"(^\| `(GET|POST|DELETE) (/api/[^`?\[ ]*))");
  std::regex more(R"(, `?(GET|POST|DELETE) (/api/[^`?\[ ]*))");
  std::string line;
  while (std::getline(ss, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    out.insert(m[1].str() + " " + m[2].str());
    std::string cell = line.substr(0, line.find('|', 2));
    for (std::sregex_iterator it(cell.begin(), cell.end(), more), end; it != end; ++it)
      out.insert((*it)[1].str() + " " + (*it)[2].str());
  }
  return out;
}

TEST(Routes, DocsApiMdDocumentsExactlyTheRouteTable) {
  std::set<std::string> table;
  for (const Route& r : Api::Routes()) table.insert(std::string(r.method) + " " + r.path);
  std::set<std::string> docs = DocumentedRoutes();
  for (const auto& r : table) EXPECT_TRUE(docs.count(r)) << r << " is in the route table but not in docs/api.md";
  for (const auto& r : docs) EXPECT_TRUE(table.count(r)) << r << " is in docs/api.md but not in the route table";
  EXPECT_GE(docs.size(), 17u);
}

class ApiFieldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("agentmux-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::move(Store::Open((dir_ / "agentmux.db").string()).value());
    manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_);
    api_ = std::make_unique<Api>(*manager_);
  }
  void TearDown() override {
    api_.reset();
    manager_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  boost::asio::io_context io_;
  fs::path dir_;
  std::unique_ptr<Store> store_;
  AdapterRegistry adapters_;
  std::unique_ptr<SessionManager> manager_;
  std::unique_ptr<Api> api_;
};

// Issue 11 item 7 / issue 12: `"start":"yes"` answered 500 `internal`. Every declared field of
// every route, sent with a value of another JSON type, is refused with 400 naming the field, and
// changes nothing.
TEST_F(ApiFieldTest, AWrongTypeInAnyFieldOfAnyRouteIs400NamingTheField) {
  ApiResponse created = api_->Handle(
      {"POST", "/api/sessions", nlohmann::json{{"project_path", dir_.string()}, {"command", {"true"}}}.dump()});
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = nlohmann::json::parse(created.body)["id"];
  auto wrong = [](FieldType t) -> nlohmann::json {
    switch (t) {
      case FieldType::kString: return 5;
      case FieldType::kBool: return "yes";
      case FieldType::kInt: return 1.5;
      case FieldType::kStringList: return nlohmann::json::array({1});
      case FieldType::kStringMap: return nlohmann::json{{"K", 1}};
      case FieldType::kObject: return 5;
      case FieldType::kArray: return "x";
    }
    return nullptr;
  };
  int checked = 0;
  for (const Route& r : Api::Routes()) {
    std::string path = r.path;
    if (auto at = path.find(":id"); at != std::string::npos) path.replace(at, 3, id);
    for (const auto& f : r.fields) {
      nlohmann::json body = {{"project_path", dir_.string()}, {"command", {"true"}}};
      body[f.name] = wrong(f.type);
      ApiResponse res = api_->Handle({r.method, path, body.dump()});
      EXPECT_EQ(res.status, 400) << r.method << " " << r.path << " field " << f.name << ": " << res.body;
      auto err = nlohmann::json::parse(res.body, nullptr, false);
      EXPECT_EQ(err["error"]["code"], "bad_field") << res.body;
      EXPECT_NE(res.body.find(std::string("'") + f.name + "'"), std::string::npos) << res.body;
      ++checked;
    }
  }
  EXPECT_GE(checked, 17);
  EXPECT_EQ(manager_->List({}).size(), 1u) << "a refused request creates nothing";
  EXPECT_EQ(manager_->Get(id)->status, SessionStatus::kPending) << "nor changes anything";
}

TEST_F(ApiFieldTest, UnknownPathsAndMethodsAre404AndTheRouteListDescribesItself) {
  EXPECT_EQ(api_->Handle({"GET", "/api/nope", ""}).status, 404);
  EXPECT_EQ(api_->Handle({"PUT", "/api/sessions", ""}).status, 404);
  auto routes = nlohmann::json::parse(api_->Handle({"GET", "/api/routes", ""}).body)["routes"];
  EXPECT_EQ(routes.size(), Api::Routes().size());
  bool create_has_start = false;
  for (const auto& r : routes)
    if (r["method"] == "POST" && r["path"] == "/api/sessions") create_has_start = r["fields"]["start"] == "boolean";
  EXPECT_TRUE(create_has_start);
}

}  // namespace
}  // namespace agentmux
