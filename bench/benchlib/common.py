"""Helpers every measure uses: a private agentmux daemon, HTTP over its unix socket, /proc sampling,
statistics, and cleanup of every process the bench starts (by pid, never by name)."""
import atexit
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH_DIR)
PY = "/usr/bin/python3"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

_cleanups = []  # callables run at exit, newest first


def on_exit(fn):
    _cleanups.append(fn)
    return fn


def cleanup_all():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            log("cleanup: %s" % e)


atexit.register(cleanup_all)


def log(msg):
    print("  · " + msg, flush=True)


def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix="amxb-" + prefix + "-", dir="/tmp")
    on_exit(lambda: shutil.rmtree(d, ignore_errors=True))
    return d


# ---------------------------------------------------------------------------------------------
# statistics

def median(xs):
    return statistics.median(xs) if xs else None


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(xs):
    """{median, min, max, n, values} of a list of repetitions."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    return {"median": median(xs), "min": min(xs), "max": max(xs), "n": len(xs), "values": xs}


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


# ---------------------------------------------------------------------------------------------
# processes

def proc_cpu_seconds(pid):
    """utime+stime of a process (all threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_tree_cpu_seconds(pid):
    """CPU of a process and its reaped children (cutime+cstime) — for short tools like `script`."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICK


def proc_rss_mb(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE / 1e6


def proc_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1000.0
    return None


def children_of(pid):
    out = []
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            out = [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def kill_pid(pid, sig=signal.SIGTERM):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def wait_pid_gone(pid, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # reap if it is our child
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.02)
    return False


class Sampler(threading.Thread):
    """Samples RSS (MB) and cumulative CPU (s) of `pids()` every `interval` seconds."""

    def __init__(self, pids, interval=1.0):
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.samples = []  # (t, rss_mb, cpu_s)
        self._halt = threading.Event()

    def run(self):
        t0 = time.time()
        while not self._halt.is_set():
            rss = cpu = 0.0
            for p in self.pids():
                try:
                    rss += proc_rss_mb(p)
                    cpu += proc_cpu_seconds(p)
                except (OSError, IndexError):
                    pass
            self.samples.append((time.time() - t0, rss, cpu))
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join()
        return self.samples


# ---------------------------------------------------------------------------------------------
# HTTP over the daemon's unix socket

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Api:
    """Keep-alive JSON client of one daemon."""

    def __init__(self, sock_path):
        self.sock_path = sock_path
        self.conn = None

    def raw(self, method, path, body=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = UnixHTTPConnection(self.sock_path)
                data = json.dumps(body).encode() if body is not None else None
                headers = {"Content-Type": "application/json"} if data else {}
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                return r.status, dict(r.getheaders()), r.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if attempt:
                    raise

    def call(self, method, path, body=None, ok=(200, 201)):
        status, _, data = self.raw(method, path, body)
        if status not in ok:
            raise RuntimeError("%s %s → %d %s" % (method, path, status, data[:300]))
        return json.loads(data)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------------------------------------
# the daemon

class Daemon:
    """A private agentmux daemon: its own AGENTMUX_HOME, no TCP listener, stopped with SIGTERM."""

    def __init__(self, binary, home=None, env_extra=None):
        self.binary = binary
        self.home = home or tmpdir("home")
        self.proc = None
        # A benchmark's daemon takes its sessions with it when it stops (issue 13 keeps them by default).
        self.env = dict(os.environ, AGENTMUX_HOME=self.home, AGENTMUX_LISTEN="off", AGENTMUX_SHUTDOWN_SESSIONS="stop")
        self.env.pop("AGENTMUX_WEB_DIR", None)
        if env_extra:
            self.env.update(env_extra)
        self.api = None

    @property
    def sock(self):
        return os.path.join(self.home, "daemon.sock")

    @property
    def db(self):
        return os.path.join(self.home, "agentmux.db")

    def start(self, timeout=120):
        """Starts the daemon; returns seconds until /api/health answered."""
        t0 = time.perf_counter()
        self._log = open(os.path.join(self.home, "daemon.log"), "ab")
        self.proc = subprocess.Popen([self.binary, "daemon"], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log, start_new_session=True)
        on_exit(self.stop)
        self.api = Api(self.sock)
        end = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("daemon exited with %s; log: %s" % (self.proc.returncode, self.logtail()))
            try:
                st, _, _ = self.api.raw("GET", "/api/health")
                if st == 200:
                    return time.perf_counter() - t0
            except OSError:
                self.api.close()
            if time.time() > end:
                raise RuntimeError("daemon did not answer in %ds: %s" % (timeout, self.logtail()))
            time.sleep(0.0005)

    @property
    def pid(self):
        return self.proc.pid

    def logtail(self):
        try:
            with open(os.path.join(self.home, "daemon.log"), "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return
        if self.api:
            self.api.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def create(self, command, project=None, start=True, cols=None, rows=None):
        body = {"command": command, "project_path": project or self.home, "start": start}
        if cols:
            body.update(cols=cols, rows=rows)
        return self.api.call("POST", "/api/sessions", body)

    def session(self, sid):
        return self.api.call("GET", "/api/sessions/" + sid)

    def wait_ended(self, sid, timeout=600, poll=0.01):
        end = time.time() + timeout
        while time.time() < end:
            s = self.session(sid)
            if s["status"] in ("completed", "failed", "cancelled", "interrupted"):
                return s
            time.sleep(poll)
        raise RuntimeError("session %s did not end in %ds" % (sid, timeout))

    def stored_log(self, sid):
        """The session's bytes as stored in SQLite (read directly, outside any timing)."""
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            rows = con.execute("SELECT seq, data FROM session_logs WHERE session_id=? ORDER BY seq", (sid,))
            out, expect = [], 1
            for seq, data in rows:
                if seq != expect:
                    raise RuntimeError("session %s: gap in seqs at %d (got %d)" % (sid, expect, seq))
                expect += 1
                out.append(bytes(data))
            return b"".join(out)
        finally:
            con.close()


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_head():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return "?"


def machine_info():
    info = {"nproc": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["mem_gb"] = round(int(f.readline().split()[1]) / 1e6, 1)
        info["kernel"] = os.uname().release
        info["disk_tmp"] = subprocess.run(["df", "-h", "--output=fstype,size", "/tmp"], capture_output=True,
                                          text=True).stdout.split("\n")[1].strip()
    except (OSError, IndexError):
        pass
    return info


def tool_versions():
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().split("\n")[-1]
        except (OSError, subprocess.TimeoutExpired):
            return None
    return {"tmux": out(["tmux", "-V"]), "script": out(["script", "--version"]),
            "pm2": pm2_version(),
            "node": out(["node", "--version"]), "sqlite3": out(["sqlite3", "--version"]),
            "python3-websockets": __import__("websockets").__version__}


# ---------------------------------------------------------------------------------------------
# pm2 (pinned in bench/node)

PM2_BIN = os.path.join(BENCH_DIR, "node", "node_modules", ".bin", "pm2")


def pm2_version():
    try:
        with open(os.path.join(BENCH_DIR, "node", "node_modules", "pm2", "package.json")) as f:
            return json.load(f)["version"]
    except OSError:
        return None


class Pm2:
    """A private pm2 daemon (its own PM2_HOME), killed at the end."""

    def __init__(self):
        self.home = tmpdir("pm2")
        self.env = dict(os.environ, PM2_HOME=self.home, PM2_DISABLE_UPDATE_CHECK="true")
        on_exit(self.kill)

    def cli(self, *args, timeout=600):
        r = subprocess.run([PM2_BIN] + list(args), env=self.env, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError("pm2 %s failed: %s" % (" ".join(args), (r.stderr or r.stdout)[-500:]))
        return r.stdout

    def start_daemon(self):
        self.cli("ping")
        return self.god_pid()

    def god_pid(self):
        with open(os.path.join(self.home, "pm2.pid")) as f:
            return int(f.read().strip())

    def kill(self):
        try:
            pid = self.god_pid()
        except (OSError, ValueError):
            return
        try:
            self.cli("kill", timeout=60)
        except Exception:
            pass
        kill_pid(pid, signal.SIGKILL)
        wait_pid_gone(pid, 5)
