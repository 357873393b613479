"""One entry point for the benchmarks: every figure of issue 13's table, in one run, in one table.

It starts no server: it drives one that is already running (``--url``) and
reads and writes the same database through Django, so run it with the
server's environment, on a bench database and Redis database of their own
(README "Benchmarks" gives the whole sequence):

    .venv/bin/python deploy/serve.py --host 127.0.0.1 --port 8160 &
    flock /tmp/tixxety-bench.lock .venv/bin/python bench/run.py all --url http://127.0.0.1:8160
    .venv/bin/python bench/run.py flash32 --url http://127.0.0.1:8160     # one step
    .venv/bin/python bench/run.py --list

Each step creates its own data through the bench script it calls (as that
script's CLI would) and deletes it afterwards, so ``all`` works on a freshly
migrated database and can be run again. The steps print what their scripts
print, then ``run.py`` prints one table: figure, value, what it is compared
with as measured in the same run (the pgbench ceiling, the direct-booking
rate, ...), the ratio, the target and met / not met. Exit status 1 when a
target is not met or a step failed.

No worker may run while the queue is measured (it would allocate during
intake, and the allocation figure would be the remainder's), so start none:
the expiry step starts its own, as production runs it (``manage.py
rundramatiq --processes 2 --threads 4``), for its duration, unless
``--external-worker`` says one runs.
The expiry step empties the broker's queues first (see ``expiry_step``): use
a Redis database of the bench's own.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import checkin  # noqa: E402  (the bench directory is on the path only now)
import expiry_lag  # noqa: E402
import flash_sale  # noqa: E402
import queue_sale  # noqa: E402
import waitlist_lag  # noqa: E402

ROOT = BENCH.parent
CATALOGUE_SCRIPT = BENCH / "catalogue.py"
# A line the catalogue script may print to put its own rows in the table:
# the marker, then a JSON list of {"figure", "value", "compared", "ratio", "target", "met"}.
CATALOGUE_ROWS_MARKER = "BENCH-ROWS "
WORKER_READY = "Worker process is ready for action"
WORKER_START_SECONDS = 60
WORKER_PROCESSES = 2


@dataclass(frozen=True)
class Row:
    """One line of the table; ``met`` is None when the figure has no target."""

    figure: str
    value: str
    compared: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: bool | None = None


@dataclass(frozen=True)
class Sizes:
    """How much each step does; the defaults are the README's runs."""

    buyers: int = 6000
    capacity: int = 5000
    ceiling_seconds: int = 20
    queue_buyers: int = 6000
    queue_vip: int = 1000
    queue_regular: int = 4000
    queue_concurrency: int = 64
    expiry_orders: int = 500
    expiry_hold: int = 5
    waitlist_waiting: int = 1000
    waitlist_runs: int = 30
    checkin_tickets: int = 5000
    checkin_paced: int = 960
    checkin_closed: int = 1000

    def scaled(self, factor: float) -> "Sizes":
        """Every count times ``factor`` (at least 1; VIP and Regular stay under the buyers)."""
        counts = {
            name: max(1, round(getattr(self, name) * factor))
            for name in self.__dataclass_fields__
            if name not in ("ceiling_seconds", "queue_concurrency", "expiry_hold")
        }
        return Sizes(**{**self.__dict__, **counts})


@dataclass(frozen=True)
class Context:
    url: str
    sizes: Sizes
    external_worker: bool = False
    peer: str = "http://127.0.0.1:8001"


# --- steps ------------------------------------------------------------------


