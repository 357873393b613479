"""The Django admin site, with the analytics dashboard on its index page.

Installed through ``DashboardAdminConfig`` (``analytics.admin_config``) in
place of ``django.contrib.admin``, so ``admin.site`` and every
``@admin.register`` use it while no app imports analytics.
"""

from django.contrib import admin

from analytics.dashboard import dashboard_context


class DashboardAdminSite(admin.AdminSite):
    """The admin for staff, whose index shows the dashboard above the list of models.

    Staff and admins see the same numbers (staff may view every order and
    payment in the admin already); the CSV export links are shown to admins
    only, as the reports' API is theirs.
    """

    index_template = "admin/analytics/index.html"

    def index(self, request, extra_context=None):
        dashboard = dashboard_context(
            refresh=request.GET.get("refresh") == "1", with_exports=request.user.is_admin
        )
        return super().index(request, {"dashboard": dashboard, **(extra_context or {})})
