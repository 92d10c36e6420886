#!/usr/bin/env python3
"""Gatehouse load benchmark (called by bench/run.sh; Python 3 standard library only).

Starts `gatehouse serve` on a fresh SQLite database in a temporary folder, creates users and
sessions through the API, runs the wrk scenarios (bench/wrk.lua) with the server pinned to one
core and wrk to the other (server CPU time per request), then unpinned and interleaved with the
peers (A B A B) for the ratios; measures start-up, idle RSS, RSS with 5,000 keep-alive
connections, hashing isolation and the 503 beyond the hashing queue; runs the micro-benchmarks;
writes results.json and prints the table (bench/report.py).

Every load runs on 127.0.0.1 with a bounded duration.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WRK_LUA = os.path.join(HERE, "wrk.lua")
SCENARIOS = ["health", "me_bearer", "me_cookie", "refresh", "login", "register"]
PASSWORD = "bench-password-1"
# The pinned server keeps the default pools, which follow the CPUs it may run on (pool_defaults):
# the server as deployed, confined to one core.
PINNED_POOLS = {}
# A second Gatehouse with its verified-token cache off runs the /me scenario too, so that the table
# also shows /me with an RS256 verification on every request (the Node peer verifies every token).
NOCACHE = "gatehouse-nocache"
NOCACHE_ENV = {"VERIFIED_TOKEN_CACHE_SIZE": "0"}
NOCACHE_SCENARIOS = ["me_bearer"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUIET_BUDGET = 600.0  # seconds, in all, that wait_quiet may spend waiting for other processes


def pool_defaults(cpus):
    """The pools Gatehouse sizes itself for `cpus` usable CPUs (config::load_settings)."""
    return {"IO_THREADS": 1, "WORKER_THREADS": max(2, cpus), "HASH_THREADS": min(max(cpus, 1), 8)}


class HarnessError(Exception):
    """The harness itself could not do its job (not a slow result)."""


class PortTaken(Exception):
    """A server could not listen on the free port chosen for it: someone took it in between."""


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes and /proc

def free_ports(count):
    """`count` different ports free now on 127.0.0.1. The sockets stay open until all are chosen:
    a port closed at once is free again, so two picks in a row may return the same one (a soak
    run's server could not listen on its METRICS_PORT, likely its own API port)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def proc_tree(root_pid):
    """root_pid and all its descendants that are alive."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        if os.path.exists(f"/proc/{pid}"):
            out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def start_time(pid):
    """The process's start time (field 22 of /proc/PID/stat), to tell it from a later process
    that reuses its id; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def kill_if_same(pid, started, sig=signal.SIGKILL):
    """Signals `pid` only if it is still the process that started at `started` (never a
    stranger that got the same id)."""
    if started is not None and start_time(pid) == started:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def cpu_seconds(pids):
    """utime + stime of the processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def machine_ticks():
    """(user + nice + system, steal) of the whole machine from /proc/stat, in seconds."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2]) / CLK_TCK, (v[7] if len(v) > 7 else 0) / CLK_TCK


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def context_switches(pids):
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except OSError:
                pass
    return total


def foreign_load(own_pids, seconds):
    """Cores used over `seconds` by processes other than `own_pids` (and this harness)."""
    me = [os.getpid()]
    busy0, _ = machine_ticks()
    own0 = cpu_seconds(own_pids + me)
    time.sleep(seconds)
    busy1, _ = machine_ticks()
    own1 = cpu_seconds(own_pids + me)
    return max(0.0, (busy1 - busy0) - (own1 - own0)) / seconds


def wait_quiet(own_pids, max_wait, threshold=0.15):
    """Waits (up to max_wait s) until other processes use less than `threshold` cores, so a
    compile by someone else on a shared machine does not land in a measurement."""
    global QUIET_BUDGET
    max_wait = min(max_wait, QUIET_BUDGET)
    if max_wait <= 0:
        return 0.0, None
    start = time.monotonic()
    load = foreign_load(own_pids, 0.5)
    warned = False
    while load > threshold and time.monotonic() - start < max_wait:
        if not warned:
            log(f"  machine busy ({load:.2f} cores used by other processes): waiting up to {max_wait} s")
            warned = True
        load = foreign_load(own_pids, 1.0)
    waited = time.monotonic() - start
    QUIET_BUDGET -= waited
    if QUIET_BUDGET <= 0 and warned:
        log("  waited 10 minutes for a quiet machine in all: measuring without waiting from now on")
    return waited, load


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_hwm(pids):
    """Resets VmHWM (peak RSS) to the current RSS: `5` to /proc/PID/clear_refs."""
    ok = True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            ok = False
    return ok


def quiesce(pids, timeout=60):
    """Waits until the processes use less than 10 % of a core (work queued by the previous run,
    such as logins still waiting for a hashing thread, must not count against the next one)."""
    last = cpu_seconds(pids)
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        time.sleep(0.2)
        now = cpu_seconds(pids)
        if now - last < 0.02:
            return time.monotonic() - start
        last = now
    log(f"server still busy after {timeout} s; measuring anyway")
    return time.monotonic() - start


def clean_env(extra):
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
           if k in os.environ}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def http_call(base_port, method, path, headers=None, body=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        hdrs = dict(headers or {})
        if isinstance(body, dict):
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, resp.msg, payload
    finally:
        conn.close()


def wait_ready(port, timeout, proc=None):
    """Polls GET /api/healthchecker every millisecond; returns seconds until the first 200."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise HarnessError(f"server exited with {proc.returncode} before answering")
        try:
            status, _, _ = http_call(port, "GET", "/api/healthchecker", timeout=2)
            if status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.001)
    raise HarnessError(f"no answer on 127.0.0.1:{port} within {timeout} s")


def stop_process(proc, timeout=15):
    if proc is None or proc.poll() is not None:
        return
    tree = [(p, start_time(p)) for p in proc_tree(proc.pid)]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"pid {proc.pid} did not stop on SIGTERM within {timeout} s: SIGKILL")
        proc.kill()
        proc.wait()
    for pid, started in tree[1:]:  # workers left behind (ours only, checked by start time)
        kill_if_same(pid, started)


# ---------------------------------------------------------------- targets

class Target:
    """A server under test: Gatehouse or a peer."""

    def __init__(self, name, port, rotates, refresh_method):
        self.name = name
        self.port = port
        self.rotates = rotates          # hands out a new refresh token on every refresh
        self.refresh_method = refresh_method
        self.proc = None
        self.root_pid = None
        self.users = []                 # e-mails of pre-registered users
        self.access = None              # one access token (for /me)
        self.sessions = []              # refresh tokens, one per connection
        self.log_path = None
        self.aux_pidfile = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def pids(self):
        return proc_tree(self.root_pid) if self.root_pid else []

    def aux_pids(self):
        """Processes that belong to the target but are not measured as the server (the seed
        peer's MariaDB)."""
        if self.aux_pidfile and os.path.exists(self.aux_pidfile):
            try:
                with open(self.aux_pidfile) as f:
                    return [int(f.read().strip())]
            except (OSError, ValueError):
                pass
        return []

    def stop(self):
        stop_process(self.proc)


def cookie_value(msg, name):
    for header in msg.get_all("Set-Cookie") or []:
        m = re.match(rf"\s*{name}=([^;]*)", header)
        if m and m.group(1):
            return m.group(1)
    return None


def register_users(target, count, tag, parallel=4):
    emails = [f"u{tag}-{i}@example.com" for i in range(count)]
    errors = []

    def work(chunk):
        for email in chunk:
            try:
                status, _, payload = http_call(target.port, "POST", "/api/auth/register", body={
                    "name": "Bench User", "email": email, "photo": "default.png",
                    "password": PASSWORD, "passwordConfirm": PASSWORD})
                if status != 201:
                    errors.append(f"register {email}: {status} {payload[:200]!r}")
            except OSError as e:
                errors.append(f"register {email}: {e}")

    run_parallel(work, emails, parallel)
    if errors:
        raise HarnessError(f"{target.name}: {len(errors)} registrations failed: {errors[0]}")
    target.users = emails


def login_sessions(target, count, parallel=4):
    """`count` fresh logins; returns [(access, refresh)]."""
    out, errors = [], []
    lock = threading.Lock()
    emails = [target.users[i % len(target.users)] for i in range(count)]

    def work(chunk):
        for email in chunk:
            try:
                status, msg, payload = http_call(target.port, "POST", "/api/auth/login",
                                                 body={"email": email, "password": PASSWORD})
                if status != 200:
                    errors.append(f"login {email}: {status} {payload[:200]!r}")
                    continue
                body = json.loads(payload)
                access = body.get("access_token") or cookie_value(msg, "access_token")
                refresh = body.get("refresh_token") or cookie_value(msg, "refresh_token")
                if not access or not refresh:
                    errors.append(f"login {email}: no tokens in the answer")
                    continue
                with lock:
                    out.append((access, refresh))
            except (OSError, ValueError) as e:
                errors.append(f"login {email}: {e}")

    run_parallel(work, emails, parallel)
    if errors:
        raise HarnessError(f"{target.name}: {len(errors)} logins failed: {errors[0]}")
    return out


def run_parallel(fn, items, parallel):
    chunks = [items[i::parallel] for i in range(parallel)]
    threads = [threading.Thread(target=fn, args=(c,)) for c in chunks if c]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def prepare_target(target, connections, n_users, tag):
    t0 = time.monotonic()
    register_users(target, n_users, tag)
    sessions = login_sessions(target, connections)
    target.access = sessions[0][0]
    target.sessions = [r for _, r in sessions]
    # Check the tokens work before measuring anything with them.
    status, _, payload = http_call(target.port, "GET", "/api/users/me",
                                   headers={"Authorization": f"Bearer {target.access}"})
    if status != 200:
        raise HarnessError(f"{target.name}: /api/users/me with a fresh token: {status} {payload[:200]!r}")
    log(f"{target.name}: {n_users} users, {connections} sessions in {time.monotonic() - t0:.1f} s")


# ---------------------------------------------------------------- Gatehouse

class Gatehouse:
    def __init__(self, binary, work, argon2, hash_queue_limit):
        self.binary = binary
        self.work = work
        self.argon2 = argon2
        self.hash_queue_limit = hash_queue_limit
        out = subprocess.run([binary, "keys", "generate"], capture_output=True, text=True,
                             cwd=work, check=False)
        if out.returncode != 0:
            raise HarnessError(f"gatehouse keys generate failed: {out.stderr.strip()}")
        self.keys_env = out.stdout
        # The server runs under another name (a symbolic link to the same binary): on a shared
        # machine, someone's `pkill gatehouse` or `pkill -n gatehouse` for their own servers must
        # not end a measurement halfway (it happened while this harness was written).
        os.makedirs(os.path.join(work, "bin"), exist_ok=True)
        self.exe = os.path.join(work, "bin", "gh-bench-server")
        os.symlink(binary, self.exe)
        self.keys = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
        self.count = 0

    def start(self, name, cpu=None, extra=None, ready_timeout=30):
        """Starts `gatehouse serve` in a fresh folder (fresh database); returns (Target, seconds
        from exec to the first answered request). A port taken by another process between its
        choice and the server's bind is not the server's failure: it starts again on other ports."""
        for _ in range(3):
            try:
                return self._start_once(name, cpu, extra, ready_timeout)
            except PortTaken as e:
                log(f"{e}: starting {name} again on other ports")
        raise HarnessError("gatehouse serve did not start: three times a port was taken")

    def _start_once(self, name, cpu, extra, ready_timeout):
        self.count += 1
        folder = os.path.join(self.work, f"gatehouse-{self.count}")
        os.makedirs(folder)
        with open(os.path.join(folder, ".env"), "w") as f:
            f.write(self.keys_env)
        port, metrics_port = free_ports(2)
        settings = {
            # Metrics on, as in production (on a free port of their own).
            "HOST": "127.0.0.1", "PORT": port, "METRICS_PORT": metrics_port, "RATE_LIMITS": "off",
            "ARGON2_MEMORY_KIB": self.argon2["memory_kib"],
            "ARGON2_PASSES": self.argon2["passes"],
            "HASH_QUEUE_LIMIT": self.hash_queue_limit,
        }
        settings.update(extra or {})
        cmd = [self.exe, "serve"]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        target = Target(name, port, rotates=True, refresh_method="POST")
        target.log_path = os.path.join(folder, "server.log")
        logf = open(target.log_path, "w")
        t0 = time.monotonic()
        # A session of its own (Linux autogroup scheduling), as a service manager gives each service
        # its cgroup: the server's nice-10 hashing threads then yield to its own request threads,
        # not to whatever else the machine runs (tests/e2e/server_process.cpp does the same).
        target.proc = subprocess.Popen(cmd, cwd=folder, env=clean_env(settings), stdout=logf,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        target.root_pid = target.proc.pid  # taskset execs the server: same pid
        try:
            wait_ready(port, ready_timeout, target.proc)
        except HarnessError as e:
            target.stop()
            with open(target.log_path) as f:
                tail = f.read()[-2000:]
            if "Address already in use" in tail:
                raise PortTaken(tail.strip().splitlines()[-1]) from None
            raise HarnessError(f"gatehouse serve did not start: {e}\n{tail}") from None
        elapsed = time.monotonic() - t0
        return target, elapsed


# ---------------------------------------------------------------- peers

def peer_argon2(peer_dir):
    """The Node peer's argon2id defaults, read from its lib/config.js."""
    with open(os.path.join(peer_dir, "lib", "config.js")) as f:
        text = f.read()

    def grab(name):
        m = re.search(rf"int\('{name}',\s*(\d+)\)", text)
        if not m:
            raise HarnessError(f"cannot read {name} from {peer_dir}/lib/config.js")
        return int(m.group(1))

    return {"memory_kib": grab("ARGON2_MEMORY_KIB"), "passes": grab("ARGON2_TIME"),
            "parallelism": grab("ARGON2_PARALLELISM")}


def start_node_peer(src, cache, work, keys, argon2):
    copy = os.path.join(cache, "node-fastify")
    stamp = os.path.join(copy, "package-lock.json")
    if not os.path.exists(stamp) or \
            os.path.getmtime(os.path.join(src, "package-lock.json")) > os.path.getmtime(stamp):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("node_modules", "data", "keys"))
        subprocess.run(["chmod", "-R", "u+w", copy], check=True)
    if not os.path.exists(os.path.join(copy, "node_modules", ".package-lock.json")):
        log("node peer: npm ci (builds better-sqlite3, about a minute)")
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=copy,
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise HarnessError(f"npm ci failed: {r.stderr[-1500:]}")
    port = free_port()
    folder = os.path.join(work, "node-peer")
    os.makedirs(folder, exist_ok=True)
    env = clean_env({
        "HOST": "127.0.0.1", "PORT": port, "WORKERS": 2, "PASSWORD_HASH": "argon2id",
        "ARGON2_MEMORY_KIB": argon2["memory_kib"], "ARGON2_TIME": argon2["passes"],
        "ARGON2_PARALLELISM": argon2["parallelism"],
        "DATABASE_PATH": os.path.join(folder, "peer.sqlite3"), "KEYS_DIR": os.path.join(folder, "keys"),
        "JWT_PRIVATE_KEY": keys["JWT_PRIVATE_KEY"], "JWT_PUBLIC_KEY": keys["JWT_PUBLIC_KEY"],
        "ENV_FILE": os.path.join(folder, "none.env"),
    })
    target = Target("node", port, rotates=False, refresh_method="GET")
    target.log_path = os.path.join(folder, "node.log")
    with open(target.log_path, "w") as logf:
        target.proc = subprocess.Popen(["./start.sh"], cwd=copy, env=env, stdout=logf,
                                       start_new_session=True,
                                       stderr=subprocess.STDOUT)
    target.root_pid = target.proc.pid  # start.sh execs node (the cluster primary)
    try:
        wait_ready(port, 180, target.proc)
        time.sleep(0.5)  # both cluster workers listening
    except HarnessError:
        target.stop()
        raise
    return target


SEED_PACKAGES = ["python3-fastapi", "python3-uvicorn", "python3-httptools", "python3-uvloop",
                 "python3-sqlalchemy", "python3-pydantic", "python3-dotenv",
                 "python3-email-validator", "python3-passlib", "python3-bcrypt",
                 "python3-pymysql", "python3-alembic", "python3-jwt", "python3-cryptography",
                 "mariadb-server", "mariadb-client"]


def start_seed_peer(src, work):
    missing = [p for p in SEED_PACKAGES if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout
        != "install ok installed"]
    if missing:
        log(f"seed peer: installing {' '.join(missing)} (its install-deps.sh)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["bash", os.path.join(src, "install-deps.sh")], env=env,
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
            r = subprocess.run(["bash", os.path.join(src, "install-deps.sh")], env=env,
                               capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise HarnessError(f"seed install-deps.sh failed: {r.stderr[-800:]}")
    copy = os.path.join(work, "seed-fastapi")
    shutil.copytree(src, copy)
    subprocess.run(["chmod", "-R", "u+w", copy], check=True)
    port, db_port = free_ports(2)
    seed_dir = os.path.join(work, "seedpeer")
    env = clean_env({"HOST": "127.0.0.1", "PORT": port, "MARIADB_PORT": db_port,
                     "SEEDPEER_DIR": seed_dir, "DAEMON": 1, "WORKERS": 1})
    r = subprocess.run(["./run.sh"], cwd=copy, env=env, capture_output=True, text=True,
                       timeout=300)
    target = Target("seed", port, rotates=False, refresh_method="GET")
    target.log_path = os.path.join(seed_dir, "uvicorn.log")
    target.seed = (copy, env)
    target.aux_pidfile = os.path.join(seed_dir, "mysql.pid")
    pidfile = os.path.join(seed_dir, "uvicorn.pid")
    if r.returncode != 0 or not os.path.exists(pidfile):
        stop_seed_peer(target)
        raise HarnessError(f"seed run.sh failed ({r.returncode}): {(r.stdout + r.stderr)[-1500:]}")
    with open(pidfile) as f:
        target.root_pid = int(f.read().strip())
    wait_ready(port, 60)
    return target


def stop_seed_peer(target):
    """uvicorn first (its graceful shutdown can wait long for hung registrations: SIGKILL after
    10 s, by its pids), then the peer's own stop.sh --all for MariaDB."""
    if getattr(target, "stopped", False):
        return
    target.stopped = True
    tree = [(p, start_time(p)) for p in target.pids()]
    for pid, started in tree[:1]:
        kill_if_same(pid, started, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(start_time(p) == st for p, st in tree):
        time.sleep(0.2)
    for pid, started in tree:
        kill_if_same(pid, started)
    copy, env = target.seed
    subprocess.run(["./stop.sh", "--all"], cwd=copy, env=env, capture_output=True, timeout=300)


# ---------------------------------------------------------------- wrk

def wrk_threads(scenario, connections, pinned):
    if scenario == "refresh":
        return connections  # one connection per thread: per-connection token chains
    return 1 if pinned else 2


def run_wrk(target, scenario, duration, connections, wrk_cpu=None, threads=None, tag=None,
            work=None, timeout_s=10, concurrent=False, others=(), max_wait_quiet=0):
    """One wrk run; returns the parsed result with server CPU per request and peak RSS."""
    env = dict(os.environ, BENCH_SCENARIO=scenario, BENCH_PASSWORD=PASSWORD,
               BENCH_TAG=tag or uuid.uuid4().hex[:10],
               BENCH_REFRESH_METHOD=target.refresh_method)
    if scenario.startswith("me_"):
        env["BENCH_ACCESS"] = target.access
    if scenario == "login":
        path = os.path.join(work, f"users-{target.name}.txt")
        with open(path, "w") as f:
            f.write("\n".join(target.users) + "\n")
        env["BENCH_USERS"] = path
    if scenario == "refresh":
        if target.rotates:  # the tokens of the last run were rotated away: new sessions
            target.sessions = [r for _, r in login_sessions(target, connections)]
        path = os.path.join(work, f"tokens-{target.name}-{uuid.uuid4().hex[:6]}.txt")
        with open(path, "w") as f:
            f.write("\n".join(target.sessions[:connections]) + "\n")
        env["BENCH_TOKENS"] = path
    threads = threads or 1
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout",
           f"{timeout_s}s", "--latency", "-s", WRK_LUA, target.base]
    if wrk_cpu is not None:
        cmd = ["taskset", "-c", str(wrk_cpu)] + cmd
    pids = target.pids()
    all_pids = list(pids) + target.aux_pids()
    for other in others:
        if other is not target:
            all_pids += other.pids() + other.aux_pids()
    waited, quiet_load = 0.0, None
    if not concurrent:
        quiesce(all_pids)
        waited, quiet_load = wait_quiet(all_pids, max_wait_quiet)
    hwm_reset = reset_hwm(pids)
    cpu0 = cpu_seconds(pids)
    aux0 = cpu_seconds(all_pids) - cpu0
    cs0 = context_switches(pids)
    busy0, steal0 = machine_ticks()
    kids0 = children_cpu()
    me0 = cpu_seconds([os.getpid()])
    t0 = time.monotonic()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 120)
    wall = time.monotonic() - t0
    cpu1 = cpu_seconds(pids)
    aux1 = cpu_seconds(all_pids) - cpu1
    cs1 = context_switches(pids)
    busy1, steal1 = machine_ticks()
    wrk_cpu_s = children_cpu() - kids0
    me1 = cpu_seconds([os.getpid()])
    peak_kb = sum(status_kb(p, "VmHWM") for p in pids)
    rss_kb = sum(status_kb(p, "VmRSS") for p in pids)
    if target.proc is not None and target.proc.poll() is not None:
        tail = ""
        if target.log_path and os.path.exists(target.log_path):
            with open(target.log_path) as f:
                tail = f.read()[-1500:]
        raise HarnessError(f"{target.name} exited ({target.proc.returncode}) during {scenario}"
                           f"{' (SIGTERM from outside the harness?)' if 'signal 15' in tail else ''}"
                           f":\n{tail}")
    m = re.search(r"^BENCHJSON (\{.*\})$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise HarnessError(f"wrk failed for {target.name}/{scenario} ({r.returncode}): "
                           f"{r.stderr.strip()[-800:]} {r.stdout.strip()[-800:]}")
    res = json.loads(m.group(1))
    res["wrk_output"] = r.stdout.replace(m.group(0), "").strip()[-1500:]
    res.update(target=target.name, connections=connections, threads=threads,
               wrk_cpu=wrk_cpu, server_cpu_s=cpu1 - cpu0, wall_s=wall, peak_rss_kb=peak_kb,
               rss_kb=rss_kb, hwm_reset=hwm_reset, wrk_cpu_s=wrk_cpu_s,
               waited_for_quiet_s=waited, load_before=quiet_load,
               ctx_switches=cs1 - cs0, steal_s=steal1 - steal0)
    # Cores used during the run by anything but this server, wrk and the harness (other
    # peers idle, a compile by someone else on a shared machine...). Concurrent runs (the
    # isolation probes) count each other here.
    res["other_load"] = max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - (aux1 - aux0) - wrk_cpu_s -
                            (me1 - me0)) / wall if wall else None
    res["cpu_us_per_req"] = (cpu1 - cpu0) * 1e6 / res["requests"] if res["requests"] else None
    res["server_cores_used"] = (cpu1 - cpu0) / res["duration_s"] if res["duration_s"] else None
    res["ctx_per_req"] = (cs1 - cs0) / res["requests"] if res["requests"] and cs1 >= cs0 else None
    errors = res["non2xx"] + res["err_connect"] + res["err_timeout"] + res["err_read"] + \
        res["err_write"]
    flags = []
    if errors:
        flags.append(f"{errors} errors (non-2xx {res['non2xx']}, timeout {res['err_timeout']}, "
                     f"connect {res['err_connect']}, read {res['err_read']}, write {res['err_write']})")
    if scenario == "refresh" and target.rotates and res["requests"] and \
            res["rotated"] < res["requests"] - errors:
        flags.append(f"only {res['rotated']} of {res['requests']} refreshes rotated")
    if res["requests"] - errors <= 0:
        flags.append("no successful request")
    res["flags"] = flags
    res["ok_requests"] = max(0, res["requests"] - errors)
    p = f"{res['rps']:.0f} req/s, p50 {res['p50_us'] / 1000:.2f} ms, p99 {res['p99_us'] / 1000:.2f} ms"
    if res["cpu_us_per_req"]:
        p += f", server {res['cpu_us_per_req']:.1f} us CPU/req"
    if res["other_load"] is not None and res["other_load"] > 0.1 and not concurrent:
        p += f", other load {res['other_load']:.2f} cores"
    log(f"  {target.name:9s} {scenario:10s} {p}{' FLAGGED: ' + '; '.join(flags) if flags else ''}")
    return res


# ---------------------------------------------------------------- special measurements

def hold_connections(port, count):
    """Opens `count` keep-alive connections, one health request on each; returns the sockets
    and how many answered 200."""
    socks, answered = [], 0
    req = b"GET /api/healthchecker HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(req)
        socks.append(s)
    for s in socks:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        if data.startswith(b"HTTP/1.1 200"):
            answered += 1
    return socks, answered


def paced_probe(port, path, headers, rate, duration):
    """GET `path` `rate` times a second on one keep-alive connection for `duration` s; latency
    from sending to the whole answer. A late request is not made up for (no burst)."""
    lat, bad = [], 0
    period = 1.0 / rate
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    nxt = start
    while True:
        now = time.monotonic()
        if now - start >= duration:
            break
        if nxt > now:
            time.sleep(nxt - now)
        nxt += period
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        lat.append((time.perf_counter() - t0) * 1e6)
        bad += 0 if ok else 1
    conn.close()
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p / 100))] if lat else 0

    return {"scenario": path, "requests": len(lat), "rate": rate, "duration_s": duration,
            "rps": len(lat) / duration, "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99),
            "max_us": lat[-1] if lat else 0, "non2xx": bad, "err_connect": 0, "err_read": 0,
            "err_write": 0, "err_timeout": 0, "ok_requests": len(lat) - bad,
            "flags": [f"{bad} errors"] if bad else [], "paced": True, "peak_rss_kb": None}


