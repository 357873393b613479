"""Prometheus' multiprocess mode: every process's metrics in one scrape.

With ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client keeps each
process's values in memory-mapped files in that directory, and
django-prometheus's export (behind ``tixxety.metrics``) merges them: the
counters of every gunicorn worker, Dramatiq worker and scheduler process are
summed, so one scrape is right whichever worker answers it.

The files are named by a process id. Web, worker and scheduler may run in
separate containers that share the directory (docker-compose.yml), where
process ids repeat (each container counts from 1), so the id is qualified
by the host name: ``<host>-<pid>``. It must be chosen before the first metric
is created, which is why ``tixxety/__init__.py`` calls ``use_host_qualified_ids``.
"""

import glob
import os
import socket

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def directory() -> str:
    return os.environ.get(DIRECTORY_VARIABLE, "")


def process_id(pid: int | None = None) -> str:
    """This host's name and ``pid`` (this process by default), without ``_``: the file names split on it."""
    host = socket.gethostname().replace("_", "-")
    return f"{host}-{os.getpid() if pid is None else pid}"


def use_host_qualified_ids() -> None:
    """In multiprocess mode, name this process's files ``<host>-<pid>`` instead of ``<pid>``."""
    if not directory():
        return
    from prometheus_client import values

    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)


def clear_this_hosts_files() -> None:
    """Remove the files this host's processes left: run by gunicorn before it starts any worker.

    Other hosts' files (another container's Dramatiq worker) stay: their
    processes may still be running and writing them.
    """
    path = directory()
    if not path:
        return
    os.makedirs(path, exist_ok=True)
    host = process_id(0)[: -len("-0")]
    for name in glob.glob(os.path.join(path, f"*_{glob.escape(host)}-*.db")):
        os.remove(name)


def mark_dead(pid: int) -> None:
    """Forget the live gauges of a gunicorn worker that exited (``child_exit``)."""
    if not directory():
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(process_id(pid))
