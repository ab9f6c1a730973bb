#include "agents/screen.h"

#include <algorithm>

namespace agentmux {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr size_t kMaxParams = 16;
constexpr int kMaxParam = 9999;

int Clamp(int v) { return std::clamp(v, 1, 500); }

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// A complete UTF-8 sequence → its code point, or U+FFFD for an overlong form, a surrogate or a
// code point past U+10FFFF (RFC 3629).
char32_t DecodeUtf8(const std::string& s) {
  auto b = [&](size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(s[i])); };
  char32_t c;
  if (s.size() == 2) c = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  else if (s.size() == 3) c = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  else c = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  size_t need = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  if (need != s.size() || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return kReplacement;
  return c;
}

}  // namespace

TerminalScreen::TerminalScreen(int cols, int rows) { Resize(cols, rows); }

void TerminalScreen::Resize(int cols, int rows) {
  cols_ = Clamp(cols);
  rows_ = Clamp(rows);
  Clear(main_grid_);
  Clear(alt_grid_);
  row_ = col_ = saved_row_ = saved_col_ = 0;
  wrap_pending_ = false;
  top_ = 0;
  bottom_ = rows_ - 1;
}

void TerminalScreen::Clear(Grid& g) { g.assign(static_cast<size_t>(rows_), std::u32string(static_cast<size_t>(cols_), U' ')); }

std::vector<std::string> TerminalScreen::Rows() const {
  const Grid& g = alt_ ? alt_grid_ : main_grid_;
  std::vector<std::string> out;
  out.reserve(g.size());
  for (const auto& line : g) {
    size_t end = line.find_last_not_of(U' ');
    std::string row;
    if (end != std::u32string::npos)
      for (size_t i = 0; i <= end; ++i) AppendUtf8(row, line[i]);
    out.push_back(std::move(row));
  }
  return out;
}

void TerminalScreen::Feed(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (state_) {
      case State::kText:
        if (utf8_need_ > 0) {
          if ((c & 0xC0) == 0x80) {
            utf8_ += static_cast<char>(c);
            if (utf8_.size() == utf8_need_) {
              char32_t cp = DecodeUtf8(utf8_);
              utf8_.clear();
              utf8_need_ = 0;
              if (cp >= 0xA0 || cp == kReplacement) Print(cp);  // C1 controls decoded from UTF-8: ignored
            }
            continue;
          }
          utf8_.clear();
          utf8_need_ = 0;
          Print(kReplacement);  // cut short; this byte starts afresh
        }
        if (c == 0x1b) {
          state_ = State::kEscape;
          intermediates_.clear();
        } else if (c == '\r') {
          col_ = 0, wrap_pending_ = false;
        } else if (c == '\n' || c == '\v' || c == '\f') {
          LineFeed();
        } else if (c == '\b') {
          col_ = std::max(0, col_ - 1), wrap_pending_ = false;
        } else if (c == '\t') {
          col_ = std::min(cols_ - 1, (col_ / 8 + 1) * 8), wrap_pending_ = false;
        } else if (c >= 0x20 && c < 0x7f) {
          Print(c);
        } else if (c >= 0xC2 && c <= 0xF4) {
          utf8_ = static_cast<char>(c);
          utf8_need_ = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        } else if (c >= 0x80) {
          Print(kReplacement);
        }
        break;
      case State::kEscape:
        if (c == '[' && intermediates_.empty()) {
          state_ = State::kCsi;
          params_.clear();
          params_full_ = false;
          private_ = 0;
        } else if ((c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') && intermediates_.empty()) {
          state_ = State::kString;
        } else if (c >= 0x20 && c <= 0x2f) {
          if (intermediates_.size() < 2) intermediates_ += static_cast<char>(c);
        } else if (c == 0x1b) {
          intermediates_.clear();
        } else if (c >= 0x30 && c <= 0x7e) {
          if (intermediates_.empty()) Escape(static_cast<char>(c));
          state_ = State::kText;
        } else {
          state_ = State::kText;  // a control cuts it short; read it as text
          --i;
        }
        break;
      case State::kCsi:
        if (c >= '0' && c <= '9') {
          if (params_.empty()) params_.push_back(0);
          if (!params_full_) params_.back() = std::min(kMaxParam, params_.back() * 10 + (c - '0'));
        } else if (c == ';' || c == ':') {
          if (params_.empty()) params_.push_back(0);
          if (params_.size() < kMaxParams) params_.push_back(0);
          else params_full_ = true;  // the rest are read and dropped
        } else if (c >= '<' && c <= '?') {
          if (params_.empty()) private_ = static_cast<char>(c);
        } else if (c >= 0x20 && c <= 0x2f) {
          if (intermediates_.size() < 2) intermediates_ += static_cast<char>(c);
        } else if (c >= 0x40 && c <= 0x7e) {
          if (intermediates_.empty()) Csi(static_cast<char>(c));
          state_ = State::kText;
        } else if (c == 0x1b) {
          state_ = State::kEscape;
          intermediates_.clear();
        } else if (c >= 0x80) {
          state_ = State::kText;  // not a sequence after all
          --i;
        }
        // Other C0 controls inside a sequence are ignored.
        break;
      case State::kString:
        if (c == 0x07) state_ = State::kText;
        else if (c == 0x1b) state_ = State::kStringEscape;
        break;
      case State::kStringEscape:
        if (c == '\\') {
          state_ = State::kText;
        } else {
          state_ = State::kEscape;  // ESC ends the string and starts something else
          intermediates_.clear();
          --i;
        }
        break;
    }
  }
}

