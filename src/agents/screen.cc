#include "agents/screen.h"

#include <vterm.h>

#include <algorithm>

namespace agentmux {
namespace {
int Clamp(int v) { return std::clamp(v, 1, 500); }
void DropOutput(const char*, size_t, void*) {}
}  // namespace

TerminalScreen::TerminalScreen(int cols, int rows) : cols_(Clamp(cols)), rows_(Clamp(rows)) {
  vt_ = vterm_new(rows_, cols_);
  vterm_set_utf8(vt_, 1);
  vterm_output_set_callback(vt_, DropOutput, nullptr);
  VTermScreen* screen = vterm_obtain_screen(vt_);
  vterm_screen_enable_altscreen(screen, 1);
  vterm_screen_reset(screen, 1);
}

TerminalScreen::~TerminalScreen() { vterm_free(vt_); }

void TerminalScreen::Feed(const std::string& bytes) {
  // libvterm 0.1 decodes a UTF-8 character cut between two writes as U+FFFD: hold back an
  // incomplete trailing sequence (≤ 3 bytes) until the next write completes it.
  std::string data = std::move(held_) + bytes;
  held_.clear();
  size_t n = data.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(data[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    if (need > back) held_ = data.substr(n - back), data.resize(n - back);
    break;
  }
  if (!data.empty()) vterm_input_write(vt_, data.data(), data.size());
}

void TerminalScreen::Resize(int cols, int rows) {
  cols_ = Clamp(cols);
  rows_ = Clamp(rows);
  vterm_set_size(vt_, rows_, cols_);
}

std::vector<std::string> TerminalScreen::Rows() const {
  const VTermScreen* screen = vterm_obtain_screen(vt_);
  std::vector<std::string> out;
  std::string buf(static_cast<size_t>(cols_) * 4 * 6 + 16, '\0');
  for (int r = 0; r < rows_; ++r) {
    VTermRect rect{r, r + 1, 0, cols_};
    size_t n = vterm_screen_get_text(screen, buf.data(), buf.size(), rect);
    std::string row(buf.data(), std::min(n, buf.size()));
    while (!row.empty() && (row.back() == ' ' || row.back() == '\0')) row.pop_back();
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace agentmux
