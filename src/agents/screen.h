// What a terminal program shows: a screen model fed with a PTY's bytes (libvterm, the terminal
// emulator library of Neovim), so an adapter can read an agent TUI's state — idle at its input
// prompt, asking a permission question — from the rows a person would see, not from a byte stream
// full of cursor moves and redraws (issue 16: attention).
#pragma once

#include <memory>
#include <string>
#include <vector>

struct VTerm;

namespace agentmux {

class TerminalScreen {
 public:
  // A screen of `rows` × `cols` cells (clamped to 1..500), UTF-8 input.
  TerminalScreen(int cols, int rows);
  ~TerminalScreen();
  TerminalScreen(const TerminalScreen&) = delete;
  TerminalScreen& operator=(const TerminalScreen&) = delete;

  // Feeds PTY output (any bytes: partial escape sequences and invalid UTF-8 are the emulator's
  // business; the answers a terminal sends back to queries are dropped).
  void Feed(const std::string& bytes);
  void Resize(int cols, int rows);
  // The visible rows as UTF-8 text, trailing blanks trimmed (the alternate screen when a program
  // switched to it).
  std::vector<std::string> Rows() const;

 private:
  VTerm* vt_;
  std::string held_;  // the start of a UTF-8 character whose rest has not arrived
  int cols_, rows_;
};

}  // namespace agentmux
