"""Labelled Prometheus children, looked up once per process.

``metric.labels(...)`` sorts or counts the label names, converts every value
with ``str`` and takes the metric's lock each time; on a booking's path it
runs about twenty times (requests, statements, cache reads). Label values
here are a few fixed strings (methods, view names, status codes, database
aliases), so a plain dict of children stays as small as the time series.
"""

_children = {}


def child(metric, *values: str):
    """``metric.labels(*values)``, from a per-process dict after the first time."""
    key = (metric, values)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*values)
    return found
