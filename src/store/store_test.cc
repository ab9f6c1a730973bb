#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/ids.h"

namespace agentmux {
namespace {
namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("agentmux-store-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "agentmux.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    auto s = Store::Open(path_);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  static SessionRecord NewSession(std::vector<std::string> specs = {}) {
    SessionRecord s;
    s.id = NewUuidV7();
    s.project_path = "/tmp/project";
    s.spec_ids = std::move(specs);
    s.tool = "shell";
    s.command = {"echo", "hi"};
    s.created_at = s.updated_at = NowMs();
    return s;
  }

  static LogChunkPtr Chunk(const std::string& id, int64_t seq, int64_t offset, const std::string& data) {
    auto c = std::make_shared<LogChunk>();
    c->session_id = id;
    c->seq = seq;
    c->offset = offset;
    c->ts = NowMs();
    c->level = "pty";
    c->data = data;
    c->line_count = std::count(data.begin(), data.end(), '\n');
    return c;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(StoreTest, FreshDatabaseIsAtTheLatestSchemaInWalMode) {
  auto store = Open();
  EXPECT_EQ(store->schema_version(), LatestSchemaVersion());
  SQLite::Database db(path_);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST_F(StoreTest, SessionRoundTripKeepsSpecOrderAndFields) {
  auto store = Open();
  SessionRecord s = NewSession({"320-b", "028-a", "100-c"});
  s.prompt = "fix lint";
  s.metadata["k"] = "v";
  s.env["FOO"] = "bar";
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(s); }).ok());
  auto got = store->GetSession(s.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->spec_ids, (std::vector<std::string>{"320-b", "028-a", "100-c"}));
  EXPECT_EQ(got->prompt, "fix lint");
  EXPECT_EQ(got->command, s.command);
  EXPECT_EQ(got->metadata.at("k"), "v");
  EXPECT_EQ(got->env.at("FOO"), "bar");
  EXPECT_EQ(got->status, SessionStatus::kPending);
  EXPECT_FALSE(got->usage.has_value());
}

TEST_F(StoreTest, ZeroSpecsStoreNoSpecRows) {
  auto store = Open();
  SessionRecord s = NewSession();
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(s); }).ok());
  SQLite::Database db(path_);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM session_specs").getInt(), 0);
  EXPECT_TRUE(store->GetSession(s.id)->spec_ids.empty());
}

TEST_F(StoreTest, GroupCommitStoresEveryChunkInOrderInFewCommits) {
  auto store = Open();
  SessionRecord s = NewSession();
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(s); }).ok());
  uint64_t commits_before = store->commit_count();
  std::string expected;
  int64_t offset = 0;
  for (int i = 1; i <= 20000; ++i) {
    std::string data = "line " + std::to_string(i) + "\n";
    store->AppendLog(Chunk(s.id, i, offset, data));
    offset += static_cast<int64_t>(data.size());
    expected += data;
  }
  store->Flush();
  EXPECT_EQ(store->pending_log_bytes(), 0u);
  EXPECT_LT(store->commit_count() - commits_before, 20000u / 4) << "chunks should be batched";
  std::string got;
  int64_t after = 0;
  for (;;) {
    auto page = store->ReadLogs(s.id, after, 1000, 1 << 20);
    if (page.empty()) break;
    for (const auto& c : page) {
      EXPECT_EQ(c->seq, after + 1);
      after = c->seq;
      got += c->data;
    }
  }
  EXPECT_EQ(got, expected);
  auto [last_seq, bytes] = store->LogExtent(s.id);
  EXPECT_EQ(last_seq, 20000);
  EXPECT_EQ(bytes, static_cast<int64_t>(expected.size()));
}

