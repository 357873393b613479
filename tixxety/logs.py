"""Request ids and one-line structured logs.

Every request gets an id (the caller's ``X-Request-ID`` when it looks sane,
a fresh one otherwise). It is echoed in the response header, attached to every
log record written while the request runs, and put in 500 error bodies so a
client's report can be matched to the server's log line.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _ACCEPTABLE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs a request's 4xx/5xx line after
        # the middleware chain returns, and that line should carry the id too.
        # Each request sets a fresh id before anything else is logged.
        request_id_var.set(request_id)
        request.request_id = request_id
        response = self.get_response(request)
        response[self.header] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Attach the current request id (or "-") to each record."""

    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
