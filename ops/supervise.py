"""Run a few long-lived commands in the foreground, as ``make run`` does; one Ctrl-C stops them all.

    python -m ops.supervise NAME=COMMAND [NAME=COMMAND ...]

Each command runs in a process group of its own, so the terminal's Ctrl-C
reaches this supervisor alone, and it passes the signal on exactly once to
every group: each program then shuts down the way it does at a terminal
(Dramatiq finishes its messages, runserver stops its reloader). A program
still running after ``GRACE_SECONDS`` gets SIGTERM, then SIGKILL; pressing
Ctrl-C again moves to the next step at once. SIGTERM and SIGHUP stop
everything the same way. The supervisor then exits 0: the stop it was asked
for went through. (A shell ``trap 'kill 0' INT`` instead signals its own
process group, itself included, and re-enters the trap.)

A command that exits non-zero on its own (the scheduler when it loses its
Redis lock, a worker killed by the kernel) is restarted after a pause that
doubles from 1 s to 30 s while it keeps failing within ``START_SECONDS`` of
starting; after ``MAX_QUICK_FAILURES`` such failures in a row the supervisor
stops the others and exits 1 (a port already taken will not free itself).
A command that exits 0 on its own has finished and is not restarted.

Standard library only; Django is not loaded here.
"""

import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

GRACE_SECONDS = 10
START_SECONDS = 5
MAX_QUICK_FAILURES = 5
MAX_BACKOFF_SECONDS = 30
TICK_SECONDS = 0.1
# What each further stop request sends to the programs still running.
STOP_STEPS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)
PR_SET_PDEATHSIG = 1


def log(message: str) -> None:
    print(f"supervise: {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM if the supervisor itself is killed (Linux)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Program:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_failures: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  (commands given by the operator)
            self.argv, stdin=subprocess.DEVNULL, process_group=0, preexec_fn=_die_with_parent
        )
        self.started_at = time.monotonic()
        self.restart_at = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def signal_group(self, signum: int) -> None:
        """Signal the program and everything it started (its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


@dataclass
class Supervisor:
    programs: list[Program]
    stop_requests: list[int] = field(default_factory=list)
    stop_step: int = -1
    next_step_at: float = 0.0
    exit_status: int = 0

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            # The handler only records the request; the loop acts on it, so it never re-enters.
            signal.signal(signum, lambda signum, frame: self.stop_requests.append(signum))
        for program in self.programs:
            program.start()
        log("started " + ", ".join(f"{p.name} (pid {p.process.pid})" for p in self.programs))
        while True:
            now = time.monotonic()
            if self.stop_requests:
                requested = self.stop_requests
                self.stop_requests = []
                log(f"{signal.Signals(requested[0]).name} received")
                self.escalate(now)
            elif self.stop_step >= 0 and now >= self.next_step_at and self.stop_step + 1 < len(STOP_STEPS):
                self.escalate(now)
            for program in self.programs:
                self.reap(program, now)
            if not any(p.running or p.restart_at is not None for p in self.programs):
                return self.exit_status
            time.sleep(TICK_SECONDS)

    def escalate(self, now: float) -> None:
        """Send the next stop signal to every program still running, and cancel pending restarts."""
        self.stop_step = min(self.stop_step + 1, len(STOP_STEPS) - 1)
        self.next_step_at = now + GRACE_SECONDS
        signum = STOP_STEPS[self.stop_step]
        for program in self.programs:
            program.restart_at = None
            if program.running:
                log(f"sending {signum.name} to {program.name}")
                program.signal_group(signum)

    def reap(self, program: Program, now: float) -> None:
        if program.restart_at is not None and now >= program.restart_at:
            program.start()
            log(f"restarted {program.name} (pid {program.process.pid})")
            return
        if not program.running or program.process.poll() is None:
            return
        status = program.process.returncode
        uptime = now - program.started_at
        if self.stop_step >= 0:
            log(f"{program.name} stopped (status {status})")
            return
        if status == 0:
            log(f"{program.name} finished (status 0) after {uptime:.1f} s")
            return
        program.quick_failures = program.quick_failures + 1 if uptime < START_SECONDS else 1
        if program.quick_failures > MAX_QUICK_FAILURES:
            quick = f"{MAX_QUICK_FAILURES} times within {START_SECONDS} s of starting"
            log(f"{program.name} failed {quick}: giving up")
            self.exit_status = 1
            self.escalate(now)
            return
        delay = min(2 ** (program.quick_failures - 1), MAX_BACKOFF_SECONDS)
        log(f"{program.name} exited with status {status} after {uptime:.1f} s; restarting in {delay} s")
        program.restart_at = now + delay


def parse(arguments: list[str]) -> list[Program]:
    programs = []
    for argument in arguments:
        name, separator, command = argument.partition("=")
        if not separator or not name or not command.strip():
            raise SystemExit(f"usage: python -m ops.supervise NAME=COMMAND ...; not {argument!r}")
        argv = shlex.split(command)
        if shutil.which(argv[0]) is None:
            raise SystemExit(f"supervise: {name}: command not found: {argv[0]}")
        programs.append(Program(name=name, argv=argv))
    if not programs:
        raise SystemExit("usage: python -m ops.supervise NAME=COMMAND ...")
    return programs


if __name__ == "__main__":
    sys.exit(Supervisor(parse(sys.argv[1:])).run())