// A flood's WAL is copied into the database file once the flood is over, and the WAL file then
// shrinks back: a 96 MiB burst of output does not leave a 96 MiB -wal file behind.
TEST_F(StoreTest, AfterAFloodTheWalIsCheckpointedAndShrinks) {
  auto store = Open();
  SessionRecord s = NewSession();
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(s); }).ok());
  const std::string block(64 * 1024, 'x');
  const int kChunks = 96 * 16;  // 96 MiB
  for (int i = 1; i <= kChunks; ++i) store->AppendLog(Chunk(s.id, i, int64_t(i - 1) * 65536, block));
  store->Flush();  // the quiet commit after the flood asks for a checkpoint (on its own thread) …
  // … and a write after it has finished starts the WAL over, truncated.
  auto wal = fs::file_size(path_ + "-wal");
  for (int i = 0; i < 100 && wal > (64u << 20); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertEvent(s.id, "note", {}, NowMs()); }).ok());
    wal = fs::file_size(path_ + "-wal");
  }
  EXPECT_LE(wal, 64u << 20) << "the WAL is truncated to journal_size_limit after its checkpoint";
  auto [last_seq, bytes] = store->LogExtent(s.id);
  EXPECT_EQ(last_seq, kChunks);
  EXPECT_EQ(bytes, int64_t(kChunks) * 65536);
  store.reset();
  EXPECT_LE(fs::file_size(path_), (100u << 20)) << "the data is in the database file";
  EXPECT_GE(fs::file_size(path_), (96u << 20));
}

TEST_F(StoreTest, AFailingWriteRollsBackAloneAndReportsItsError) {
  auto store = Open();
  SessionRecord a = NewSession(), b = NewSession();
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(a); }).ok());
  Status bad = store->Write([&](StoreTxn& tx) {
    tx.InsertSession(b);
    tx.InsertSession(a);  // duplicate primary key: throws
  });
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(store->GetSession(a.id).ok());
  EXPECT_FALSE(store->GetSession(b.id).ok()) << "the failed write must not leave half of itself behind";
}

TEST_F(StoreTest, ResolvesUniquePrefixesAndRefusesAmbiguousOnes) {
  auto store = Open();
  SessionRecord a = NewSession(), b = NewSession();
  a.id = "01900000-aaaa-7000-8000-000000000001";
  b.id = "01900000-aaab-7000-8000-000000000002";
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) {
    tx.InsertSession(a);
    tx.InsertSession(b);
  }).ok());
  EXPECT_EQ(*store->ResolveId("01900000-aaaa"), a.id);
  EXPECT_EQ(*store->ResolveId("01900000-AAAB"), b.id);
  auto amb = store->ResolveId("01900000-aaa");
  ASSERT_FALSE(amb.ok());
  EXPECT_EQ(amb.error().code, "ambiguous_id");
  EXPECT_NE(amb.error().message.find(a.id), std::string::npos);
  auto none = store->ResolveId("deadbeef");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "session_not_found");
  EXPECT_EQ(store->ResolveId("'; DROP TABLE sessions; --").error().code, "session_not_found");
}

TEST_F(StoreTest, TailFindsTheChunkHoldingTheLastLines) {
  auto store = Open();
  SessionRecord s = NewSession();
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(s); }).ok());
  // chunks: "a\nb\n" "c\nd\ne\n" "f\n"
  store->AppendLog(Chunk(s.id, 1, 0, "a\nb\n"));
  store->AppendLog(Chunk(s.id, 2, 4, "c\nd\ne\n"));
  store->AppendLog(Chunk(s.id, 3, 10, "f\n"));
  store->Flush();
  // Reading from the returned chunk must cover the last N lines, and not start more than one
  // chunk earlier than needed.
  const std::string all = "a\nb\nc\nd\ne\nf\n";
  const int64_t chunk_start[] = {0, 0, 4, 10};
  const int64_t needed_seq[] = {0, 3, 2, 2, 2, 1, 1};  // chunk holding the start of the last N lines
  for (int n = 1; n <= 6; ++n) {
    int64_t seq = store->TailStartSeq(s.id, n);
    ASSERT_GE(seq, 1);
    ASSERT_LE(seq, 3);
    std::string from = all.substr(static_cast<size_t>(chunk_start[seq]));
    EXPECT_GE(std::count(from.begin(), from.end(), '\n'), n) << "N=" << n;
    EXPECT_GE(seq, needed_seq[n] - 1) << "N=" << n;
  }
  EXPECT_EQ(store->TailStartSeq(s.id, 100), 1);
}

