"""The one place that turns exceptions into API error bodies.

Every error is ``{"detail": str, "code": str}``; validation errors add
DRF's field map under ``errors``; unexpected exceptions are logged with the
request id and answered with a 500 that carries that id and nothing else;
a database that is unreachable or gave up on a transaction gives a 503 with
``Retry-After``; a request Django refuses as suspicious (too many form
fields or files) gives a 400, logged as a warning without a traceback; an
object deleted while the request waited for it is a 404.
"""

import logging

from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from tixxety.exceptions import Conflict, DomainError, IdempotencyMismatch, NotFound, PaymentDeclined
from tixxety.logs import current_request_id

logger = logging.getLogger("tixxety.api")

DOMAIN_ERROR_STATUS = (
    (NotFound, status.HTTP_404_NOT_FOUND),
    (PaymentDeclined, status.HTTP_402_PAYMENT_REQUIRED),
    (IdempotencyMismatch, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (Conflict, status.HTTP_409_CONFLICT),
    (DomainError, status.HTTP_400_BAD_REQUEST),
)


def error_body(detail: str, code: str, **extra) -> dict:
    return {"detail": str(detail), "code": str(code), **extra}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        status_code = next(code for kind, code in DOMAIN_ERROR_STATUS if isinstance(exc, kind))
        return Response(error_body(exc.detail, exc.code), status=status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, SuspiciousOperation):
        # Raised while DRF parses a form body: DATA_UPLOAD_MAX_NUMBER_FIELDS and
        # its kin (an oversized body is refused earlier, by RequestGuardMiddleware).
        # Django's message names the limit and nothing of the request.
        logger.warning("Refused a request: %s", exc)
        return Response(error_body(str(exc), "bad_request"), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        # The object the request named was deleted under it (a service re-reads it under a lock).
        exc = exceptions.NotFound()
    if isinstance(exc, OperationalError):
        # A lost connection (the database restarted), a deadlock or a
        # serialization failure: the transaction rolled back; retrying is right.
        logger.warning("Database unavailable in %s", context.get("view").__class__.__name__, exc_info=exc)
        body = error_body(
            "The database is unavailable. Try again shortly.",
            "database_unavailable",
            request_id=current_request_id(),
        )
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("Unhandled exception in %s", context.get("view").__class__.__name__, exc_info=exc)
        return Response(
            error_body("Internal server error.", "server_error", request_id=current_request_id()),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    response.data = _normalise(response.data, exc)
    return response


def _normalise(data, exc) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        detail, code = _first_error(exc.detail)
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_body(detail, code, errors=errors)
    if isinstance(data, dict) and "detail" in data:
        # simplejwt puts {"detail", "code", "messages"} in its exceptions already.
        detail = data["detail"]
        code = data.get("code") or getattr(detail, "code", None) or "error"
        return error_body(detail, code, **{k: v for k, v in data.items() if k not in ("detail", "code")})
    detail, code = _first_error(data)
    return error_body(detail, code)


def _first_error(detail) -> tuple[str, str]:
    """Return the first message and its code from a (nested) DRF error detail."""
    while isinstance(detail, (dict, list)) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    if isinstance(detail, exceptions.ErrorDetail):
        return str(detail), detail.code
    return (str(detail) if detail else "Invalid input."), "invalid"