def flash_sale_step(ctx: Context, clients: int, min_share: float, max_p99_ms: float, ceiling: bool = True):
    """``flash_sale.py --setup``, a run at ``clients`` with ``--ceiling`` at the same count, ``--cleanup``."""
    run_id = time.strftime("%Y%m%d-%H%M%S") + f"-c{clients}"
    path = flash_sale.RESULTS_DIR / f"run-{run_id}.json"
    sizes = ctx.sizes
    flash_sale.setup(
        flash_sale.parse_args([
            "--setup", "--buyers", str(sizes.buyers), "--capacity", str(sizes.capacity),
            "--run", run_id, "--file", str(path),
        ])
    )  # fmt: skip
    # pgbench gets fewer clients when max_connections has not that many free: say so in the table.
    ceiling_clients = flash_sale.cap_clients(clients) if ceiling else clients
    try:
        argv = ["--url", ctx.url, "--concurrency", str(clients), "--file", str(path)]
        if ceiling:
            argv += ["--ceiling", "--ceiling-seconds", str(sizes.ceiling_seconds)]
        figures = flash_sale.measure(flash_sale.parse_args(argv))
    finally:
        flash_sale.cleanup(flash_sale.parse_args(["--cleanup", "--run", run_id, "--file", str(path)]))
    label = f"flash sale, {clients} clients"
    rate, tps = figures["rate"], figures["ceiling_tps"]
    share = rate / tps if tps else None
    clients_note = f" ({ceiling_clients} clients: max_connections)" if ceiling_clients != clients else ""
    return [
        Row(
            f"{label}: bookings/s",
            f"{rate:,.0f}",
            f"pgbench ceiling {tps:,.0f} tps{clients_note}" if tps else "no ceiling measured",
            f"{share:.0%}" if share is not None else "—",
            f"≥ {min_share:.0%} of the ceiling",
            share >= min_share if share is not None else False,
        ),
        latency_row(f"{label}: p99", figures["p99_ms"], max_p99_ms),
        check_row(f"{label}: exactly the capacity sold", figures["ok"], "INVARIANT"),
    ]


def queue_step(ctx: Context):
    """``queue_sale.py``: direct booking, then intake at the same concurrency, then allocation."""
    sizes = ctx.sizes
    figures = queue_sale.measure_run(
        queue_sale.parse_args([
            "--url", ctx.url, "--buyers", str(sizes.queue_buyers), "--vip", str(sizes.queue_vip),
            "--regular", str(sizes.queue_regular), "--concurrency", str(sizes.queue_concurrency),
        ])
    )  # fmt: skip
    label = f"queue, {sizes.queue_concurrency} clients"
    intake, direct = figures["intake_rate"], figures["direct_rate"]
    ratio = intake / direct if direct else None
    return [
        Row(
            f"{label}: intake 202s/s",
            f"{intake:,.0f}",
            f"direct booking {direct:,.0f}/s",
            f"{ratio:.2f}x" if ratio is not None else "—",
            "≥ 2x direct booking",
            ratio is not None and ratio >= 2,
        ),
        latency_row(f"{label}: intake p99", figures["intake_p99_ms"], 100),
        Row(
            f"queue allocation, {sizes.queue_vip + sizes.queue_regular:,} tickets: tickets/s",
            f"{figures['allocation_rate']:,.0f} ({figures['allocation_seconds']:.2f} s)",
            target="≥ 3,000/s, one process",
            met=figures["allocation_rate"] >= 3000,
        ),
        check_row("queue: capacity, VIP first, FIFO, invariants", figures["ok"], "CHECK"),
    ]


def expiry_step(ctx: Context):
    """``expiry_lag.py`` with a worker: its own for the step unless ``--external-worker``.

    First it empties the broker's queues. The other steps' bookings leave
    thousands of delayed expiry messages (for orders they have deleted, with
    holds of a day), and a worker prefetches only a thousand delayed messages
    per thread, first in first out: behind them, the step's 5-second holds
    would not be seen until the day is over.
    """
    import dramatiq
    from django.test import override_settings

    dramatiq.get_broker().flush_all()
    print("emptied the broker's queues (the earlier steps' expiry messages)")
    sizes = ctx.sizes
    args = expiry_lag.parse_args(["--orders", str(sizes.expiry_orders), "--hold", str(sizes.expiry_hold)])
    worker = None if ctx.external_worker else start_worker()
    try:
        with override_settings(RESERVATION_HOLD_SECONDS=args.hold):
            figures = expiry_lag.measure(args)
    finally:
        if worker:
            stop(worker)
    p99 = figures["p99_s"]
    return [
        Row(
            f"expiry lag, {sizes.expiry_orders} orders, {sizes.expiry_hold} s hold: p99",
            f"{p99:.2f} s" if p99 is not None else "none expired",
            target="≤ 2 s",
            met=p99 is not None and p99 <= 2,
        ),
        check_row("expiry: every order expired, tickets back on sale", figures["ok"], "CHECK"),
    ]


