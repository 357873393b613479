"""A URLconf with a view that fails, for the unexpected-error tests."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class FailingView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("database exploded: secret connection string")


urlpatterns = [path("api/fail", FailingView.as_view()), path("", include("tixxety.urls"))]