void TerminalScreen::Print(char32_t c) {
  if (wrap_pending_) {
    col_ = 0;
    LineFeed();
  }
  grid()[static_cast<size_t>(row_)][static_cast<size_t>(col_)] = c;
  if (col_ == cols_ - 1) wrap_pending_ = true;
  else ++col_;
}

void TerminalScreen::LineFeed() {
  wrap_pending_ = false;
  if (row_ == bottom_) ScrollUp(top_, bottom_, 1);
  else if (row_ < rows_ - 1) ++row_;
}

void TerminalScreen::ScrollUp(int top, int bottom, int n) {
  if (top < 0 || bottom >= rows_ || top > bottom) return;
  n = std::min(n, bottom - top + 1);
  Grid& g = grid();
  for (int r = top; r <= bottom - n; ++r) g[static_cast<size_t>(r)].swap(g[static_cast<size_t>(r + n)]);
  for (int r = bottom - n + 1; r <= bottom; ++r) g[static_cast<size_t>(r)].assign(static_cast<size_t>(cols_), U' ');
}

void TerminalScreen::ScrollDown(int top, int bottom, int n) {
  if (top < 0 || bottom >= rows_ || top > bottom) return;
  n = std::min(n, bottom - top + 1);
  Grid& g = grid();
  for (int r = bottom; r >= top + n; --r) g[static_cast<size_t>(r)].swap(g[static_cast<size_t>(r - n)]);
  for (int r = top; r < top + n; ++r) g[static_cast<size_t>(r)].assign(static_cast<size_t>(cols_), U' ');
}

int TerminalScreen::Param(size_t i, int dflt) const {
  return i < params_.size() && params_[i] > 0 ? params_[i] : dflt;
}

void TerminalScreen::Escape(char final) {
  switch (final) {
    case '7': saved_row_ = row_, saved_col_ = col_; break;
    case '8': row_ = saved_row_, col_ = saved_col_, wrap_pending_ = false; break;
    case 'D': LineFeed(); break;
    case 'E': col_ = 0, LineFeed(); break;
    case 'M':
      wrap_pending_ = false;
      if (row_ == top_) ScrollDown(top_, bottom_, 1);
      else if (row_ > 0) --row_;
      break;
    case 'c':  // full reset
      alt_ = false;
      Resize(cols_, rows_);
      break;
    default: break;
  }
}

void TerminalScreen::SetAltScreen(bool on, bool save_cursor) {
  if (on == alt_) return;
  if (on) {
    if (save_cursor) saved_row_ = row_, saved_col_ = col_;
    alt_ = true;
    Clear(alt_grid_);
  } else {
    alt_ = false;
    if (save_cursor) row_ = saved_row_, col_ = saved_col_;
  }
  wrap_pending_ = false;
}

