// Result<T>: the value-or-error type every expected failure travels in (leveldb's Status idea;
// g++ 12 has no std::expected under C++20). An Error carries a stable machine code (snake_case,
// e.g. "session_not_found"), a human message that says what to do, and an HTTP-ish kind used by
// the API layer to pick a status code.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace agentmux {

// What went wrong, in categories the API maps to HTTP statuses (api/router.cc).
enum class ErrorKind {
  kInvalidArgument,  // 400/422: the caller sent something wrong
  kNotFound,         // 404
  kConflict,         // 409: illegal state transition, ambiguous prefix, already exists
  kUnavailable,      // 503: a needed binary or service is missing
  kInternal,         // 500: I/O, SQLite, syscalls
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string code;     // stable, snake_case; part of the API contract
  std::string message;  // for people: what happened and what to do

  static Error InvalidArgument(std::string code, std::string message) {
    return {ErrorKind::kInvalidArgument, std::move(code), std::move(message)};
  }
  static Error NotFound(std::string code, std::string message) {
    return {ErrorKind::kNotFound, std::move(code), std::move(message)};
  }
  static Error Conflict(std::string code, std::string message) {
    return {ErrorKind::kConflict, std::move(code), std::move(message)};
  }
  static Error Unavailable(std::string code, std::string message) {
    return {ErrorKind::kUnavailable, std::move(code), std::move(message)};
  }
  static Error Internal(std::string message) {
    return {ErrorKind::kInternal, "internal", std::move(message)};
  }
};

// errno → Error with context, e.g. SysError("openpty", errno) → "openpty: Too many open files".
Error SysError(const std::string& what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok() && "Result::value() on an error");
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok() && "Result::error() on a value");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace agentmux
