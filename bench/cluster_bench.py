#!/usr/bin/python3
"""CPU per request of the cluster (scripts/cluster.sh: three Galera nodes, two Gatehouse nodes,
HAProxy) against one Gatehouse node on SQLite and on one MariaDB, for /me and refresh.

The CPU counted is every process of the setup: Gatehouse, the database servers and HAProxy (not
wrk). On a 2-core machine the cluster's six processes share the same two cores as the single
node: this shows what replication costs per request, not how a cluster scales.

    bench/cluster_bench.py --binary build/gatehouse [--duration 10] [--connections 16]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import harness  # noqa: E402  (the benchmark's own helpers: wrk runs, CPU from /proc)

ARGON2 = {"memory_kib": 8192, "passes": 1}


class Setup(harness.Target):
    """A target whose CPU is that of a fixed list of processes (by pid)."""

    def __init__(self, name, port, pids):
        super().__init__(name, port, rotates=True, refresh_method="POST")
        self.fixed_pids = pids

    def pids(self):
        out = []
        for p in self.fixed_pids:
            out += harness.proc_tree(p)
        return out


def read_pid(path):
    with open(path) as f:
        return int(f.read().strip())


def measure(target, duration, connections, work, results):
    harness.prepare_target(target, connections, connections, target.name)
    for scenario in ("me_bearer", "refresh"):
        r = harness.run_wrk(target, scenario, duration, connections,
                            threads=harness.wrk_threads(scenario, connections, False), work=work)
        results.append((target.name, scenario, r))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="gatehouse-cluster-bench-")
    os.chmod(work, 0o755)  # the Galera nodes run as mysql when root
    results = []
    gatehouse = harness.Gatehouse(binary, work, ARGON2, 1024)
    mariadb_dir = os.path.join(work, "mariadb")
    cluster_dir = os.path.join(work, "cluster")
    env = dict(os.environ, GATEHOUSE_BIN=binary, GATEHOUSE_NODES="2")
    try:
        # One node on SQLite.
        single, _ = gatehouse.start("sqlite")
        measure(single, args.duration, args.connections, work, results)
        single.stop()

        # One node on one MariaDB (scripts/mariadb.sh), migrated as an operator would.
        url = subprocess.run([os.path.join(ROOT, "scripts", "mariadb.sh"), "start", mariadb_dir],
                             text=True, stdout=subprocess.PIPE, check=True).stdout.strip()
        subprocess.run([binary, "migrate", "up"], env=dict(os.environ, DATABASE_URL=url),
                       cwd=work, check=True, stdout=subprocess.DEVNULL)
        node, _ = gatehouse.start("mariadb", extra={"DATABASE_URL": url})
        target = Setup("mariadb", node.port, [node.root_pid, read_pid(f"{mariadb_dir}/pid")])
        measure(target, args.duration, args.connections, work, results)
        node.stop()
        subprocess.run([os.path.join(ROOT, "scripts", "mariadb.sh"), "stop", mariadb_dir])

        # The cluster, through HAProxy; rate limits off as in the harness's own runs.
        os.makedirs(cluster_dir)
        with open(os.path.join(cluster_dir, ".env"), "w") as f:
            f.write(gatehouse.keys_env + "TRUSTED_PROXIES=127.0.0.1\nRATE_LIMITS=off\n"
                    f"ARGON2_MEMORY_KIB={ARGON2['memory_kib']}\nARGON2_PASSES={ARGON2['passes']}\n")
        cluster = os.path.join(ROOT, "scripts", "cluster.sh")
        base = subprocess.run([cluster, "up", cluster_dir], env=env, text=True,
                              stdout=subprocess.PIPE, check=True).stdout.strip().splitlines()[-1]
        parts = [f"galera{n}" for n in (1, 2, 3)] + ["gatehouse1", "gatehouse2", "haproxy"]
        pids = [read_pid(os.path.join(cluster_dir, p, "pid")) for p in parts]
        target = Setup("cluster", int(base.rsplit(":", 1)[1]), pids)
        measure(target, args.duration, args.connections, work, results)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), "down", cluster_dir],
                       env=env)
        subprocess.run([os.path.join(ROOT, "scripts", "mariadb.sh"), "stop", mariadb_dir])
        shutil.rmtree(work, ignore_errors=True)

    print("\n| setup | route | req/s | p99 ms | CPU µs/request (every process) | errors |")
    print("|---|---|---|---|---|---|")
    for name, scenario, r in results:
        errors = r["requests"] - r["ok_requests"]
        print(f"| {name} | {scenario} | {r['rps']:.0f} | {r['p99_us'] / 1000:.2f} | "
              f"{r['cpu_us_per_req']:.0f} | {errors} |")


if __name__ == "__main__":
    try:
        main()
    except harness.HarnessError as e:
        print(f"HARNESS FAILURE: {e}", file=sys.stderr)
        sys.exit(1)
