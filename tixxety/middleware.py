"""Refuse, before any view runs, requests that would otherwise end in a 500."""

import logging

from django.conf import settings

from tixxety.views import error_response

logger = logging.getLogger("tixxety.request")


class RequestGuardMiddleware:
    """Answer 400 to a NUL in the URL and 413 to a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

    PostgreSQL cannot compare or store text containing NUL, so a ``%00`` in a
    search, a filter (the API's or an admin changelist's) or a path argument
    fails in the database. Checked once here for every view rather than in
    each of them. Other control characters are left alone: PostgreSQL stores
    them and they are legitimate (if odd) search input.

    Django raises ``RequestDataTooBig`` only when a view reads an oversized
    body, as an exception a DRF view turns into a 500 and a plain view into a
    400 logged with a traceback. The declared ``Content-Length`` is checked
    here instead, for every content type: no endpoint takes file uploads. A
    body without ``Content-Length`` is read as empty by Django's WSGI handler.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            logger.warning("Refused a NUL character in the URL of %s %r", request.method, request.path)
            return error_response(request, 400, "The URL may not contain NUL characters (%00).", "bad_url")
        limit, length = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, _declared_length(request)
        if limit is not None and length > limit:
            logger.warning("Refused a %s-byte body on %s %s", length, request.method, request.path)
            return error_response(
                request, 413, f"The request body is larger than {limit} bytes.", "request_too_large"
            )
        return self.get_response(request)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
