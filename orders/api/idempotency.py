"""``@idempotent`` for API views that create money or inventory state: the HTTP side of the key.

The rule (claim, replay, mismatch, purge) lives in ``orders.services.idempotency``;
this module reads the header, replays the stored response and documents the header.
"""

import functools
import json

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from orders.services.idempotency import (
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    request_fingerprint,
)

HEADER = "Idempotency-Key"
# For ``extend_schema(parameters=[...])`` on every view method that is ``@idempotent``.
IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, description="Retry safely: the first response is replayed."
)


def idempotent(view_method=None, *, atomic: bool = False):
    """Honour an ``Idempotency-Key`` header on a DRF view method (DESIGN.md flow 8).

    Same key and body: the first response is replayed, with the same status
    and an ``Idempotent-Replayed: true`` header. Same key, other body: 422.
    Still running: 409. Keys are per user and kept 24 hours.

    ``atomic=True`` stores the response in the transaction that does the work
    (the service's own becomes a savepoint), so an order and the answer a
    retry replays commit together: a connection lost between them can no
    longer leave a committed order whose key is still "in flight" and is
    later released to book again. For single-transaction services (book,
    checkout). Pay stays non-atomic: its gateway call runs between two
    transactions and must not hold a lock; a repeated pay is refused by the
    order's state anyway.
    """
    if view_method is None:
        return functools.partial(idempotent, atomic=atomic)

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        # Surrounding whitespace is not part of a header's value (RFC 9110 5.5),
        # and gunicorn strips it already: the test client and others do not.
        key = key.strip()
        if not (0 < len(key) <= 255 and key.isascii() and key.isprintable()):
            raise ValidationError({HEADER: ["Use 1 to 255 printable ASCII characters."]})
        body = request.data.dict() if hasattr(request.data, "dict") else request.data
        fingerprint = request_fingerprint(method=request.method, path=request.path, body=body)
        record = idempotency_claim(user=request.user, key=key, fingerprint=fingerprint)
        if not record.in_flight:
            replay = Response(record.response_body, status=record.response_status)
            replay["Idempotent-Replayed"] = "true"
            return replay

        def respond_and_store():
            try:
                response = view_method(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                if atomic:
                    transaction.set_rollback(True)
                return response
            stored = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
            idempotency_complete(record=record, status=response.status_code, body=stored)
            return response

        if atomic:
            with transaction.atomic():
                response = respond_and_store()
        else:
            response = respond_and_store()
        if response.status_code >= 500:
            idempotency_release(record=record)
        return response

    return wrapper
