from django.contrib.admin.apps import AdminConfig


class DashboardAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the analytics dashboard as its default site."""

    default_site = "analytics.admin_site.DashboardAdminSite"
