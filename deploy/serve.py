"""The production web server: granian (WSGI) with Tixxety's settings, ``python deploy/serve.py``.

``$WEB_CONCURRENCY`` worker processes (2), each running Django in one
thread, on ``0.0.0.0:$PORT`` (8000); ``--host`` and ``--port`` override
the address (tests, benchmarks). nginx stays in front (deploy/nginx.conf):
it buffers slow clients and logs every request, so granian logs none.

Why these settings (measured, README "Production layout"): granian keeps
each client connection alive where gunicorn's sync workers closed every
one, which took a cached catalogue read from 3.6 to 1.4 ms of server CPU.
One blocking thread a worker, because a second one made every figure worse
(two threads of one worker share one GIL and wait on each other's
database calls). A worker that dies is replaced, as gunicorn's master did.

With ``PROMETHEUS_MULTIPROC_DIR`` set, the master clears the files its
host's earlier processes left before it starts a worker, and forgets the
live gauges of a worker it replaces (``tixxety.multiprocess_metrics``),
which deploy/gunicorn.conf.py's hooks did before.
"""

import argparse
import os
import sys
from pathlib import Path

from granian.constants import HTTPModes, Interfaces
from granian.server import Server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tixxety import multiprocess_metrics  # noqa: E402  (the project root is on the path only now)

# SIGTERM: a worker gets this long to finish the requests it holds, then is killed (gunicorn's 30 s).
KILL_TIMEOUT_SECONDS = 30


class TixxetyServer(Server):
    """granian's server, with the multiprocess-metrics bookkeeping of a replaced worker."""

    def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0):
        # granian 2.8.7 has no child-exit hook: a dead worker is replaced here, by index.
        dead = [self.wrks[idx].inner.pid for idx in workers]
        super()._respawn_workers(workers, spawn_target, target_loader, delay)
        for pid in dead:
            multiprocess_metrics.mark_dead(pid)


def build(host: str, port: int, workers: int) -> TixxetyServer:
    server = TixxetyServer(
        "tixxety.wsgi:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=1,
        http=HTTPModes.http1,
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=KILL_TIMEOUT_SECONDS,
        working_dir=ROOT,
    )
    server.on_startup(multiprocess_metrics.clear_this_hosts_files)
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="0.0.0.0", help="address to bind (%(default)s)")  # noqa: S104
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or "8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or "2"))
    args = parser.parse_args(argv)
    build(args.host, args.port, args.workers).serve()


if __name__ == "__main__":
    main()
