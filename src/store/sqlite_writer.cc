// The SQLite store's writes: one writer thread, group commit, and the failure model of store.h
// (a failing commit keeps its batch and retries; nothing queued is dropped).
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "base/clock.h"
#include "store/codec.h"
#include "store/sqlite_store.h"

namespace agentmux {

using SQLite::Database;
using SQLite::Statement;


namespace {

// A batch nobody waits on is committed once this much log is queued, or after 5 ms.
constexpr size_t kGroupCommitBytes = 1u << 20;

}  // namespace

void SqliteStore::SetCommitListener(std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener) {
  std::lock_guard lock(mu_);
  commit_listener_ = std::move(listener);
}

void SqliteStore::Enqueue(Item item) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    // The writer waits for a first item, then (group commit) for a waiter or 1 MiB of log: other
    // items need not wake it, which spares 1,000 chatty sessions a futex wake per line.
    wake = queue_.empty() || item.done || pending_bytes_.load(std::memory_order_relaxed) >= kGroupCommitBytes;
    if (item.done) ++queue_waiters_;
    queue_.push_back(std::move(item));
  }
  if (wake) cv_.notify_one();
}

void SqliteStore::AppendLog(LogChunkPtr chunk) {
  pending_bytes_.fetch_add(chunk->data.size(), std::memory_order_relaxed);
  Enqueue(Item{std::move(chunk), nullptr, nullptr});
}

Status SqliteStore::Write(Txn txn) {
  if (!writable())
    return Error::Unavailable("store_unavailable", "the database cannot be written now (" + health() +
                                                       "); nothing was changed. Free disk space; agentmux resumes "
                                                       "by itself.");
  auto done = std::make_shared<std::promise<Status>>();
  auto fut = done->get_future();
  Enqueue(Item{nullptr, std::move(txn), done});
  return fut.get();
}

void SqliteStore::Post(Txn txn) { Enqueue(Item{nullptr, std::move(txn), nullptr}); }

void SqliteStore::Flush() {
  (void)Write([](StoreTxn&) {});
}

void SqliteStore::WriterLoop() {
  for (;;) {
    std::deque<Item> batch;
    std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      // Group commit: a batch nobody waits on (log chunks, posted writes) collects for up to 5 ms
      // or 1 MiB, so 1,000 chatty sessions cost a few hundred commits a second, not thousands.
      // (No batch is in flight here, so pending_bytes_ is the log queued.)
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
      cv_.wait_until(lock, deadline, [&] {
        return stopping_ || queue_waiters_ > 0 || pending_bytes_.load(std::memory_order_relaxed) >= kGroupCommitBytes;
      });
      batch.swap(queue_);
      queue_waiters_ = 0;
      listener = commit_listener_;
    }
    std::vector<std::pair<std::shared_ptr<std::promise<Status>>, Status>> results;
    std::vector<std::pair<std::string, int64_t>> committed;
    CommitBatch(batch, results, committed);
    size_t queued_bytes = 0;
    for (auto& item : batch)
      if (item.chunk) queued_bytes += item.chunk->data.size();  // committed, or given up at close
    pending_bytes_.fetch_sub(queued_bytes, std::memory_order_relaxed);
    commits_.fetch_add(1);
    if (listener && !committed.empty()) listener(std::move(committed));
    for (auto& [promise, st] : results) promise->set_value(st);
    // After the waiters were answered: a checkpoint never delays a status change.
    MaybeCheckpoint(pending_bytes_.load(std::memory_order_relaxed) >= (256u << 10));
  }
}

