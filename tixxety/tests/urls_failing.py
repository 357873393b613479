"""A URLconf with a view that fails, for the unexpected-error tests, and a CSRF-guarded plain view."""

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class FailingView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("database exploded: secret connection string")


class DatabaseGoneView(APIView):
    """Loses its database connection mid-request, as after a PostgreSQL restart."""

    permission_classes = [AllowAny]

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def plain_form(request):
    """A plain Django view: CsrfViewMiddleware guards it (DRF views do their own CSRF check)."""
    return HttpResponse("ok")


urlpatterns = [
    path("api/plain-form", plain_form),
    path("plain-form", plain_form),
    path("api/fail", FailingView.as_view()),
    path("api/database-gone", DatabaseGoneView.as_view()),
    path("", include("tixxety.urls")),
]