def waitlist_step(ctx: Context):
    """``waitlist_lag.py``: the freeing call that promotes the waiting entries, timed."""
    sizes = ctx.sizes
    figures = waitlist_lag.measure(
        waitlist_lag.parse_args([
            "--waiting", str(sizes.waitlist_waiting), "--freed", "10", "--runs", str(sizes.waitlist_runs),
        ])
    )  # fmt: skip
    return [
        latency_row(
            f"waitlist promotion lag, {sizes.waitlist_waiting:,} waiting: p99", figures["p99_ms"], 1000
        ),
        check_row("waitlist: served first come, first served", figures["ok"], "CHECK"),
    ]


def checkin_step(ctx: Context):
    """``checkin.py``: 32 doors at one scan a second each, then 32 scanners back to back."""
    sizes = ctx.sizes
    checkin.setup(checkin.parse_args(["--setup", "--tickets", str(sizes.checkin_tickets)]))
    path = checkin.run_file(checkin.parse_args([]))
    common = ["--url", ctx.url, "--concurrency", "32", "--file", str(path), "--reset"]
    try:
        paced = checkin.measure(
            checkin.parse_args([*common, "--rate", "1", "--limit", str(sizes.checkin_paced)])
        )
        closed = checkin.measure(checkin.parse_args([*common, "--limit", str(sizes.checkin_closed)]))
    finally:
        checkin.cleanup(checkin.parse_args(["--file", str(path)]))
    return [
        latency_row("check-in, 32 scanners at 1 scan/s each: p99", paced["p99_ms"], 50),
        Row("check-in, 32 scanners back to back: scans/s", f"{closed['rate']:,.0f}"),
        latency_row("check-in, 32 scanners back to back: p99", closed["p99_ms"], 50),
        check_row("check-in: one check-in per ticket", paced["ok"] and closed["ok"], "CHECK"),
    ]


def catalogue_step(ctx: Context):
    """``bench/catalogue.py --url URL --peer PEER`` as a subprocess (it needs ``seed_demo --scale 1000``
    data and a running peer, ``bench/peer/run.sh``).

    Its output is shown as it comes; a line ``BENCH-ROWS <json list>`` puts
    its rows (with the FastAPI peer's figures as ``compared``) in the table.
    """
    if not CATALOGUE_SCRIPT.exists():
        print(f"{CATALOGUE_SCRIPT.relative_to(ROOT)}: not available")
        return [Row("catalogue reads (bench/catalogue.py)", "not available")]
    import json

    command = [sys.executable, str(CATALOGUE_SCRIPT), "--url", ctx.url, "--peer", ctx.peer]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    rows = [
        Row(**item)
        for line in result.stdout.splitlines()
        if line.startswith(CATALOGUE_ROWS_MARKER)
        for item in json.loads(line.removeprefix(CATALOGUE_ROWS_MARKER))
    ]
    if not rows:  # it stopped before its table; a missed target is in the rows already
        rows.append(
            Row("catalogue reads (bench/catalogue.py)", f"exit status {result.returncode}", met=False)
        )
    return rows


# name: (what it runs, the step), in the order of ``all``.
STEPS: dict[str, tuple[str, Callable[[Context], list[Row]]]] = {
    "flash32": (
        "flash sale at 32 clients and its pgbench ceiling at 32",
        lambda ctx: flash_sale_step(ctx, 32, min_share=0.45, max_p99_ms=100),
    ),
    "flash128": (
        "flash sale at 128 clients and its pgbench ceiling at 128",
        lambda ctx: flash_sale_step(ctx, 128, min_share=0.55, max_p99_ms=400),
    ),
    "queue": ("queue intake against direct booking at 64 clients, then allocation", queue_step),
    "expiry": ("expiry lag, with a worker", expiry_step),
    "waitlist": ("waitlist promotion lag", waitlist_step),
    "checkin": ("check-in latency, 32 scanners paced and back to back", checkin_step),
    "catalogue": ("catalogue reads against the FastAPI peer (bench/catalogue.py if present)", catalogue_step),
}