namespace {

// Failures that may clear by themselves or by the user's hand (space freed, device back, lock
// released, file repaired): the batch is kept and retried. Others (a constraint, a bug) cannot
// succeed by retrying.
bool IsRetryable(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM:
    case SQLITE_CANTOPEN: case SQLITE_READONLY: case SQLITE_PROTOCOL: case SQLITE_CORRUPT: case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

std::string DescribeFailure(int code, const std::string& message) {
  switch (code & 0xff) {
    case SQLITE_FULL: return "disk full: " + message;
    case SQLITE_IOERR: return "I/O error: " + message;
    case SQLITE_BUSY: case SQLITE_LOCKED: return "locked by another process: " + message;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: return "damaged: " + message + " (run `agentmux doctor`)";
    default: return message;
  }
}

}  // namespace

void SqliteStore::CommitBatch(std::deque<Item>& batch,
                        std::vector<std::pair<std::shared_ptr<std::promise<Status>>, Status>>& results,
                        std::vector<std::pair<std::string, int64_t>>& committed) {
  Statement insert(*writer_db_,
                   "INSERT INTO session_logs (session_id, seq, offset, ts, level, data, line_count) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)");
  int64_t backoff_ms = 50;
  int64_t gave_up_at = 0;  // monotonic ms after which a closing store stops retrying
  // isolate: each item under its own savepoint, so one that can never be stored (a constraint
  // violation: a bug) is logged and left out instead of failing its whole batch forever.
  bool isolate = false;
  for (;;) {
    results.clear();
    committed.clear();
    int failed_code = 0;
    std::string failed_message;
    try {
      SQLite::Transaction txn(*writer_db_, SQLite::TransactionBehavior::IMMEDIATE);
      for (auto& item : batch) {
        if (item.skip) continue;
        if (item.chunk) {
          const LogChunk& c = *item.chunk;
          if (isolate) writer_db_->exec("SAVEPOINT item");
          try {
            insert.reset();
            insert.bind(1, c.session_id);
            insert.bind(2, c.seq);
            insert.bind(3, c.offset);
            insert.bind(4, c.ts);
            insert.bind(5, c.level);
            insert.bind(6, c.data.data(), static_cast<int>(c.data.size()));
            insert.bind(7, c.line_count);
            insert.exec();
            if (isolate) writer_db_->exec("RELEASE item");
          } catch (const SQLite::Exception& e) {
            if (!isolate || IsRetryable(e.getErrorCode())) throw;
            writer_db_->exec("ROLLBACK TO item");
            writer_db_->exec("RELEASE item");
            spdlog::error("store: log chunk {} of session {} ({} bytes) cannot be stored: {}", c.seq, c.session_id,
                          c.data.size(), e.what());
            item.skip = true;
            continue;
          }
          if (!committed.empty() && committed.back().first == c.session_id)
            committed.back().second = c.seq;
          else
            committed.emplace_back(c.session_id, c.seq);
        } else if (item.txn) {
          writer_db_->exec("SAVEPOINT item");
          Status st = OkStatus();
          try {
            SqliteTxn tx(*writer_db_);
            item.txn(tx);
            writer_db_->exec("RELEASE item");
          } catch (const SQLite::Exception& e) {
            // A full disk inside a transaction function fails the batch (retried), not the item.
            if (IsRetryable(e.getErrorCode())) throw;
            writer_db_->exec("ROLLBACK TO item");
            writer_db_->exec("RELEASE item");
            st = Error::Internal(e.what());
          } catch (const std::exception& e) {
            writer_db_->exec("ROLLBACK TO item");
            writer_db_->exec("RELEASE item");
            st = Error::Internal(e.what());
          }
          if (item.done) results.emplace_back(item.done, st);
          else if (!st.ok()) spdlog::error("store: background write failed: {}", st.error().message);
        } else if (item.done) {
          results.emplace_back(item.done, OkStatus());  // Flush()
        }
      }
      if (options_.commit_hook) options_.commit_hook(false);
      txn.commit();
      if (options_.commit_hook) options_.commit_hook(true);
      if (!writable()) {
        spdlog::info("store: writing again; the queued output and changes are committed");
        SetHealth(true, "ok");
      }
      return;
    } catch (const SQLite::Exception& e) {
      failed_code = e.getErrorCode();
      failed_message = e.what();
    } catch (const std::exception& e) {
      failed_code = SQLITE_ERROR;
      failed_message = e.what();
    }
    if (!IsRetryable(failed_code) && !isolate) {
      isolate = true;
      continue;
    }
    // The transaction was rolled back: nothing of this attempt is stored. Waiters are answered
    // now (their change is left out of the retries, so "error" means "not applied"); chunks and
    // posted changes stay in the batch.
    std::string health = DescribeFailure(failed_code, failed_message);
    for (auto& item : batch) {
      if (item.skip || !item.done) continue;
      item.done->set_value(Error::Unavailable("store_unavailable", "the database cannot be written now (" + health +
                                                                       "); nothing was changed"));
      item.skip = true;
    }
    results.clear();
    if (writable() || this->health() != health) {
      spdlog::error("store: commit failed ({}); keeping {} queued items and retrying until it succeeds", health,
                    batch.size());
      SetHealth(false, health);
    }
    std::unique_lock lock(mu_);
    if (stopping_) {
      int64_t now = MonotonicMs();
      if (gave_up_at == 0) gave_up_at = now + options_.close_retry_ms;
      if (now >= gave_up_at) {
        size_t chunks = 0, bytes = 0, writes = 0;
        for (auto& item : batch) {
          if (item.skip) continue;
          if (item.chunk) ++chunks, bytes += item.chunk->data.size();
          else if (item.txn) ++writes;
        }
        spdlog::error("store: closing while the database cannot be written ({}): {} log chunks ({} bytes) and {} "
                      "changes are lost",
                      health, chunks, bytes, writes);
        committed.clear();
        return;
      }
    }
    cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
  }
}

std::string SqliteStore::health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

void SqliteStore::SetHealth(bool writable, std::string health) {
  std::function<void(bool, const std::string&)> listener;
  {
    std::lock_guard lock(health_mu_);
    health_ = std::move(health);
    writable_.store(writable);
    listener = health_listener_;
  }
  if (listener) listener(writable, this->health());
}

void SqliteStore::SetHealthListener(std::function<void(bool writable, const std::string& health)> listener) {
  std::lock_guard lock(health_mu_);
  health_listener_ = std::move(listener);
}

}  // namespace agentmux
