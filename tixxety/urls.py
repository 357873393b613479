from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from tixxety import metrics, views

api_patterns = [
    path("", include("accounts.api_urls")),
    path("", include("events.api_urls")),
    path("", include("tickets.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("analytics.api_urls")),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(r"^redoc/?$", views.OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    # Unknown API routes answer in JSON, in DEBUG too (Django's debug 404 is HTML).
    re_path(r"", views.api_not_found),
]

urlpatterns = [
    # First: API clients send most requests (a flash sale's bookings), and no page lives under api/,
    # so trying it first spares each API request a walk through every page pattern.
    path("api/", include(api_patterns)),
    # Customer pages (server-rendered): catalogue, accounts, cart and orders, ticket QR images.
    path("", include("events.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("orders.urls")),
    path("", include("tickets.urls")),
    path("admin/", admin.site.urls),
    re_path(r"^healthz/?$", views.HealthView.as_view(), name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

handler400 = "tixxety.views.bad_request"
handler403 = "tixxety.views.permission_denied"
handler404 = "tixxety.views.page_not_found"
handler500 = "tixxety.views.server_error"

admin.site.site_header = "Tixxety administration"
admin.site.site_title = "Tixxety admin"