void TerminalScreen::Csi(char final) {
  if (private_ == '?') {
    if (final == 'h' || final == 'l')
      for (size_t i = 0; i < params_.size(); ++i)
        if (params_[i] == 1049 || params_[i] == 1047 || params_[i] == 47) SetAltScreen(final == 'h', params_[i] == 1049);
    return;
  }
  if (private_) return;
  const int n = Param(0, 1);
  auto clamp_row = [&](int r) { return std::clamp(r, 0, rows_ - 1); };
  auto clamp_col = [&](int c) { return std::clamp(c, 0, cols_ - 1); };
  std::u32string& line = grid()[static_cast<size_t>(row_)];
  auto blank = [&](std::u32string& l, int from, int to) {  // [from, to)
    from = std::clamp(from, 0, cols_), to = std::clamp(to, 0, cols_);
    for (int c = from; c < to; ++c) l[static_cast<size_t>(c)] = U' ';
  };
  bool moved = true;
  switch (final) {
    case 'A': row_ = clamp_row(row_ - n); break;
    case 'B': case 'e': row_ = clamp_row(row_ + n); break;
    case 'C': case 'a': col_ = clamp_col(col_ + n); break;
    case 'D': col_ = clamp_col(col_ - n); break;
    case 'E': row_ = clamp_row(row_ + n), col_ = 0; break;
    case 'F': row_ = clamp_row(row_ - n), col_ = 0; break;
    case 'G': case '`': col_ = clamp_col(n - 1); break;
    case 'd': row_ = clamp_row(n - 1); break;
    case 'H': case 'f': row_ = clamp_row(Param(0, 1) - 1), col_ = clamp_col(Param(1, 1) - 1); break;
    case 's': saved_row_ = row_, saved_col_ = col_; break;
    case 'u': row_ = saved_row_, col_ = saved_col_; break;
    case 'r': {
      int top = Param(0, 1) - 1, bottom = Param(1, rows_) - 1;
      if (top < bottom && bottom < rows_) top_ = top, bottom_ = bottom;
      else top_ = 0, bottom_ = rows_ - 1;
      row_ = col_ = 0;
      break;
    }
    default: moved = false; break;
  }
  if (moved) {
    wrap_pending_ = false;
    return;
  }
  switch (final) {
    case 'J': {
      int mode = Param(0, 0);
      Grid& g = grid();
      if (mode == 0) {
        blank(line, col_, cols_);
        for (int r = row_ + 1; r < rows_; ++r) blank(g[static_cast<size_t>(r)], 0, cols_);
      } else if (mode == 1) {
        for (int r = 0; r < row_; ++r) blank(g[static_cast<size_t>(r)], 0, cols_);
        blank(line, 0, col_ + 1);
      } else {
        Clear(g);
      }
      break;
    }
    case 'K': {
      int mode = Param(0, 0);
      if (mode == 0) blank(line, col_, cols_);
      else if (mode == 1) blank(line, 0, col_ + 1);
      else blank(line, 0, cols_);
      break;
    }
    case 'X': blank(line, col_, col_ + n); break;
    case 'P': {
      int k = std::min(n, cols_ - col_);
      line.erase(static_cast<size_t>(col_), static_cast<size_t>(k));
      line.append(static_cast<size_t>(k), U' ');
      break;
    }
    case '@': {
      int k = std::min(n, cols_ - col_);
      line.insert(static_cast<size_t>(col_), static_cast<size_t>(k), U' ');
      line.resize(static_cast<size_t>(cols_));
      break;
    }
    case 'L': if (row_ >= top_ && row_ <= bottom_) ScrollDown(row_, bottom_, n); break;
    case 'M': if (row_ >= top_ && row_ <= bottom_) ScrollUp(row_, bottom_, n); break;
    case 'S': ScrollUp(top_, bottom_, n); break;
    case 'T': if (params_.size() <= 1) ScrollDown(top_, bottom_, n); break;
    default: return;  // colours (m), modes, reports and the rest: nothing on screen changes
  }
  wrap_pending_ = false;
}

bool AnyRowHas(const std::vector<std::string>& rows, std::string_view text) {
  return std::any_of(rows.begin(), rows.end(), [&](const std::string& r) { return r.find(text) != std::string::npos; });
}

bool AnyRowStartsWith(const std::vector<std::string>& rows, std::string_view prefix) {
  return std::any_of(rows.begin(), rows.end(), [&](const std::string& r) {
    auto first = r.find_first_not_of(' ');
    return first != std::string::npos && r.compare(first, prefix.size(), prefix) == 0;
  });
}

}  // namespace agentmux
