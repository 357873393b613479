from django.urls import re_path

from accounts.api import MeView, RegisterView, TokenRefreshView, TokenView, UserViewSet
from tixxety.api.routers import OptionalSlashRouter

app_name = "accounts"

router = OptionalSlashRouter()
router.register("admin/users", UserViewSet, basename="user")

urlpatterns = [
    re_path(r"^auth/register/?$", RegisterView.as_view(), name="auth-register"),
    re_path(r"^auth/token/?$", TokenView.as_view(), name="auth-token"),
    re_path(r"^auth/token/refresh/?$", TokenRefreshView.as_view(), name="auth-token-refresh"),
    re_path(r"^auth/me/?$", MeView.as_view(), name="auth-me"),
    *router.urls,
]
