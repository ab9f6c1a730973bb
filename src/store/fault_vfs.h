// A SQLite VFS that fails on demand (leveldb's fault-injection Env, for SQLite): it passes every
// call to the default VFS until a test or `AGENTMUX_FAULT` asks for a fault, then makes writes,
// syncs and truncates fail as a full disk (SQLITE_FULL, what ENOSPC becomes) or a failing device
// (SQLITE_IOERR_WRITE, EIO). Reads keep working, as they do on a full disk.
//
// Register once with RegisterFaultVfs(); open a database with the VFS name kFaultVfsName (Store
// does when StoreOptions::vfs says so). The fault mode is process-wide and atomic: any thread may
// set it at any time; it applies to every file opened through this VFS.
#pragma once

namespace agentmux {

inline constexpr const char* kFaultVfsName = "agentmux-fault";

enum class Fault {
  kNone,
  kDiskFull,  // xWrite/xTruncate/xSync → SQLITE_FULL
  kIoError,   // xWrite/xTruncate/xSync → SQLITE_IOERR_WRITE
};

// Registers the VFS (idempotent, thread-safe). Returns false if SQLite refused.
bool RegisterFaultVfs();
void SetFault(Fault fault);
Fault CurrentFault();
// Writes refused since the process started (for tests).
long FaultedWrites();

}  // namespace agentmux
