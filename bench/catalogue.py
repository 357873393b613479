"""Catalogue reads: Tixxety against the FastAPI + SQLAlchemy peer, in one window.

It starts nothing: it drives a running Tixxety server and a running peer
(bench/peer/run.sh) with ``wrk`` (``apt-get install -y wrk``), both on the
same database with 1,000 events (``manage.py seed_demo --scale 1000``):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/tixxety_bench \\
        REDIS_URL=redis://127.0.0.1:6379/5 DEBUG=0 SECRET_KEY=... SECURE_SSL_REDIRECT=0 \\
        ALLOWED_HOSTS=127.0.0.1,localhost
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --scale 1000 --force-in-production
    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 8000 &
    PEER_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tixxety_bench bench/peer/run.sh 8001 &
    flock /tmp/tixxety-bench.lock .venv/bin/python bench/catalogue.py \\
        --tixxety http://127.0.0.1:8000 --peer http://127.0.0.1:8001

For each of three rounds it runs, one after the other, the list on Tixxety,
the list on the peer, the detail on Tixxety and the detail on the peer
(``--duration`` each, ``--connections`` open), then prints the medians of
the rounds: requests per second and p99 for both, the ratios, and whether
the targets of issue 13 are met (list ≥ 5x the peer and ≥ 1,600 req/s,
detail ≥ 3x and ≥ 1,400 req/s, p99 ≤ 50 ms) with the load average. Both
reads are anonymous: the event list's first page (``/api/events``) and one
event (``--event``, by default the first listed).
"""

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request

LIST = "/api/events"
TARGETS = {"list": (5.0, 1600.0), "detail": (3.0, 1400.0)}
P99_TARGET_MS = 50.0
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, connections: int, duration: int, threads: int) -> dict:
    """One wrk run: requests per second, p99 in ms, and the non-2xx/3xx and socket error counts."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rate,
        "p99_ms": float(value) * UNITS_MS[unit],
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def first_event(base: str) -> int:
    with urllib.request.urlopen(base + LIST, timeout=10) as response:  # noqa: S310 (an http URL we were given)
        return json.load(response)["results"][0]["id"]


def load_average() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tixxety", "--url", default="http://127.0.0.1:8000")
    parser.add_argument("--peer", default="http://127.0.0.1:8001")
    parser.add_argument("--event", type=int, help="the event for the detail read (default: the first listed)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")

    event = args.event or first_event(args.tixxety)
    paths = {"list": LIST, "detail": f"{LIST}/{event}"}
    servers = {"tixxety": args.tixxety, "peer": args.peer}
    runs = {(read, server): [] for read in paths for server in servers}
    print(f"load average before: {load_average()}")
    for round_number in range(1, args.rounds + 1):
        for read, path in paths.items():
            for server, base in servers.items():
                result = wrk(
                    base + path, connections=args.connections, duration=args.duration, threads=args.threads
                )
                runs[read, server].append(result)
                print(
                    f"round {round_number} {read:6} {server:7} {result['rps']:8.0f} req/s "
                    f"p99 {result['p99_ms']:6.1f} ms  non-2xx {result['non_2xx']} "
                    f"socket errors {result['socket_errors']}  load {load_average()}",
                    flush=True,
                )

    met = True
    rows = []
    print(f"\nmedians of {args.rounds}, {args.connections} connections, event {event}, load {load_average()}")
    print("| read | peer req/s | peer p99 | Tixxety req/s | Tixxety p99 | ratio | target | met |")
    print("|---|---|---|---|---|---|---|---|")
    for read in paths:
        peer, ours = (
            {key: statistics.median(r[key] for r in runs[read, server]) for key in ("rps", "p99_ms")}
            for server in ("peer", "tixxety")
        )
        ratio = ours["rps"] / peer["rps"]
        need_ratio, need_rps = TARGETS[read]
        ok = ratio >= need_ratio and ours["rps"] >= need_rps and ours["p99_ms"] <= P99_TARGET_MS
        ok = ok and not any(r["non_2xx"] or r["socket_errors"] for r in runs[read, "tixxety"])
        met &= ok
        print(
            f"| {read} | {peer['rps']:.0f} | {peer['p99_ms']:.1f} ms "
            f"| {ours['rps']:.0f} | {ours['p99_ms']:.1f} ms "
            f"| {ratio:.2f}x | >= {need_ratio:g}x, >= {need_rps:,.0f} req/s, p99 <= {P99_TARGET_MS:g} ms "
            f"| {'yes' if ok else 'NO'} |"
        )
        rows += [
            {
                "figure": f"catalogue {read}, {args.connections} connections: req/s",
                "value": f"{ours['rps']:,.0f}",
                "compared": f"FastAPI peer {peer['rps']:,.0f} req/s",
                "ratio": f"{ratio:.2f}x",
                "target": f"≥ {need_ratio:g}x and ≥ {need_rps:,.0f} req/s",
                "met": ratio >= need_ratio and ours["rps"] >= need_rps,
            },
            {
                "figure": f"catalogue {read}: p99",
                "value": f"{ours['p99_ms']:,.1f} ms",
                "target": f"≤ {P99_TARGET_MS:g} ms",
                "met": ours["p99_ms"] <= P99_TARGET_MS,
            },
        ]
    # bench/run.py's catalogue step puts these rows in its table.
    print("BENCH-ROWS " + json.dumps(rows))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
