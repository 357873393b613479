"""A URLconf with a page that fails, for the friendly 500 page."""

from django.urls import include, path


def failing_page(request):
    raise RuntimeError("page exploded")


urlpatterns = [path("boom/", failing_page), path("", include("tixxety.urls"))]
