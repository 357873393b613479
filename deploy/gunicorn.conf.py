"""gunicorn's settings for the production layout: ``gunicorn -c deploy/gunicorn.conf.py tixxety.wsgi``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (Dockerfile), /metrics sums every
worker's figures (``tixxety.multiprocess_metrics``): the master clears the
files its host's earlier processes left before it starts a worker, and
forgets each exited worker's live gauges.
"""

import os

from tixxety import multiprocess_metrics

bind = f"0.0.0.0:{os.environ.get('PORT') or '8000'}"
workers = int(os.environ.get("WEB_CONCURRENCY") or "2")
accesslog = "-"


def on_starting(server):
    multiprocess_metrics.clear_this_hosts_files()


def child_exit(server, worker):
    multiprocess_metrics.mark_dead(worker.pid)
