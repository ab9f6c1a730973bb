// A table that fits the terminal, as `docker ps` and `kubectl get` print one: columns a narrow
// terminal cannot hold are dropped, least important first, and one flexible column (the prompt)
// takes what is left, cut with "…". Widths count characters (UTF-8 code points), not bytes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace agentmux {

struct TableColumn {
  std::string header;
  int priority = 0;       // 0 = never dropped; higher numbers are dropped first
  size_t max_width = 40;  // cells are cut to this
  bool flexible = false;  // takes the width left over (at least min_width)
  size_t min_width = 10;
};

// The terminal's width for stdout: $COLUMNS when set, else the TTY's, else 0 (not a terminal:
// no limit).
size_t TerminalWidth();

// Display width of UTF-8 text (code points; newlines and tabs count as one).
size_t TextWidth(const std::string& s);
// `s` in at most `width` columns: newlines and tabs become spaces; cut with "…".
std::string FitText(const std::string& s, size_t width);

// Prints `rows` (each one cell per column) under the headers, two spaces between columns, no line
// wider than `width` (0 = no limit).
void PrintTable(const std::vector<TableColumn>& columns, const std::vector<std::vector<std::string>>& rows,
                size_t width);

}  // namespace agentmux
