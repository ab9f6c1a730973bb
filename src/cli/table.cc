#include "cli/table.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace agentmux {

size_t TerminalWidth() {
  if (const char* cols = std::getenv("COLUMNS"); cols && *cols) {
    long v = std::strtol(cols, nullptr, 10);
    if (v > 0) return static_cast<size_t>(v);
  }
  struct winsize ws {};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

size_t TextWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string FitText(const std::string& text, size_t width) {
  std::string s = text;
  for (char& c : s)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  if (TextWidth(s) <= width) return s;
  if (width == 0) return "";
  // Keep width-1 code points, then "…".
  size_t kept = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (kept == width - 1) break;
      ++kept;
    }
  }
  return s.substr(0, i) + "…";
}

void PrintTable(const std::vector<TableColumn>& columns, const std::vector<std::vector<std::string>>& rows,
                size_t width) {
  const size_t n = columns.size();
  std::vector<size_t> natural(n);
  for (size_t c = 0; c < n; ++c) {
    natural[c] = TextWidth(columns[c].header);
    for (const auto& row : rows)
      if (c < row.size()) natural[c] = std::max(natural[c], std::min(TextWidth(row[c]), columns[c].max_width));
  }
  std::vector<bool> shown(n, true);
  std::vector<size_t> w = natural;
  auto total = [&] {
    size_t t = 0, k = 0;
    for (size_t c = 0; c < n; ++c)
      if (shown[c]) t += w[c], ++k;
    return t + (k ? 2 * (k - 1) : 0);
  };
  if (width > 0) {
    for (;;) {
      // The flexible column gives way first, down to its minimum; then columns go, least important first.
      for (size_t c = 0; c < n; ++c)
        if (shown[c] && columns[c].flexible && total() > width)
          w[c] = std::max(std::min(natural[c], columns[c].min_width), w[c] - std::min(w[c], total() - width));
      if (total() <= width) break;
      int worst = 0;
      size_t drop = n;
      for (size_t c = 0; c < n; ++c)
        if (shown[c] && columns[c].priority > worst) worst = columns[c].priority, drop = c;
      if (drop == n) break;  // only essential columns left: let them be
      shown[drop] = false;
      for (size_t c = 0; c < n; ++c)
        if (columns[c].flexible) w[c] = natural[c];  // room again: grow back, then shrink to fit
    }
  }
  auto line = [&](auto cell) {
    std::string out;
    bool first = true;
    size_t last = n;
    for (size_t c = 0; c < n; ++c)
      if (shown[c]) last = c;
    for (size_t c = 0; c < n; ++c) {
      if (!shown[c]) continue;
      std::string text = FitText(cell(c), w[c]);
      if (!first) out += "  ";
      first = false;
      out += text;
      if (c != last) out.append(w[c] - TextWidth(text), ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line([&](size_t c) { return columns[c].header; });
  for (const auto& row : rows) line([&](size_t c) { return c < row.size() ? row[c] : std::string(); });
}

}  // namespace agentmux
