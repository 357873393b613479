"""``make run`` with a Redis broker, stopped by Ctrl-C as at a terminal.

Its three processes once ran under a shell ``trap 'kill 0' INT TERM EXIT``
that signalled itself again and again until make reported a segmentation
fault, and left processes behind. The database here is a fresh SQLite file,
so the run migrates and seeds from scratch; Redis is the suite's own.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from ops.tests.test_supervise import ROOT, session_processes, wait_for

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the Redis mode needs REDIS_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serves(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_make_run_with_redis_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    # Not the suite's own settings: the pytest plugin points DRAMATIQ_BROKER_URL at stub://.
    suites_own = ("DJANGO", "DRAMATIQ")
    environment = {name: value for name, value in os.environ.items() if not name.startswith(suites_own)}
    environment.update(DEBUG="1", PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}")
    output_file = (tmp_path / "make-run.log").open("w")
    make = subprocess.Popen(
        [shutil.which("make"), "--no-print-directory", "run"],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=output_file,  # a file, not a pipe: a process left behind would hold a pipe open
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: serves(port), timeout=120), "make run never served /healthz"
        assert wait_for(lambda: len(session_processes(make.pid)) >= 5)  # make, supervisor, 3 programs

        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
        status = make.wait(timeout=30)
        time.sleep(0.5)

        output = (tmp_path / "make-run.log").read_text()
        assert status == -signal.SIGINT, output  # make re-raises the SIGINT after a clean stop
        assert "Segmentation fault" not in output and "Error" not in output, output
        assert output.count("SIGINT received") == 1, output
        for program in ("worker", "scheduler", "web"):
            assert f"{program} stopped (status 0)" in output, output
        assert session_processes(make.pid) == []
    finally:
        for pid in session_processes(make.pid):
            os.kill(pid, signal.SIGKILL)
        output_file.close()
