"""The supervisor behind ``make run``, driven as a terminal would drive it.

Ctrl-C at a terminal sends SIGINT to the whole foreground process group; the
tests start the supervisor in a session of its own and signal that group.
Each child is a small Python program that logs its start and every signal it
receives to a file, so the tests read what each child saw.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Logs "start", then each signal by name. Environment: STOP, the signals that stop it
# (default SIGINT SIGTERM; others are logged and ignored); FAIL_FIRST=n, exit 1 at once on
# the first n starts; DONE=1, exit 0 at once.
CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    path = sys.argv[1]
    with open(path, "a") as log:
        log.write("start\\n")
    starts = open(path).read().split().count("start")
    if starts <= int(os.environ.get("FAIL_FIRST", "0")):
        sys.exit(1)
    if os.environ.get("DONE"):
        sys.exit(0)
    stop_on = set(os.environ.get("STOP", "SIGINT SIGTERM").split())
    stopping = []

    def handler(signum, frame):
        with open(path, "a") as log:
            log.write(signal.Signals(signum).name + "\\n")
        if signal.Signals(signum).name in stop_on:
            stopping.append(signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stopping:
        time.sleep(0.05)
    time.sleep(0.5)  # a second delivery of a signal would be logged meanwhile
    """
)


def supervise(tmp_path, children: dict[str, str], *, overrides: str = "", env=None) -> subprocess.Popen:
    """Start the supervisor in its own session; ``children`` maps a name to the child's extra env."""
    arguments = []
    for name, child_env in children.items():
        command = f"env {child_env} {sys.executable} {tmp_path / 'child.py'} {tmp_path / name}.log"
        arguments.append(f"{name}={command}")
    (tmp_path / "child.py").write_text(CHILD)
    code = f"import sys, ops.supervise as s\n{overrides}\nsys.exit(s.Supervisor(s.parse(sys.argv[1:])).run())"
    return subprocess.Popen(
        [sys.executable, "-c", code, *arguments],
        cwd=ROOT,
        start_new_session=True,
        env={**os.environ, **(env or {})},
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def lines(tmp_path, name) -> list[str]:
    path = tmp_path / f"{name}.log"
    return path.read_text().split() if path.exists() else []


def session_processes(session_id: int) -> list[int]:
    """Live processes (not zombies) of the session, as ps would list them."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, _parent, _group, session = stat[stat.rindex(")") + 2 :].split()[:4]
        if int(session) == session_id and state != "Z":
            found.append(int(entry))
    return found


def started(tmp_path, *names, times=1):
    return wait_for(lambda: all(lines(tmp_path, name).count("start") >= times for name in names))


def test_ctrl_c_reaches_each_program_once_and_leaves_no_process(tmp_path):
    supervisor = supervise(tmp_path, {"worker": "", "scheduler": "", "web": ""})
    assert started(tmp_path, "worker", "scheduler", "web")

    os.killpg(supervisor.pid, signal.SIGINT)  # what the terminal does on Ctrl-C

    assert supervisor.wait(timeout=10) == 0
    for name in ("worker", "scheduler", "web"):
        assert lines(tmp_path, name) == ["start", "SIGINT"], name
    assert session_processes(supervisor.pid) == []
    assert "SIGINT received" in supervisor.stderr.read()


def test_sigterm_to_the_supervisor_alone_stops_every_program(tmp_path):
    supervisor = supervise(tmp_path, {"worker": "", "web": ""})
    assert started(tmp_path, "worker", "web")

    supervisor.send_signal(signal.SIGTERM)  # what make, docker or systemd send

    assert supervisor.wait(timeout=10) == 0
    assert lines(tmp_path, "worker") == lines(tmp_path, "web") == ["start", "SIGINT"]
    assert session_processes(supervisor.pid) == []


def test_a_program_that_ignores_ctrl_c_gets_sigterm_after_the_grace_period(tmp_path):
    supervisor = supervise(tmp_path, {"stubborn": "STOP=SIGTERM"}, overrides="s.GRACE_SECONDS = 0.5")
    assert started(tmp_path, "stubborn")

    os.killpg(supervisor.pid, signal.SIGINT)

    assert supervisor.wait(timeout=10) == 0
    assert lines(tmp_path, "stubborn") == ["start", "SIGINT", "SIGTERM"]


def test_each_further_ctrl_c_escalates_at_once_up_to_sigkill(tmp_path):
    supervisor = supervise(tmp_path, {"deaf": "STOP=none"})
    assert started(tmp_path, "deaf")
    began = time.monotonic()

    for signals_logged in (["start", "SIGINT"], ["start", "SIGINT", "SIGTERM"]):
        os.killpg(supervisor.pid, signal.SIGINT)
        assert wait_for(lambda expected=signals_logged: lines(tmp_path, "deaf") == expected)
    os.killpg(supervisor.pid, signal.SIGINT)

    assert supervisor.wait(timeout=5) == 0
    assert time.monotonic() - began < 5  # well inside the 10 s grace period
    assert "deaf stopped (status -9)" in supervisor.stderr.read()
    assert session_processes(supervisor.pid) == []


def test_a_program_that_fails_is_restarted_with_a_doubling_pause(tmp_path):
    supervisor = supervise(tmp_path, {"scheduler": "FAIL_FIRST=2", "web": ""})

    assert started(tmp_path, "scheduler", times=3)
    os.killpg(supervisor.pid, signal.SIGINT)

    assert supervisor.wait(timeout=10) == 0
    assert lines(tmp_path, "scheduler") == ["start", "start", "start", "SIGINT"]
    assert lines(tmp_path, "web") == ["start", "SIGINT"]
    log = supervisor.stderr.read()
    assert "scheduler exited with status 1 after" in log
    assert "restarting in 1 s" in log and "restarting in 2 s" in log


def test_a_program_that_keeps_failing_at_start_stops_the_others_with_status_1(tmp_path):
    supervisor = supervise(
        tmp_path, {"web": "FAIL_FIRST=1000", "worker": ""}, overrides="s.MAX_BACKOFF_SECONDS = 0"
    )

    assert supervisor.wait(timeout=20) == 1
    assert lines(tmp_path, "web").count("start") == 6  # the first try and 5 restarts
    assert lines(tmp_path, "worker") == ["start", "SIGINT"]
    assert "web failed 5 times within 5 s of starting: giving up" in supervisor.stderr.read()


def test_a_program_that_finishes_is_not_restarted_and_all_finished_exits_0(tmp_path):
    supervisor = supervise(tmp_path, {"once": "DONE=1", "twice": "DONE=1"})

    assert supervisor.wait(timeout=10) == 0
    assert lines(tmp_path, "once") == lines(tmp_path, "twice") == ["start"]
    assert "once finished (status 0)" in supervisor.stderr.read()


def test_arguments_must_name_each_command():
    completed = subprocess.run(
        [sys.executable, "-m", "ops.supervise", "just a command"], cwd=ROOT, capture_output=True, text=True
    )

    assert completed.returncode == 1
    assert "usage: python -m ops.supervise NAME=COMMAND" in completed.stderr


def test_a_command_that_does_not_exist_is_refused_before_anything_starts():
    programs = [f"web={sys.executable} -c pass", "worker=no-such-command-here"]
    completed = subprocess.run(
        [sys.executable, "-m", "ops.supervise", *programs],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 1
    assert "worker: command not found: no-such-command-here" in completed.stderr
    assert "started" not in completed.stderr
