#include "store/fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace agentmux {
namespace {

std::atomic<Fault> g_fault{Fault::kNone};
std::atomic<long> g_faulted{0};
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

// Our file wraps the base VFS's file, which follows it in the same allocation (szOsFile).
struct FaultFile {
  sqlite3_file base;  // pMethods = &kMethods
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

int Refusal() {
  Fault f = g_fault.load(std::memory_order_relaxed);
  if (f == Fault::kNone) return SQLITE_OK;
  g_faulted.fetch_add(1, std::memory_order_relaxed);
  return f == Fault::kDiskFull ? SQLITE_FULL : SQLITE_IOERR_WRITE;
}

FaultFile* F(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
const sqlite3_io_methods* M(sqlite3_file* f) { return F(f)->real()->pMethods; }

int Close(sqlite3_file* f) { return M(f)->xClose(F(f)->real()); }
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) { return M(f)->xRead(F(f)->real(), buf, n, off); }
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (int rc = Refusal(); rc != SQLITE_OK) return rc;
  return M(f)->xWrite(F(f)->real(), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = Refusal(); rc != SQLITE_OK) return rc;
  return M(f)->xTruncate(F(f)->real(), size);
}
int Sync(sqlite3_file* f, int flags) {
  if (int rc = Refusal(); rc != SQLITE_OK) return rc == SQLITE_FULL ? SQLITE_IOERR_FSYNC : rc;
  return M(f)->xSync(F(f)->real(), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return M(f)->xFileSize(F(f)->real(), size); }
int Lock(sqlite3_file* f, int level) { return M(f)->xLock(F(f)->real(), level); }
int Unlock(sqlite3_file* f, int level) { return M(f)->xUnlock(F(f)->real(), level); }
int CheckReservedLock(sqlite3_file* f, int* out) { return M(f)->xCheckReservedLock(F(f)->real(), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return M(f)->xFileControl(F(f)->real(), op, arg); }
int SectorSize(sqlite3_file* f) { return M(f)->xSectorSize(F(f)->real()); }
int DeviceCharacteristics(sqlite3_file* f) { return M(f)->xDeviceCharacteristics(F(f)->real()); }
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return M(f)->xShmMap(F(f)->real(), page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) { return M(f)->xShmLock(F(f)->real(), offset, n, flags); }
void ShmBarrier(sqlite3_file* f) { M(f)->xShmBarrier(F(f)->real()); }
int ShmUnmap(sqlite3_file* f, int del) { return M(f)->xShmUnmap(F(f)->real(), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) { return M(f)->xFetch(F(f)->real(), off, n, out); }
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return M(f)->xUnfetch(F(f)->real(), off, p); }

// Version 3 methods; the shm and mmap entries are used only when the base file has them.
const sqlite3_io_methods kMethods = {3,        Close,       Read,   Write,   Truncate,          Sync,
                                     FileSize, Lock,        Unlock, CheckReservedLock, FileControl,
                                     SectorSize, DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier,
                                     ShmUnmap, Fetch,       Unfetch};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  FaultFile* ff = F(file);
  ff->base.pMethods = nullptr;
  int rc = g_base->xOpen(g_base, name, ff->real(), flags, out_flags);
  if (rc == SQLITE_OK && ff->real()->pMethods) ff->base.pMethods = &kMethods;
  return rc;
}

}  // namespace

bool RegisterFaultVfs() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    if (!g_base) return;
    g_vfs = *g_base;  // every other entry (delete, access, randomness, time) is the base's
    g_vfs.zName = kFaultVfsName;
    g_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_base->szOsFile;
    g_vfs.pNext = nullptr;
    g_vfs.xOpen = Open;
    ok = sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
  });
  return ok;
}

void SetFault(Fault fault) { g_fault.store(fault); }
Fault CurrentFault() { return g_fault.load(); }
long FaultedWrites() { return g_faulted.load(); }

}  // namespace agentmux
