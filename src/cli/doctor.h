// `agentmux doctor [--repair]`: the database file's health, and a way forward when it is damaged.
#pragma once

#include "cli/home.h"

namespace agentmux {

// Checks <home>/agentmux.db (PRAGMA integrity_check, row counts) and prints what it found; exit
// code 0 when healthy, 1 when damaged. With `repair` (REQUIRES: no daemon running on `home`, else
// exit 1 saying so): copies the file and its WAL to agentmux.db.broken-<UTC time>, recovers every
// readable row with the sqlite3 shell's `.recover` into a new file and puts it in place (or, when
// nothing is readable, leaves no database so the next start creates an empty one). `json_out`
// prints {database, check, backup, recovered} instead of text.
int RunDoctor(const Home& home, bool repair, bool json_out);

}  // namespace agentmux
