"""The OpenAPI schema says what the API serves, errors included.

drf-spectacular documents an operation's success response only. ``AutoSchema``
adds, to every operation, the error statuses its view can answer, all with
the one error shape that ``tixxety.api.exceptions`` builds:
``{"detail", "code"}``, plus the field map under ``errors`` for validation
errors. Which statuses apply is read from the view (its authenticators,
permissions, throttles, parameters and request body), so a new view is
documented without a decorator; ``@extend_schema(responses=...)`` is for what
only the view knows (402 on pay, 404 for a missing location). An error status
the view documents without a body gets the error shape too. The one error
not in that shape is 414, which the web server answers before Django runs.

In a response every field a serializer declares is present (DRF writes each
readable one), so response components require them all; a serializer whose
representation leaves a field out names it in ``schema_optional_fields``.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework_simplejwt.views import TokenViewBase

from tixxety.api.permissions import IsAdminRoleOrReadOnly


class ErrorSerializer(serializers.Serializer):
    """Every API error: a readable message and a stable code to branch on."""

    detail = serializers.CharField()
    code = serializers.CharField()


class ValidationErrorSerializer(ErrorSerializer):
    """A 400: the first message and its code, and DRF's map of every field's errors when input was invalid."""

    errors = serializers.DictField(
        required=False, help_text="Field name → its messages (`non_field_errors` for the whole input)."
    )

    schema_optional_fields = ("errors",)


class ServiceUnavailableSerializer(ErrorSerializer):
    request_id = serializers.CharField(
        required=False, help_text="Quote it to the operators: it names the logged request."
    )

    schema_optional_fields = ("request_id",)  # the health check's 503 has none


def error_response(description: str, serializer=ErrorSerializer) -> OpenApiResponse:
    """An error response in the API's error shape, for ``@extend_schema(responses=...)``."""
    return OpenApiResponse(serializer, description=description)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema plus each operation's error statuses and optional read-only fields."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = self._error_responses()
        for code, response in errors.items():
            responses.setdefault(code, self._get_response_for_code(response, code, direction=direction))
        for code, response in responses.items():
            body = errors.get(code, error_response(response["description"]))
            if code >= "400" and "content" not in response and body.response is not None:
                # Documented by the view with a description only: the body is still the error shape.
                with_body = self._get_response_for_code(body, code, direction=direction)
                responses[code] = {**with_body, "description": response["description"]}
        return dict(sorted(responses.items()))

    def _error_responses(self) -> dict[str, OpenApiResponse]:
        errors = {}
        takes_body = self._get_request_body() is not None
        parameters = self._get_parameters()
        idempotent = any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)
        # Any operation: its own input, or a URL no request may carry (a NUL byte in it).
        errors["400"] = error_response("Invalid input.", ValidationErrorSerializer)
        if self._authenticates():
            errors["401"] = error_response("Not signed in, or the token is invalid or expired.")
        if self._may_forbid():
            errors["403"] = error_response("The account's role does not allow this (or a CSRF failure).")
        if any(p["in"] == "path" for p in parameters) or self._is_paginated_list():
            errors["404"] = error_response("No such object (or not yours), or no such page.")
        if self.method not in SAFE_METHODS and self.view.get_authenticators():
            errors["409"] = error_response("The object's current state does not allow this.")
        if idempotent:
            errors["409"] = error_response("The object's state does not allow this, or the key is in use.")
            errors["422"] = error_response("This Idempotency-Key was used with another request.")
        if any(p["in"] == "query" for p in parameters):
            # gunicorn (and any proxy before it) refuses a request line over 4 KiB itself, in HTML.
            errors["414"] = OpenApiResponse(description="The URL is too long: answered by the web server.")
        if takes_body:
            errors["413"] = error_response("The request body is too large.")
            errors["415"] = error_response("Unsupported content type.")
        if self.view.get_throttles():
            errors["429"] = error_response("Too many requests: try again after `Retry-After` seconds.")
        errors["503"] = error_response(
            "The database is unavailable: try again after `Retry-After` seconds.",
            ServiceUnavailableSerializer,
        )
        return errors

    def _authenticates(self) -> bool:
        """A bad token is a 401 wherever a token is read; the token views answer 401 for bad credentials."""
        return bool(self.view.get_authenticators()) or isinstance(self.view, TokenViewBase)

    def _may_forbid(self) -> bool:
        unsafe_with_session = self.method not in SAFE_METHODS and any(
            isinstance(each, SessionAuthentication) for each in self.view.get_authenticators()
        )
        return unsafe_with_session or not all(
            self._allows_every_signed_in_user(each) for each in self.view.get_permissions()
        )

    def _allows_every_signed_in_user(self, permission) -> bool:
        if isinstance(permission, IsAdminRoleOrReadOnly):
            return self.method in SAFE_METHODS
        # IsAuthenticated refuses the anonymous with a 401, not a 403: JWT names its header.
        return isinstance(permission, (AllowAny, IsAuthenticated))

    def _is_paginated_list(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None

    def get_auth(self):
        auths = super().get_auth()
        anonymous_reads = self.method in SAFE_METHODS and any(
            isinstance(each, IsAdminRoleOrReadOnly) for each in self.view.get_permissions()
        )
        if anonymous_reads and {} not in auths:
            auths.append({})
        return auths

    def _map_basic_serializer(self, serializer, direction):
        """In a response every field is present (DRF writes each readable one) but those named optional."""
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            optional = set(getattr(serializer, "schema_optional_fields", ()))
            required = sorted(name for name in schema.get("properties", {}) if name not in optional)
            schema.pop("required", None)
            if required:
                schema["required"] = required
        return schema
