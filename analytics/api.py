"""The analytics API: admin-only reports, their CSV exports, and the public home page counts."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import reports
from tixxety.api.permissions import IsAdminRole
from tixxety.csv_export import write_csv

# Error statuses (400 for a bad parameter, 401, 403 for a non-admin) are documented by
# the project's AutoSchema from each view's permissions, in the API's one error shape.


class ReportView(APIView):
    """One report as JSON (admins)."""

    permission_classes = [IsAdminRole]
    report: reports.ReportSpec

    def get(self, request):
        return Response(reports.run(self.report, request.query_params).as_response())


class ReportExportView(ReportView):
    """One report as CSV (admins); the same parameters and cache as the JSON."""

    def get(self, request):
        report = reports.run(self.report, request.query_params)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="tixxety-{self.report.name}.csv"'
        response["X-Report-Computed-At"] = report.computed_at.isoformat()
        response["X-Report-Cached"] = "1" if report.cached else "0"
        write_csv(self.report.csv_rows(report.data), response)
        return response


def report_views(spec: reports.ReportSpec) -> tuple[type[ReportView], type[ReportExportView]]:
    """The JSON and CSV views of ``spec``, each documented with its parameters and shape."""
    name = spec.name.title()
    json_view = extend_schema_view(
        get=extend_schema(summary=spec.title, parameters=[spec.query], responses={200: spec.response})
    )(type(f"{name}ReportView", (ReportView,), {"report": spec, "__doc__": spec.title}))
    csv_view = extend_schema_view(
        get=extend_schema(
            summary=f"{spec.title} (CSV)",
            parameters=[spec.query],
            responses={
                (200, "text/csv"): OpenApiResponse(str, description="Header row first."),
            },
        )
    )(type(f"{name}ExportView", (ReportExportView,), {"report": spec, "__doc__": f"{spec.title} (CSV)"}))
    return json_view, csv_view


class HomepageStatsView(APIView):
    """Counts for the public home page, cached like the reports."""

    permission_classes = [AllowAny]

    @extend_schema(summary=reports.HOMEPAGE.title, responses={200: reports.HOMEPAGE.response})
    def get(self, request):
        return Response(reports.run(reports.HOMEPAGE, {}).as_response())