def latency_row(figure: str, ms: float, limit_ms: float) -> Row:
    return Row(figure, f"{ms:,.1f} ms", target=f"≤ {limit_ms:,.0f} ms", met=ms <= limit_ms)


def check_row(figure: str, ok: bool, word: str) -> Row:
    return Row(figure, f"{word} OK" if ok else f"{word} FAILED", target=f"{word} OK", met=ok)


# --- the worker of the expiry step --------------------------------------------


def start_worker() -> subprocess.Popen:
    """The production worker (README's process table: ``manage.py rundramatiq --processes 2 --threads 4``)
    with this environment; returns once each of its processes says it is ready."""
    command = [
        sys.executable, "manage.py", "rundramatiq",
        "--processes", str(WORKER_PROCESSES), "--threads", "4",
    ]  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    ready = threading.Event()

    def watch() -> None:
        processes_ready = 0
        for line in worker.stderr:
            if WORKER_READY in line:
                processes_ready += 1
                if processes_ready == WORKER_PROCESSES:
                    ready.set()  # keep reading, so the pipe never fills

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(WORKER_START_SECONDS):
        stop(worker)
        raise RuntimeError(f"the worker did not get ready within {WORKER_START_SECONDS} s")
    print(f"started a worker (pid {worker.pid}) for this step")
    return worker


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the table ----------------------------------------------------------------


def render(rows: list[Row]) -> str:
    """A Markdown table, so that the README can carry it as printed."""
    header = ("figure", "value", "compared with (same run)", "ratio", "target", "met")
    lines = [header, ("---",) * len(header)]
    for row in rows:
        met = "—" if row.met is None else ("met" if row.met else "not met")
        lines.append((row.figure, row.value, row.compared, row.ratio, row.target, met))
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def run_steps(names: list[str], ctx: Context) -> list[Row]:
    """Each step in turn; a step that fails becomes a row saying so, and the others still run."""
    rows: list[Row] = []
    for name in names:
        print(f"\n=== {name} (load {flash_sale.load_average()}) ===", flush=True)
        try:
            rows += STEPS[name][1](ctx)
        except (Exception, SystemExit) as error:  # one step failing must not end the run
            traceback.print_exc()
            rows.append(Row(f"{name}: step failed", f"{type(error).__name__}: {error}"[:120], met=False))
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("steps", nargs="*", metavar="STEP", help=f"all, or some of: {', '.join(STEPS)}")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server (%(default)s)")
    parser.add_argument("--list", action="store_true", help="list the steps and exit")
    parser.add_argument(
        "--peer", default=Context.peer, help="the FastAPI peer for the catalogue step (%(default)s)"
    )
    parser.add_argument(
        "--external-worker", action="store_true", help="a worker runs already: the expiry step starts none"
    )
    parser.add_argument(
        "--ceiling-seconds", type=int, default=Sizes.ceiling_seconds, help="pgbench duration (%(default)s)"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="every count times this, for a quick try (default 1)"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.steps if name != "all" and name not in STEPS]
    if unknown or not (args.steps or args.list):
        parser.error(f"steps: all, or some of {', '.join(STEPS)} (not {', '.join(unknown) or 'none'})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, (description, _) in STEPS.items():
            print(f"{name:10} {description}")
        return 0
    names = list(STEPS) if "all" in args.steps else args.steps
    flash_sale.setup_django()
    sizes = Sizes(ceiling_seconds=args.ceiling_seconds).scaled(args.scale)
    ctx = Context(args.url, sizes, args.external_worker, args.peer)
    started = time.monotonic()
    rows = run_steps(names, ctx)
    print(f"\n{len(names)} step(s) in {time.monotonic() - started:.0f} s against {args.url}, ", end="")
    print(f"load {flash_sale.load_average()}, {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(render(rows))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
