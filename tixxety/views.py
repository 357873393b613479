"""Project-level views: health, API docs and error pages (JSON under /api/, pages elsewhere)."""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import csrf
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tixxety.health import failing, run_checks, verdict


class HealthView(APIView):
    """200 when every check passes; 503 naming those that fail, with status "error" or "degraded"."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={
            (200, "application/json"): inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "checks": serializers.DictField(child=serializers.CharField()),
                },
            )
        },
        summary="Health of the database, cache, broker, static files and expiry sweep",
    )
    def get(self, request):
        checks = run_checks()
        down = failing(checks)
        status = verdict(down)
        if status == "ok":
            return Response({"status": "ok", "checks": checks})
        label, code = ("Degraded", "degraded") if status == "degraded" else ("Unavailable", "unhealthy")
        body = {"status": status, "detail": f"{label}: {', '.join(down)}", "code": code, "checks": checks}
        return Response(body, status=503)


class OfflineRedocView(SpectacularRedocView):
    """ReDoc from our own static files, with no request leaving the site.

    The template drops the Google Fonts link; the policy stops the bundle's
    attempt to load a logo from a CDN (it hides the image when that fails).
    """

    template_name = "drf_spectacular/redoc_offline.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; font-src 'self' data:"
        )
        return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request, status: int, detail: str, code: str, template: str = "400.html"):
    """The error as ``{"detail", "code"}`` for the API and JSON clients, as a page otherwise."""
    if _wants_json(request):
        return JsonResponse({"detail": detail, "code": code}, status=status)
    return render(request, template, {"detail": detail}, status=status)


def bad_request(request, exception=None):
    return error_response(request, 400, "Bad request.", "bad_request", "400.html")


def permission_denied(request, exception=None):
    return error_response(
        request, 403, "You do not have permission to perform this action.", "permission_denied", "403.html"
    )


def page_not_found(request, exception=None):
    return error_response(request, 404, "Not found.", "not_found", "404.html")


# The catch-all of unknown /api/ routes answers 404 to every method. Without
# the exemption, Django's CSRF check answered an unsafe method (POST /api/x)
# first, with its HTML 403 page. The view reads and changes nothing.
api_not_found = csrf_exempt(page_not_found)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": "Internal server error.", "code": "server_error"}, status=500)
    # No request context: the page must render when the database (sessions, the cart count) is what failed.
    return HttpResponseServerError(loader.render_to_string("500.html"))


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: JSON under /api/ (as DRF words it), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"CSRF Failed: {reason}", "code": "permission_denied"}, status=403)
    return csrf.csrf_failure(request, reason=reason)