TEST_F(StoreTest, MigratesASeed001DatabaseLosingNothing) {
  {
    std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/seed001.sql");
    std::stringstream sql;
    sql << in.rdbuf();
    SQLite::Database legacy(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    legacy.exec(sql.str());
    ASSERT_EQ(legacy.execAndGet("PRAGMA user_version").getInt(), 0);
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), LatestSchemaVersion());

  auto a = store->GetSession("0b7c1f2e-aaaa-4000-8000-000000000001");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->spec_ids, std::vector<std::string>{"028-cli-ui-modernization"});
  EXPECT_EQ(a->status, SessionStatus::kCompleted);
  EXPECT_EQ(a->exit_code, 0);
  EXPECT_EQ(a->duration_ms, 300000);
  EXPECT_EQ(a->usage->total(), 1234);
  EXPECT_EQ(a->metadata.at("branch"), "feat/cli-ui");
  EXPECT_EQ(Rfc3339(*a->started_at), "2026-02-20T10:00:00.000Z");

  auto b = store->GetSession("0b7c1f2e-bbbb-4000-8000-000000000002");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->spec_ids.empty()) << "a NULL spec_id attaches no spec";
  EXPECT_EQ(b->status, SessionStatus::kFailed);
  EXPECT_EQ(b->exit_code, 2);

  // One legacy row per line becomes one chunk per line; the bytes read back are the lines.
  std::string log;
  for (const auto& c : store->ReadLogs(a->id, 0, 100, 1 << 20)) log += c->data;
  EXPECT_EQ(log, "Reading spec 028\nÉdition du fichier ✓\nDone\n");
  auto chunks = store->ReadLogs(a->id, 0, 100, 1 << 20);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1]->offset, static_cast<int64_t>(std::string("Reading spec 028\n").size()));
  EXPECT_EQ(chunks[2]->offset, chunks[1]->offset + static_cast<int64_t>(std::string("Édition du fichier ✓\n").size()));
  EXPECT_EQ(a->log_seq, 3);
  auto b_chunks = store->ReadLogs(b->id, 0, 100, 1 << 20);
  ASSERT_EQ(b_chunks.size(), 1u);
  EXPECT_EQ(b_chunks[0]->level, "stderr");

  auto events = store->ReadEvents(a->id, 0, 100);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "started");
  EXPECT_EQ(events[1].type, "completed");
  EXPECT_EQ(events[1].data["exit_code"], 0);

  SQLite::Database db(path_);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'legacy_%'").getInt(), 0);
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM pragma_foreign_key_check").getInt(), 0);

  // Opening again is a no-op: nothing is migrated twice.
  store.reset();
  auto again = Open();
  EXPECT_EQ(again->ListSessions({}).size(), 2u);
  EXPECT_EQ(again->ReadLogs(a->id, 0, 100, 1 << 20).size(), 3u);
}

TEST_F(StoreTest, RefusesADatabaseFromTheFuture) {
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 999");
  }
  auto s = Store::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

// The integrity check reads the whole file, so it runs only when the last daemon did not close the
// store, and then in the background: the clean-close marker exists only between a clean close and
// the next open.
TEST_F(StoreTest, OnlyACleanCloseLeavesTheMarkerThatSkipsTheIntegrityCheck) {
  const std::string marker = path_ + ".clean";
  auto store = Open();
  EXPECT_FALSE(fs::exists(marker));
  auto s = NewSession();
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) { tx.InsertSession(s); }).ok());
  store.reset();
  EXPECT_TRUE(fs::exists(marker));
  store = Open();
  EXPECT_EQ(store->integrity(), "ok");
  EXPECT_FALSE(fs::exists(marker)) << "a crash from here on must lead to a check at the next open";
  EXPECT_TRUE(store->GetSession(s.id).ok());
}

static std::string WaitForIntegrity(Store& store) {
  for (int i = 0; i < 500 && store.integrity() == "checking"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return store.integrity();
}

TEST_F(StoreTest, AfterAnUncleanCloseTheFileIsCheckedAndDamageReported) {
  std::vector<std::string> ids;
  {
    auto store = Open();
    ASSERT_TRUE(store->Write([&](StoreTxn& tx) {
                       for (int i = 0; i < 2000; ++i) {
                         auto s = NewSession();
                         ids.push_back(s.id);
                         tx.InsertSession(s);
                       }
                     }).ok());
  }
  fs::remove(path_ + ".clean");  // as if the daemon had been killed
  {
    auto store = Open();
    EXPECT_EQ(WaitForIntegrity(*store), "ok");
    EXPECT_TRUE(store->GetSession(ids.front()).ok()) << "the store serves while and after it checks";
  }
  // Damage one page in the middle of the file (not the schema on page 1), then "crash" again.
  fs::remove(path_ + ".clean");
  auto size = fs::file_size(path_);
  ASSERT_GT(size, 40960u);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 4096 / 2 * 4096));
    f << std::string(4096, '\x7f');
  }
  auto store = Open();
  ASSERT_NE(store, nullptr) << "damage is reported, not a refusal to start";
  EXPECT_EQ(WaitForIntegrity(*store).rfind("failed: ", 0), 0u) << store->integrity();
  store.reset();
  EXPECT_FALSE(fs::exists(path_ + ".clean")) << "a damaged file is checked again at the next open";
}

