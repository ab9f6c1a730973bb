// Helpers shared by the libFuzzer targets in fuzz/: cutting the input into pieces at points the
// input itself decides (so the fuzzer explores every split of a stream), and a private temporary
// directory per process that is removed at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace agentmux_fuzz {

// Cuts `data` into consecutive pieces whose lengths (1…256, or the whole rest) are derived from the
// bytes themselves: piece k ends after `1 + (b * 31 + k) % 257` bytes where b is its first byte,
// except that a first byte with the top two bits set (≥ 0xC0) takes everything left. Deterministic,
// so a crash input reproduces with the same cuts.
inline std::vector<std::string_view> Pieces(std::string_view data) {
  std::vector<std::string_view> out;
  size_t pos = 0, k = 0;
  while (pos < data.size()) {
    uint8_t b = static_cast<uint8_t>(data[pos]);
    size_t len = b >= 0xC0 ? data.size() - pos : 1 + (b * 31u + k) % 257u;
    if (len > data.size() - pos) len = data.size() - pos;
    out.push_back(data.substr(pos, len));
    pos += len;
    ++k;
  }
  return out;
}

[[noreturn]] inline void Fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "FUZZ ASSERTION FAILED: %s\n%s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// A directory under $TMPDIR (or /tmp), created on first use and removed when the process exits.
class TempDir {
 public:
  explicit TempDir(const char* tag) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (std::string("agentmux-fuzz-") + tag + "-XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) Fail("mkdtemp failed", tmpl);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, std::string_view text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) Fail("cannot write fixture file", path);
}

}  // namespace agentmux_fuzz
