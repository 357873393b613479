from django.urls import re_path

from analytics.api import HomepageStatsView, report_views
from analytics.reports import ADMIN_REPORTS

app_name = "analytics"

urlpatterns = [re_path(r"^stats/homepage/?$", HomepageStatsView.as_view(), name="stats-homepage")]
for name, spec in ADMIN_REPORTS.items():
    json_view, csv_view = report_views(spec)
    urlpatterns += [
        re_path(rf"^analytics/{name}/?$", json_view.as_view(), name=f"{name}"),
        re_path(rf"^analytics/{name}/export/?$", csv_view.as_view(), name=f"{name}-export"),
    ]
