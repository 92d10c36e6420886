#!/usr/bin/env python3
"""Prints the benchmark table from bench/harness.py's results.json and the micro-benchmarks'
JSON (Google Benchmark --benchmark_format=json). Python 3 standard library only.

    python3 bench/report.py build-bench/bench-results/results.json [--micro micro.json]

One Markdown table (per scenario: req/s, p50/p99, errors, server CPU per request on one core, the
floor from the micro-benchmarks, efficiency = floor / CPU per request, ratio to each peer, peak
RSS), then the issue-5 targets, each met or not. The floor formulas are in bench/README.md.
"""

import argparse
import json
import os
import statistics
import sys

SCENARIOS = ["health", "me_bearer", "me_cookie", "refresh", "login", "register"]
LABELS = {"health": "health", "me_bearer": "/me (Bearer)", "me_cookie": "/me (cookie)",
          "refresh": "refresh", "login": "login", "register": "register"}

# Floor of each scenario: the HTTP cost of a trivial request (the pinned health run's server CPU
# per request) plus these micro-benchmarks (median CPU time).
FLOOR_PARTS = {
    # wrk presents one access token throughout, so /me verifies it from the verified-token cache.
    "me_bearer": ["BM_TokenVerifyAccessCached", "BM_SqliteFindUserWithSession"],
    "me_cookie": ["BM_TokenVerifyAccessCached", "BM_SqliteFindUserWithSession"],
    "refresh": ["BM_SqliteRotateRefreshToken", "BM_TokenIssueAccess", "BM_RefreshTokenCrypto"],
    "login": ["BM_SqliteFindUserByEmail", "BM_Argon2idVerify", "BM_RefreshTokenCrypto",
              "BM_SqliteCreateSession", "BM_TokenIssueAccess"],
    "register": ["BM_SqliteFindUserByEmail", "BM_Argon2idHash", "BM_SqliteCreateUser"],
}

# The second Gatehouse of the run, with its verified-token cache off (bench/harness.py NOCACHE):
# its /me pays a full RS256 verification per request, as the Node peer's does.
NOCACHE = "gatehouse-nocache"
NOCACHE_LABEL = "/me (Bearer), token cache off"
NOCACHE_FLOOR_PARTS = ["BM_TokenVerifyAccess", "BM_SqliteFindUserWithSession"]

# Issue 5's targets.
RATIO_TARGET = {"health": 1.5, "me_bearer": 2.0, "me_cookie": 2.0, "refresh": 1.3,
                "login": 1.0, "register": 1.0}
EFFICIENCY_TARGET = {"me_bearer": 0.75, "me_cookie": 0.75, "refresh": 0.75, "login": 0.90,
                     "register": 0.90}

UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def load_micro(path):
    """name -> median CPU time in microseconds."""
    if not path or not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    out, singles = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        value = b["cpu_time"] * UNIT_US[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                out[name] = value
        else:
            singles.setdefault(name, []).append(value)
    for name, values in singles.items():
        out.setdefault(name, statistics.median(values))
    return out


def errors_of(run):
    return run["non2xx"] + run["err_connect"] + run["err_timeout"] + run["err_read"] + \
        run["err_write"]


def fmt_num(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def fmt_us(v):
    if v is None:
        return "–"
    if v >= 1000:
        return f"{v / 1000:,.1f} ms"
    return f"{v:,.1f} µs"


def fmt_ms(us):
    return "–" if us is None else f"{us / 1000:.2f}"


class Summary:
    """The runs of one target and scenario in one phase."""

    def __init__(self, runs):
        self.runs = runs
        self.errors = sum(errors_of(r) for r in runs)
        self.flags = [f for r in runs for f in r.get("flags", [])]
        good = [r for r in runs if not r.get("flags")]
        self.ok = bool(runs) and not self.flags
        self.rps = statistics.mean(r["rps"] for r in good) if good else None
        self.p50 = statistics.median(r["p50_us"] for r in good) if good else None
        self.p99 = statistics.median(r["p99_us"] for r in good) if good else None
        cpu = [r["cpu_us_per_req"] for r in good if r.get("cpu_us_per_req")]
        self.cpu = statistics.median(cpu) if cpu else None
        self.peak_kb = max((r["peak_rss_kb"] for r in runs), default=None)
        self.spread = None
        if len(good) > 1 and self.rps:
            self.spread = (max(r["rps"] for r in good) - min(r["rps"] for r in good)) / self.rps


def pick(results, target, phase, scenario):
    return Summary([r for r in results["runs"] if r["target"] == target and
                    r["phase"] == phase and r["scenario"] == scenario])


def build(results, micro):
    rows, checks = [], []
    peers = [p for p in ("node", "seed") if any(r["target"] == p for r in results["runs"])]
    http_floor = pick(results, "gatehouse", "pinned", "health").cpu
    meta = results["meta"]

    header = ["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx/err", "CPU/req (1 core)",
              "floor", "efficiency"]
    for p in peers:
        header += [f"{p} req/s", f"× {p}"]
    header += ["peak RSS"]

    per = {}
    for sc in SCENARIOS:
        un = pick(results, "gatehouse", "unpinned", sc)
        pin = pick(results, "gatehouse", "pinned", sc)
        floor = None
        if http_floor is not None:
            if sc == "health":
                floor = http_floor
            elif all(part in micro for part in FLOOR_PARTS[sc]):
                floor = http_floor + sum(micro[part] for part in FLOOR_PARTS[sc])
        eff = None
        if sc != "health" and floor is not None and pin.cpu and pin.ok:
            eff = floor / pin.cpu
        errors = un.errors + pin.errors
        flagged = not (un.ok and (pin.ok or not pin.runs))
        row = [LABELS[sc]]
        if flagged:
            row += [f"FLAGGED ({errors} errors)", "–", "–", str(errors)]
        else:
            row += [fmt_num(un.rps), fmt_ms(un.p50), fmt_ms(un.p99), str(errors)]
        row += [fmt_us(pin.cpu) if pin.ok else "FLAGGED", fmt_us(floor),
                "(defines HTTP floor)" if sc == "health" else
                ("–" if eff is None else f"{eff * 100:.0f} %")]
        ratios = {}
        for p in peers:
            ps = pick(results, p, "unpinned", sc)
            if not ps.runs:
                row += ["not run", "–"]
                continue
            if not ps.ok or not ps.rps:
                row += [f"FLAGGED ({ps.errors} err)" if ps.errors else "FLAGGED", "–"]
                continue
            ratio = un.rps / ps.rps if (un.rps and not flagged) else None
            ratios[p] = ratio
            row += [fmt_num(ps.rps, 1 if ps.rps < 100 else 0),
                    "–" if ratio is None else f"{ratio:.2f}"]
        row += ["–" if un.peak_kb is None else f"{un.peak_kb / 1024:.1f} MB"]
        rows.append(row)
        per[sc] = {"un": un, "pin": pin, "floor": floor, "eff": eff, "ratios": ratios,
                   "flagged": flagged}

    nocache = None
    un = pick(results, NOCACHE, "unpinned", "me_bearer")
    if un.runs:
        pin = pick(results, NOCACHE, "pinned", "me_bearer")
        floor = None
        if http_floor is not None and all(part in micro for part in NOCACHE_FLOOR_PARTS):
            floor = http_floor + sum(micro[part] for part in NOCACHE_FLOOR_PARTS)
        eff = floor / pin.cpu if (floor is not None and pin.cpu and pin.ok) else None
        errors = un.errors + pin.errors
        flagged = not (un.ok and (pin.ok or not pin.runs))
        row = [NOCACHE_LABEL]
        row += ([f"FLAGGED ({errors} errors)", "–", "–", str(errors)] if flagged else
                [fmt_num(un.rps), fmt_ms(un.p50), fmt_ms(un.p99), str(errors)])
        row += [fmt_us(pin.cpu) if pin.ok else "FLAGGED", fmt_us(floor),
                "–" if eff is None else f"{eff * 100:.0f} %"]
        ratios = {}
        for p in peers:
            ps = pick(results, p, "unpinned", "me_bearer")
            ratio = un.rps / ps.rps if (ps.ok and ps.rps and un.rps and not flagged) else None
            ratios[p] = ratio
            row += ["(as above)" if ps.runs else "not run", "–" if ratio is None else f"{ratio:.2f}"]
        row += ["–" if un.peak_kb is None else f"{un.peak_kb / 1024:.1f} MB"]
        rows.insert(SCENARIOS.index("me_cookie") + 1, row)
        nocache = {"eff": eff, "ratios": ratios}

    iso = results.get("isolation", {})
    for key, label in (("login", "login saturated (isolation)"),
                       ("health_paced", "health, 200/s, login saturated"),
                       ("me_paced", "/me, 200/s, login saturated"),
                       ("health", "health, wrk 2 conns, login saturated"),
                       ("me", "/me, wrk 2 conns, login saturated")):
        r = iso.get(key)
        if not r or "error" in r:
            continue
        e = errors_of(r)
        row = [label, f"FLAGGED ({e} errors)" if r.get("flags") else fmt_num(r["rps"]),
               fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]), str(e), "–", "–", "–"]
        row += ["", ""] * len(peers)
        row += ["–" if not r.get("peak_rss_kb") else f"{r['peak_rss_kb'] / 1024:.1f} MB"]
        rows.append(row)

    # ---- targets
    def check(ok, text):
        checks.append(("met" if ok else ("NOT MET" if ok is False else "n/a"), text))

    for sc in SCENARIOS:
        ratio = per[sc]["ratios"].get("node")
        if "node" in peers:
            check(None if ratio is None else ratio >= RATIO_TARGET[sc],
                  f"{LABELS[sc]} ≥ {RATIO_TARGET[sc]}× the Node peer: "
                  f"{'–' if ratio is None else f'{ratio:.2f}×'}")
    if nocache is not None and "node" in peers:
        ratio = nocache["ratios"].get("node")
        check(None if ratio is None else ratio >= RATIO_TARGET["me_bearer"],
              f"{NOCACHE_LABEL} ≥ {RATIO_TARGET['me_bearer']}× the Node peer (which verifies "
              f"every token): {'–' if ratio is None else f'{ratio:.2f}×'}")
    for sc, target in EFFICIENCY_TARGET.items():
        eff = per[sc]["eff"]
        check(None if eff is None else eff >= target,
              f"{LABELS[sc]} efficiency ≥ {target * 100:.0f} %: "
              f"{'–' if eff is None else f'{eff * 100:.1f} %'}")
    if nocache is not None:
        eff = nocache["eff"]
        check(None if eff is None else eff >= EFFICIENCY_TARGET["me_bearer"],
              f"{NOCACHE_LABEL} efficiency ≥ {EFFICIENCY_TARGET['me_bearer'] * 100:.0f} %: "
              f"{'–' if eff is None else f'{eff * 100:.1f} %'}")
    for key, label in (("health_paced", "health"), ("me_paced", "/me")):
        r = iso.get(key)
        if r and "error" not in r and "login" in iso and "connections" in iso["login"]:
            flat = iso.get(key.replace("_paced", ""), {})
            flat_txt = (f"; under wrk flat out {flat['p99_us'] / 1000:.2f} ms"
                        if flat and "p99_us" in flat else "")
            check(r["p99_us"] < 10000 and not r.get("flags"),
                  f"{label} p99 < 10 ms with login saturated ({iso['login']['connections']} "
                  f"concurrent logins, {meta['server_defaults']['HASH_THREADS']} hashing threads), "
                  f"paced 200/s: {r['p99_us'] / 1000:.2f} ms{flat_txt}")
    ov = results.get("overload")
    if ov:
        check(ov["n503"] > 0 and ov["all_503_have_retry_after"],
              f"503 with Retry-After beyond the hashing queue ({ov['concurrency']} logins at once, "
              f"HASH_THREADS={ov['hash_threads']}, HASH_QUEUE_LIMIT={ov['hash_queue_limit']}): "
              f"{ov['status_counts']}, Retry-After {ov['retry_after_values'] or '–'}")
    if results.get("idle_rss_kb"):
        kb = results["idle_rss_kb"]
        check(kb < 30 * 1024, f"idle RSS < 30 MB: {kb / 1024:.1f} MB")
    c5 = results.get("conn5000")
    if c5 and "error" in c5:
        check(False, f"RSS with 5,000 keep-alive connections: could not open them: {c5['error']}")
    elif c5:
        check(c5["rss_kb"] < 150 * 1024 and c5["answered"] == 5000,
              f"RSS with 5,000 keep-alive connections < 150 MB: {c5['rss_kb'] / 1024:.1f} MB "
              f"({c5['answered']} of {c5['opened']} answered)")
    login_peak = per["login"]["un"].peak_kb
    idle = results.get("idle_rss_kb")
    if login_peak and idle:
        a = meta["argon2"]
        bound_kb = meta["server_defaults"]["HASH_THREADS"] * a["memory_kib"]
        delta = login_peak - idle
        check(delta <= bound_kb * 1.25 + 16 * 1024,
              f"argon2id memory bounded by the hashing pool: peak RSS under login − idle = "
              f"{delta / 1024:.1f} MB (pool: {meta['server_defaults']['HASH_THREADS']} × "
              f"{a['memory_kib'] / 1024:.1f} MiB)")
    if results.get("startup_ms"):
        s = statistics.median(results["startup_ms"])
        check(s < 200, f"start-up to the first answered request < 200 ms (fresh SQLite database, "
                       f"migrations included): {s:.0f} ms (median of {len(results['startup_ms'])})")
    return header, rows, checks, per