def overload_burst(port, email, concurrency):
    """`concurrency` logins at once against a small hashing queue; counts statuses and checks
    that every 503 carries Retry-After."""
    barrier = threading.Barrier(concurrency)
    results = []
    lock = threading.Lock()

    def one():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"email": email, "password": PASSWORD}).encode()
        try:
            conn.connect()
            barrier.wait()
            conn.request("POST", "/api/auth/login", body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            with lock:
                results.append((resp.status, resp.getheader("Retry-After")))
        except OSError as e:
            with lock:
                results.append((f"error {e}", None))
        finally:
            conn.close()

    threads = [threading.Thread(target=one) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = {}
    for status, _ in results:
        counts[str(status)] = counts.get(str(status), 0) + 1
    retry_after = [ra for status, ra in results if status == 503]
    return {"concurrency": concurrency, "status_counts": counts,
            "n503": len(retry_after),
            "all_503_have_retry_after": all(ra is not None and ra.isdigit() for ra in retry_after),
            "retry_after_values": sorted(set(ra for ra in retry_after if ra))}


# ---------------------------------------------------------------- main

def machine_info():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu_model": model,
            "kernel": os.uname().release, "affinity": sorted(os.sched_getaffinity(0))}


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--micro", default="")
    ap.add_argument("--out", required=True, help="results folder")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--users", type=int, default=32)
    ap.add_argument("--reps", type=int, default=0, help="unpinned repetitions (default 2 with peers, else 1)")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--peers", action="store_true")
    ap.add_argument("--only-peer", default="", help="node or seed: run just that peer")
    ap.add_argument("--hash-queue-limit", type=int, default=1024)
    ap.add_argument("--command", default="")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--wait-quiet", type=int, default=-1,
                    help="before each run, wait up to this many seconds for other processes to "
                         "stop using the CPUs (default 90, smoke 0)")
    args = ap.parse_args()

    if shutil.which("wrk") is None:
        raise HarnessError("wrk not found (apt-get install wrk)")
    if shutil.which("taskset") is None:
        raise HarnessError("taskset not found (apt-get install util-linux)")
    # 5,000 connections need 5,000 descriptors in the server and as many in this client;
    # children (the server, wrk) inherit the limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 16384), max(hard, 16384)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="gatehouse-bench-")
    cache = os.path.join(ROOT, "build-bench", "peers")  # the Node peer's node_modules, kept
    smoke = args.smoke
    duration = 1 if smoke else args.duration

    def scenario_duration(scenario):
        # A smoke run only shows that every scenario works. Password hashing runs at nice 10, so
        # on a machine busy with a build one hash can take over a second: the hashing scenarios
        # get long enough that some requests finish whatever else runs.
        if smoke and scenario in ("login", "register"):
            return SMOKE_HASHING_DURATION_S
        return duration
    conns = args.connections
    reps = args.reps or (2 if args.peers else 1)
    wait_q = args.wait_quiet if args.wait_quiet >= 0 else (0 if smoke else 90)
    peers_dir = os.path.join(ROOT, "..", "shared", "peers")
    peers_dir = os.environ.get("GATEHOUSE_PEERS", os.path.normpath(peers_dir))
    node_src = os.path.join(peers_dir, "node-fastify")
    seed_src = os.path.join(peers_dir, "seed-fastapi")
    if os.path.exists(node_src):
        argon2 = peer_argon2(node_src)
        argon2["source"] = os.path.join(node_src, "lib/config.js")
    else:
        argon2 = {"memory_kib": 19456, "passes": 2, "parallelism": 1, "source": "default (no peer found)"}
    if argon2["parallelism"] != 1:
        log(f"the Node peer uses argon2 parallelism {argon2['parallelism']}; libsodium has p=1 only")

    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    results = {
        "meta": {
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": args.command, "smoke": smoke, "duration_s": duration,
            "connections": conns, "reps": reps, "wait_quiet_s": wait_q, "machine": machine_info(),
            "argon2": argon2, "hash_queue_limit": args.hash_queue_limit,
            "server_defaults": pool_defaults(len(cpus)),
            "pinned_pools": PINNED_POOLS or pool_defaults(1),
            "pinning": {"server_cpu": server_cpu, "wrk_cpu": client_cpu},
            "loadavg_start": loadavg(), "binary": os.path.abspath(args.binary),
            "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                  capture_output=True, text=True).stdout.strip(),
        },
        "runs": [], "peers": {}, "errors": [],
    }
    started = []
    gh = Gatehouse(os.path.abspath(args.binary), work, argon2, args.hash_queue_limit)
    try:
        # ---- micro-benchmarks first, on a quiet machine (and again after the pinned run: the
        # floor is the lower of the two medians; their difference shows the machine's drift)
        results["micro_files"] = []

        def micro(label):
            if not (args.micro and os.path.exists(args.micro)):
                if label == "1":
                    log("micro-benchmarks skipped (no micro_bench binary)")
                return
            log(f"micro-benchmarks ({label})")
            micro_out = os.path.join(args.out, f"micro-{label}.json")
            cmd = [args.micro, "--benchmark_format=json", f"--benchmark_out={micro_out}",
                   "--benchmark_out_format=json"]
            if smoke:
                cmd += ["--benchmark_min_time=0.01", "--benchmark_filter=-BM_Bcrypt"]
            else:
                # Repetitions in random order: the machine's drift during the run spreads over
                # every benchmark instead of landing on whichever ran at a slow moment.
                cmd += ["--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true",
                        "--benchmark_min_time=0.15", "--benchmark_enable_random_interleaving=true"]
            env = dict(os.environ, ARGON2_MEMORY_KIB=str(argon2["memory_kib"]),
                       ARGON2_PASSES=str(argon2["passes"]), BENCH_USERS="500" if smoke else "5000")
            wait_quiet([], wait_q)
            busy0, kids0, me0, t0 = machine_ticks()[0], children_cpu(), cpu_seconds([os.getpid()]), time.monotonic()
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
            wall = time.monotonic() - t0
            other = max(0.0, (machine_ticks()[0] - busy0) - (children_cpu() - kids0) -
                        (cpu_seconds([os.getpid()]) - me0)) / wall
            if r.returncode != 0:
                raise HarnessError(f"micro_bench failed: {r.stderr[-1500:]}")
            results["micro_files"].append(micro_out)
            results.setdefault("micro_other_load", []).append(other)
            if other > 0.1:
                log(f"  other processes used {other:.2f} cores during the micro-benchmarks")

        micro("1")

        # ---- start-up, idle RSS, 5,000 connections
        starts = []
        for i in range(1 if smoke else 3):
            # The 5,000 connections come from one address: MAX_CONNECTIONS_PER_CLIENT (256 by
            # default) would answer all but 256 of them with 503 and measure nothing.
            extra = {"MAX_CONNECTIONS_PER_CLIENT": 6000} if i == 0 and not smoke else None
            t, elapsed = gh.start(f"gatehouse-startup{i}", extra=extra)
            started.append(t)
            starts.append(elapsed * 1000)
            time.sleep(0.5)
            idle = status_kb(t.root_pid, "VmRSS")
            if i == 0:
                results["idle_rss_kb"] = idle
                if not smoke:
                    t0 = time.monotonic()
                    try:
                        socks, answered = hold_connections(t.port, 5000)
                    except OSError as e:
                        results["conn5000"] = {"error": f"{e} (file limit "
                                               f"{resource.getrlimit(resource.RLIMIT_NOFILE)})"}
                        log(f"5,000 connections: {results['conn5000']['error']}")
                    else:
                        time.sleep(0.5)
                        results["conn5000"] = {
                            "opened": len(socks), "answered": answered,
                            "rss_kb": status_kb(t.root_pid, "VmRSS"),
                            "hwm_kb": status_kb(t.root_pid, "VmHWM"),
                            "idle_rss_kb": idle, "open_s": time.monotonic() - t0}
                        for sock in socks:
                            sock.close()
                        log(f"5,000 connections: {answered} answered, RSS "
                            f"{results['conn5000']['rss_kb'] / 1024:.1f} MB")
            t.stop()
        results["startup_ms"] = starts
        log(f"start-up to first answer: {', '.join(f'{s:.0f}' for s in starts)} ms; "
            f"idle RSS {results['idle_rss_kb'] / 1024:.1f} MB")

        # ---- 503 beyond the hashing queue (a small queue: 1 thread + 1 waiting)
        t, _ = gh.start("gatehouse-overload", extra={"HASH_THREADS": 1, "HASH_QUEUE_LIMIT": 1})
        started.append(t)
        register_users(t, 1, "ovl", parallel=1)
        results["overload"] = overload_burst(t.port, t.users[0], 16)
        results["overload"].update(hash_threads=1, hash_queue_limit=1)
        log(f"16 logins against HASH_THREADS=1, HASH_QUEUE_LIMIT=1: {results['overload']['status_counts']}")
        t.stop()

        # ---- pinned: server CPU per request
        if server_cpu is not None:
            log(f"pinned: server on CPU {server_cpu}, wrk on CPU {client_cpu}, {duration} s per scenario")
            for name, env, scenarios in (("gatehouse", {}, SCENARIOS),
                                         (NOCACHE, NOCACHE_ENV, NOCACHE_SCENARIOS)):
                t, _ = gh.start(name, cpu=server_cpu, extra={**PINNED_POOLS, **env})
                started.append(t)
                prepare_target(t, conns, args.users, "pin")
                for sc in scenarios:
                    res = run_wrk(t, sc, scenario_duration(sc), conns, wrk_cpu=client_cpu,
                                  threads=wrk_threads(sc, conns, True), work=work,
                                  max_wait_quiet=wait_q)
                    res.update(phase="pinned", rep=0)
                    results["runs"].append(res)
                t.stop()
            if not smoke:
                micro("2")
        else:
            results["errors"].append("only one CPU available: no pinned run")

        # ---- unpinned, interleaved with the peers
        targets = []
        t, _ = gh.start("gatehouse")
        started.append(t)
        targets.append(t)
        t, _ = gh.start(NOCACHE, extra=NOCACHE_ENV)
        started.append(t)
        targets.append(t)
        if args.peers:
            keys = gh.keys
            want = [args.only_peer] if args.only_peer else ["node", "seed"]
            if "node" in want:
                try:
                    log("starting the Node peer")
                    os.makedirs(cache, exist_ok=True)
                    p = start_node_peer(node_src, cache, work, keys, argon2)
                    started.append(p)
                    targets.append(p)
                    results["peers"]["node"] = {"status": "ok", "workers": 2,
                                                "argon2": argon2}
                except (HarnessError, OSError, subprocess.SubprocessError) as e:
                    results["peers"]["node"] = {"status": f"could not run: {e}"}
                    log(f"node peer: {e}")
            if "seed" in want:
                try:
                    log("starting the seed peer (tutorial app, MariaDB)")
                    p = start_seed_peer(seed_src, work)
                    started.append(p)
                    targets.append(p)
                    results["peers"]["seed"] = {"status": "ok", "workers": 1,
                                                "password_hash": "bcrypt-12 (passlib)"}
                except (HarnessError, OSError, subprocess.SubprocessError) as e:
                    results["peers"]["seed"] = {"status": f"could not run: {e}"}
                    log(f"seed peer: {e}")
        for tg in list(targets):
            try:
                prepare_target(tg, conns, args.users, "unp")
            except (HarnessError, OSError) as e:
                if tg.name in ("gatehouse", NOCACHE):
                    raise
                results["peers"][tg.name] = {"status": f"setup failed: {e}"}
                targets.remove(tg)
        log(f"unpinned: {', '.join(tg.name for tg in targets)}; {reps} rep(s), {duration} s each")
        for sc in SCENARIOS:
            for rep in range(reps):
                for tg in targets:
                    if tg.name == NOCACHE and sc not in NOCACHE_SCENARIOS:
                        continue
                    try:
                        res = run_wrk(tg, sc, scenario_duration(sc), conns,
                                      threads=wrk_threads(sc, conns, False), work=work,
                                      others=targets, max_wait_quiet=wait_q)
                    except HarnessError as e:
                        if tg.name in ("gatehouse", NOCACHE):
                            raise
                        results["errors"].append(f"{tg.name} {sc}: {e}")
                        continue
                    res.update(phase="unpinned", rep=rep)
                    results["runs"].append(res)

        # ---- hashing isolation: login saturated, health and /me probed at the same time:
        # first by paced clients (200 requests/s each on one keep-alive connection: what a user
        # sees while the hashing pool is saturated), then by wrk flat out (2 connections each:
        # a harsher test, the probes then compete for the CPUs too)
        gt = targets[0]
        iso_d = max(2, duration)
        log(f"hashing isolation: login saturated ({conns} connections, "
            f"HASH_THREADS={results['meta']['server_defaults']['HASH_THREADS']}); "
            f"health and /me paced at 200/s, then wrk flat out (2 connections each)")
        probes = {}
        gt.access = login_sessions(gt, 1)[0][0]  # a fresh access token (15 min lifetime)
        own = [p for tg in targets for p in tg.pids() + tg.aux_pids()]
        quiesce(own)
        wait_quiet(own, wait_q)

        def probe(name, scenario, delay, d, c):
            time.sleep(delay)
            try:
                probes[name] = run_wrk(gt, scenario, d, c, threads=1 if c < 8 else 2, work=work,
                                       concurrent=True)
            except HarnessError as e:
                probes[name] = {"error": str(e)}

        def paced(name, path, headers, delay, d):
            time.sleep(delay)
            probes[name] = paced_probe(gt.port, path, headers, 200, d)

        bearer = {"Authorization": f"Bearer {gt.access}"}
        th = [threading.Thread(target=probe, args=("login", "login", 0, 2 * iso_d + 3, conns)),
              threading.Thread(target=paced, args=("health_paced", "/api/healthchecker", {}, 1.5, iso_d)),
              threading.Thread(target=paced, args=("me_paced", "/api/users/me", bearer, 1.5, iso_d)),
              threading.Thread(target=probe, args=("health", "health", iso_d + 2, iso_d, 2)),
              threading.Thread(target=probe, args=("me", "me_bearer", iso_d + 2, iso_d, 2))]
        for x in th:
            x.start()
        for x in th:
            x.join()
        for name in ("health_paced", "me_paced"):
            r = probes[name]
            log(f"  paced {name.split('_')[0]:6s} {r['requests']} requests, p50 {r['p50_us'] / 1000:.2f} ms, "
                f"p99 {r['p99_us'] / 1000:.2f} ms, max {r['max_us'] / 1000:.2f} ms, errors {r['non2xx']}")
        results["isolation"] = probes

        for tg in targets:
            if getattr(tg, "seed", None):
                stop_seed_peer(tg)
            else:
                tg.stop()
    finally:
        for t in started:
            try:
                if getattr(t, "seed", None):
                    stop_seed_peer(t)
                else:
                    t.stop()
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                log(f"stopping {t.name}: {e}")
        results["meta"]["loadavg_end"] = loadavg()
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")

    # The run fails when a Gatehouse scenario has more than 1 % errors (non-2xx, connect, read,
    # write, timeout) or no successful request: speed is never judged, correctness is.
    def error_share(r):
        return 1.0 - r.get("ok_requests", 0) / r["requests"] if r.get("requests") else 1.0

    broken = [f"{r['target']}/{r['phase']}/{r['scenario']} ({error_share(r):.1%} errors)"
              for r in results["runs"]
              if r["target"] in ("gatehouse", NOCACHE) and
              (r["ok_requests"] == 0 or error_share(r) > ERROR_SHARE_LIMIT)]
    for name, r in results.get("isolation", {}).items():
        if "error" in r or r.get("ok_requests", 0) == 0:
            broken.append(f"isolation/{name}")
        elif r.get("paced") and r["requests"] and \
                r["non2xx"] / r["requests"] > ERROR_SHARE_LIMIT:  # /me and health beside logins
            broken.append(f"isolation/{name} ({r['non2xx'] / r['requests']:.1%} errors)")
    if broken:
        raise HarnessError("scenarios with errors: " + ", ".join(broken))


SMOKE_HASHING_DURATION_S = 5
ERROR_SHARE_LIMIT = 0.01  # more errors than this in a Gatehouse scenario fail the run


if __name__ == "__main__":
    try:
        main()
    except HarnessError as e:
        log(f"HARNESS FAILURE: {e}")
        sys.exit(1)