TEST_F(StoreTest, CorruptFileIsAnErrorNotACrash) {
  std::ofstream(path_) << std::string(8192, 'x');
  auto s = Store::Open(path_);
  EXPECT_FALSE(s.ok());
}


// Issue 14: a database made before the workflows migration (schema 2) opens with its sessions,
// logs and events as they were; its sessions read as agent sessions.
TEST_F(StoreTest, ASchema2DatabaseOpensWithItsSessionsIntact) {
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(MigrationSql(1));
    db.exec(MigrationSql(2));
    db.exec("PRAGMA user_version = 2");
    db.exec(
        "INSERT INTO sessions (id, project_path, prompt, tool, mode, status, exit_code, agent_session_id, parent_id, "
        "input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, log_seq, log_bytes, "
        "created_at, updated_at) VALUES ('01a00000-0000-7000-8000-000000000001', '/p', 'fix it', 'claude', "
        "'autonomous', 'completed', 0, 'conv-1', NULL, 10, 20, 0, 0, 0.5, 1, 6, '2026-11-01T10:00:00.000Z', "
        "'2026-11-01T10:01:00.000Z')");
    db.exec("INSERT INTO session_logs (session_id, seq, offset, ts, level, data, line_count) VALUES "
            "('01a00000-0000-7000-8000-000000000001', 1, 0, 1, 'stdout', CAST('hello\n' AS BLOB), 1)");
    db.exec("INSERT INTO session_events (session_id, event_type, data, timestamp) VALUES "
            "('01a00000-0000-7000-8000-000000000001', 'completed', '{}', '2026-11-01T10:01:00.000Z')");
    db.exec("INSERT INTO session_specs (session_id, spec_id, position) VALUES "
            "('01a00000-0000-7000-8000-000000000001', '012-login', 0)");
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), LatestSchemaVersion());
  auto s = store->GetSession("01a00000-0000-7000-8000-000000000001");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, SessionKind::kAgent);
  EXPECT_FALSE(s->position.has_value());
  EXPECT_TRUE(s->state.is_object() && s->state.empty());
  EXPECT_EQ(s->prompt, "fix it");
  EXPECT_EQ(s->status, SessionStatus::kCompleted);
  EXPECT_EQ(s->agent_session_id, "conv-1");
  EXPECT_EQ(s->usage->total(), 30);
  EXPECT_EQ(s->spec_ids, std::vector<std::string>{"012-login"});
  auto logs = store->ReadLogs(s->id, 0, 10, 1 << 20);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0]->data, "hello\n");
  auto events = store->ReadEvents(s->id, 0, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "completed");
  // And the new columns are written and read back.
  SessionRecord plan = *s;
  plan.id = "01a00000-0000-7000-8000-000000000002";
  plan.kind = SessionKind::kPlan;
  plan.state = {{"name", "p"}, {"current", 1}};
  SessionRecord child = *s;
  child.id = "01a00000-0000-7000-8000-000000000003";
  child.parent_id = plan.id;
  child.position = 2;
  ASSERT_TRUE(store->Write([&](StoreTxn& tx) {
    tx.InsertSession(plan);
    tx.InsertSession(child);
  }).ok());
  auto p = store->GetSession(plan.id);
  EXPECT_EQ(p->kind, SessionKind::kPlan);
  EXPECT_EQ(p->state["current"], 1);
  SessionFilter f;
  f.parent_id = plan.id;
  auto kids = store->ListSessions(f);
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].position, 2);
  f = {};
  f.kind = "plan";
  EXPECT_EQ(store->ListSessions(f).size(), 1u);
}

}  // namespace
}  // namespace agentmux