def render(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--micro", default=None)
    args = ap.parse_args()
    with open(args.results) as f:
        results = json.load(f)
    paths = [args.micro] if args.micro else (results.get("micro_files") or
                                              [results.get("micro_file")])
    runs = [m for m in (load_micro(p) for p in paths if p) if m]
    # The floor is the lower of the runs' medians; their spread shows how much the machine drifted.
    micro = {}
    for m in runs:
        for k, v in m.items():
            micro[k] = min(v, micro.get(k, v))
    drift = None
    if len(runs) > 1:
        common = set.intersection(*(set(m) for m in runs))
        spreads = {k: max(m[k] for m in runs) / min(m[k] for m in runs) - 1 for k in common
                   if min(m[k] for m in runs) > 0}
        if spreads:
            worst = max(spreads, key=spreads.get)
            drift = (worst, spreads[worst], statistics.median(spreads.values()))
    header, rows, checks, _ = build(results, micro)
    meta = results["meta"]
    m = meta["machine"]
    print()
    print(f"Gatehouse benchmark, {meta['date']}, {m['nproc']} CPUs ({m['cpu_model']}), "
          f"{meta['duration_s']} s per run, {meta['connections']} connections, "
          f"argon2id m={meta['argon2']['memory_kib']} KiB t={meta['argon2']['passes']}"
          f"{', SMOKE RUN (numbers meaningless)' if meta['smoke'] else ''}")
    print(f"req/s, p50, p99, ratios: unpinned (as deployed, default pools; mean of {meta['reps']} "
          f"interleaved run(s)); CPU/req: server (default pools) pinned to CPU "
          f"{meta['pinning']['server_cpu']}, wrk to CPU {meta['pinning']['wrk_cpu']}; "
          f"efficiency = floor / CPU/req")
    print()
    print(render(header, rows))
    print()
    if micro:
        print(f"micro-benchmarks (median CPU{', lower of 2 runs' if len(runs) > 1 else ''}): " +
              ", ".join(f"{k.removeprefix('BM_')} {fmt_us(v)}" for k, v in sorted(micro.items())))
        if results.get("micro_other_load"):
            print("other processes during the micro-benchmarks: " +
                  ", ".join(f"{x:.2f}" for x in results["micro_other_load"]) + " cores")
        if drift:
            print(f"micro-benchmark drift between the runs before and after the pinned run: median "
                  f"{drift[2] * 100:.0f} %, largest {drift[1] * 100:.0f} % ({drift[0]})")
    else:
        print("micro-benchmarks: none (no floor, no efficiency)")
    for name, p in results.get("peers", {}).items():
        if p.get("status") != "ok":
            print(f"peer {name}: {p['status'][:300]}")
    loads = [r["other_load"] for r in results["runs"] if r.get("other_load") is not None]
    if loads:
        busy = sum(1 for x in loads if x > 0.3)
        print(f"other processes during the runs: median {statistics.median(loads):.2f}, max "
              f"{max(loads):.2f} cores; {busy} of {len(loads)} runs above 0.3 cores"
              f"{' (shared machine: treat those runs with care)' if busy else ''}")
    for e in results.get("errors", []):
        print(f"error: {e[:300]}")
    print()
    print("targets (issue 5):")
    for status, text in checks:
        print(f"  [{status:7s}] {text}")
    print(f"load average at start / end: {' '.join(meta['loadavg_start'])} / "
          f"{' '.join(meta.get('loadavg_end', []))}")


if __name__ == "__main__":
    sys.exit(main())
