"""``bench/run.py`` keeps working: its table, a failing step, and one tiny flash sale against a live server.

The full ``bench/run.py all`` takes minutes and wants a quiet machine, so it
is not a test; this one runs the same code path on a few buyers, so that a
change to a bench script's figures or setup cannot silently break the entry
point.
"""

import importlib.util
from pathlib import Path

import pytest

from events.models import Event

RUN_PY = Path(__file__).resolve().parents[2] / "bench" / "run.py"


@pytest.fixture(scope="module")
def bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_table_has_one_line_per_figure_with_met_not_met_or_no_target(bench_run):
    rows = [
        bench_run.Row(
            "a: bookings/s", "500", "pgbench ceiling 1,000 tps", "50%", "≥ 45% of the target", True
        ),
        bench_run.latency_row("a: p99", 120.04, 100),
        bench_run.Row("b: scans/s", "90"),
    ]

    assert bench_run.render(rows).splitlines() == [
        "| figure | value | compared with (same run) | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
        "| a: bookings/s | 500 | pgbench ceiling 1,000 tps | 50% | ≥ 45% of the target | met |",
        "| a: p99 | 120.0 ms | — | — | ≤ 100 ms | not met |",
        "| b: scans/s | 90 | — | — | — | — |",
    ]


def test_a_failing_step_becomes_a_row_and_the_next_step_still_runs(bench_run, monkeypatch):
    def failing(ctx):
        raise RuntimeError("no server")

    monkeypatch.setitem(bench_run.STEPS, "failing", ("fails", failing))
    monkeypatch.setitem(bench_run.STEPS, "fine", ("works", lambda ctx: [bench_run.Row("fine", "1")]))

    ctx = bench_run.Context("http://127.0.0.1:1", bench_run.Sizes())

    rows = bench_run.run_steps(["failing", "fine"], ctx)

    assert rows == [
        bench_run.Row("failing: step failed", "RuntimeError: no server", met=False),
        bench_run.Row("fine", "1"),
    ]


@pytest.mark.postgres  # the bench drives concurrent buyers: SQLite's live server locks its tables
def test_the_flash_sale_step_sells_out_a_tiny_sale_on_a_live_server_and_cleans_up(
    bench_run, live_server, monkeypatch, tmp_path
):
    monkeypatch.setattr(bench_run.flash_sale, "RESULTS_DIR", tmp_path)
    ctx = bench_run.Context(live_server.url, bench_run.Sizes(buyers=12, capacity=8))

    bookings, p99, sold = bench_run.flash_sale_step(ctx, 4, min_share=0.45, max_p99_ms=100, ceiling=False)

    assert bookings.figure == "flash sale, 4 clients: bookings/s"
    assert float(bookings.value.replace(",", "")) > 0
    assert (bookings.compared, bookings.met) == ("no ceiling measured", False)
    assert p99.value.endswith(" ms")
    assert (sold.value, sold.met) == ("INVARIANT OK", True)
    assert not list(tmp_path.iterdir())  # the run file is gone
    assert not Event.objects.filter(title__startswith=bench_run.flash_sale.TITLE_PREFIX).exists()
