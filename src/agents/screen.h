// What a terminal program shows: a screen model fed with a PTY's bytes, so an adapter can read an
// agent TUI's state — idle at its input prompt, asking a permission question — from the rows a
// person would see, not from a byte stream full of cursor moves and redraws (issue 16: attention).
//
// Why not libvterm: Debian 12's libvterm 0.1.4 crashes or hangs on hostile output (four inputs in
// fuzz/regressions/fuzz_screen: a CSI with many sub-parameters reads past its argument array, REP
// before any character loops for ever, a resize and a scroll write through bad pointers), and this
// model runs inside the daemon on every byte an agent prints. So it is a small VT100/xterm subset
// that cannot index out of its grid: printable text with autowrap, CR/LF/BS/TAB, cursor moves
// (CUU/CUD/CUF/CUB/CNL/CPL/CHA/CUP/HVP/VPA/HPA), erases (ED/EL/ECH), insert/delete of characters
// and lines, scroll regions and scrolling (DECSTBM, SU/SD, IND/RI/NEL), save/restore cursor and
// the alternate screen (1049/1047/47). Colours and modes are read and ignored; strings (OSC, DCS,
// APC, PM, SOS) are skipped. Every character takes one cell (wide characters are not doubled).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agentmux {

class TerminalScreen {
 public:
  // A screen of `cols` × `rows` cells (each clamped to 1..500), cursor at the top left.
  TerminalScreen(int cols, int rows);

  // Feeds PTY output: any bytes; escape sequences and UTF-8 characters may be cut between writes.
  // Invalid UTF-8 shows as U+FFFD.
  void Feed(std::string_view bytes);
  // A new size: the screen starts empty (the program redraws on SIGWINCH).
  void Resize(int cols, int rows);
  // The visible rows as UTF-8 text, trailing blanks trimmed (the alternate screen while a program
  // uses it).
  std::vector<std::string> Rows() const;

 private:
  using Grid = std::vector<std::u32string>;
  enum class State { kText, kEscape, kCsi, kString, kStringEscape };

  void Print(char32_t c);
  void LineFeed();
  void ScrollUp(int top, int bottom, int n);    // lines move up within [top, bottom]
  void ScrollDown(int top, int bottom, int n);  // lines move down within [top, bottom]
  void Csi(char final);
  void Escape(char final);
  void SetAltScreen(bool on, bool save_cursor);
  int Param(size_t i, int dflt) const;  // CSI parameter i (0 = absent → dflt), clamped to 0..9999
  void Clear(Grid& g);
  Grid& grid() { return alt_ ? alt_grid_ : main_grid_; }

  int cols_, rows_;
  Grid main_grid_, alt_grid_;
  bool alt_ = false;
  int row_ = 0, col_ = 0;
  bool wrap_pending_ = false;  // the last column was written: the next character wraps first
  int saved_row_ = 0, saved_col_ = 0;
  int top_ = 0, bottom_ = 0;   // scroll region, inclusive
  State state_ = State::kText;
  std::string utf8_;           // a UTF-8 character being read
  size_t utf8_need_ = 0;
  std::vector<int> params_;    // ≤ 16 parameters, each ≤ 9999
  bool params_full_ = false;  // more than 16: the rest are dropped
  char private_ = 0;           // '?', '>', '<', '=' or 0
  std::string intermediates_;  // ≤ 2 bytes
};

// Helpers for adapters' ScreenAttention rules: whether a row contains `text`; whether a row, leading
// blanks skipped, starts with `prefix`.
bool AnyRowHas(const std::vector<std::string>& rows, std::string_view text);
bool AnyRowStartsWith(const std::vector<std::string>& rows, std::string_view prefix);

}  // namespace agentmux
