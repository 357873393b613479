"""The analytics reports: what each computes from the selectors, its CSV, its cache entry.

A report's data is computed once, turned into its JSON shape by its data
serializer, and cached in that shape (``analytics.cache``): an answer from
the cache costs no query and no serialization. The API, the CSV exports and
the admin dashboard all read reports through ``run()``.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from rest_framework import serializers as drf

from analytics import selectors
from analytics import serializers as shapes
from analytics.cache import Report, cached_report

SUMMARY_EVENTS = 10  # upcoming and top events listed in the summary


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    query: type[drf.Serializer]
    data: type[drf.Serializer]
    response: type[drf.Serializer]
    compute: Callable[[dict], dict]
    csv_rows: Callable[[dict], Iterator[list]] | None = None


def run(spec: ReportSpec, query: Mapping) -> Report:
    """Validate ``query`` (ValidationError: a 400) and return the report, cached or computed now."""
    serializer = spec.query(data=query)
    serializer.is_valid(raise_exception=True)
    params = dict(serializer.validated_data)
    refresh = params.pop("refresh", False)
    key = {**params, "time_zone": timezone.get_default_timezone_name()}
    return cached_report(spec.name, key, lambda: spec.data(spec.compute(params)).data, refresh=refresh)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _with_occupancy(events: list[dict]) -> list[dict]:
    return [
        {**event, "occupancy": rate(event["sold"] + event["reserved"], event["capacity"])} for event in events
    ]


def _range(params: dict) -> dict:
    return {
        "from": params["from"],
        "to": params["to"],
        "interval": params["interval"],
        "time_zone": timezone.get_default_timezone_name(),
    }


def _series(periods: list[date], values: dict, empty: dict) -> list[dict]:
    """One row per period, zeros where nothing happened."""
    return [{**empty, **values.get(period, {}), "period": period} for period in periods]


def _table(columns: tuple[str, ...], rows: Iterable[Mapping]) -> Iterator[list]:
    yield list(columns)
    for row in rows:
        yield [row[column] for column in columns]


# --- summary --------------------------------------------------------------------------


def compute_summary(params: dict) -> dict:
    now = timezone.now()
    inventory = selectors.inventory_totals(now=now)
    check_in = selectors.check_in_totals(now=now)
    on_sale_taken = inventory["on_sale_sold"] + inventory["on_sale_reserved"]
    return {
        "events": selectors.event_counts(now=now),
        "users": selectors.user_counts(),
        "orders": selectors.order_status_counts(),
        "tickets": {"sold": inventory["sold"], "reserved": inventory["reserved"]},
        "occupancy": {
            "capacity": inventory["on_sale_capacity"],
            "sold": inventory["on_sale_sold"],
            "reserved": inventory["on_sale_reserved"],
            "rate": rate(on_sale_taken, inventory["on_sale_capacity"]),
        },
        "check_in": {**check_in, "rate": rate(check_in["checked_in"], check_in["tickets"])},
        "waiting": selectors.waiting_counts(now=now),
        "revenue": selectors.revenue_by_currency(),
        "upcoming_events": _with_occupancy(selectors.upcoming_occupancy(now=now, limit=SUMMARY_EVENTS)),
        "top_events": _with_occupancy(selectors.top_events(limit=SUMMARY_EVENTS)),
    }


def summary_csv(data: dict) -> Iterator[list]:
    """``metric,value`` rows: ``orders.paid``, ``revenue.USD.net``, ``top_events.<id>.sold``, …"""
    yield ["metric", "value"]
    for section, value in data.items():
        if isinstance(value, Mapping):
            for name, number in value.items():
                yield [f"{section}.{name}", number]
            continue
        for row in value:
            label = row.get("currency") or row["id"]
            for name, number in row.items():
                if name not in ("currency", "id"):
                    yield [f"{section}.{label}.{name}", number]


SUMMARY = ReportSpec(
    name="summary",
    title="Summary: events, users, orders, tickets, revenue, occupancy, check-in",
    query=shapes.RefreshQuerySerializer,
    data=shapes.SummaryDataSerializer,
    response=shapes.SummaryReportSerializer,
    compute=compute_summary,
    csv_rows=summary_csv,
)


# --- sales, users ---------------------------------------------------------------------------

SALES_COLUMNS = ("period", "orders_paid", "tickets_sold", "orders_refunded")


def compute_sales(params: dict) -> dict:
    tz = timezone.get_default_timezone()
    periods = selectors.period_starts(params["from"], params["to"], params["interval"])
    values = selectors.sales_series(
        start=params["from"], end=params["to"], interval=params["interval"], tz=tz
    )
    empty = {"orders_paid": 0, "tickets_sold": 0, "orders_refunded": 0}
    series = _series(periods, values, empty)
    totals = {name: sum(row[name] for row in series) for name in empty}
    return {**_range(params), "totals": totals, "series": series}


SALES = ReportSpec(
    name="sales",
    title="Sales: orders paid, tickets sold and orders refunded per day or week",
    query=shapes.RangeQuerySerializer,
    data=shapes.SalesDataSerializer,
    response=shapes.SalesReportSerializer,
    compute=compute_sales,
    csv_rows=lambda data: _table(SALES_COLUMNS, data["series"]),
)


def compute_users(params: dict) -> dict:
    tz = timezone.get_default_timezone()
    periods = selectors.period_starts(params["from"], params["to"], params["interval"])
    signups = selectors.signup_series(
        start=params["from"], end=params["to"], interval=params["interval"], tz=tz
    )
    series = [{"period": period, "signups": signups.get(period, 0)} for period in periods]
    users = selectors.user_counts()
    totals = {
        "users": users["total"],
        "customers": users["customer"],
        "signups": sum(signups.values()),
        **selectors.buyer_counts(),
    }
    return {**_range(params), "totals": totals, "series": series}


USERS = ReportSpec(
    name="users",
    title="Users: sign-ups per day or week, buyers and repeat buyers",
    query=shapes.RangeQuerySerializer,
    data=shapes.UsersDataSerializer,
    response=shapes.UsersReportSerializer,
    compute=compute_users,
    csv_rows=lambda data: _table(("period", "signups"), data["series"]),
)


# --- revenue, tickets ---------------------------------------------------------------------------

REVENUE_COLUMNS = (
    "event_id",
    "event",
    "ticket_type_id",
    "ticket_type",
    "currency",
    "tickets_sold",
    "gross",
    "refunds",
    "net",
)


def compute_revenue(params: dict) -> dict:
    event_id = params.get("event")
    return {
        "event": event_id,
        "totals": selectors.revenue_totals(event_id=event_id),
        "rows": selectors.revenue_rows(event_id=event_id),
    }


REVENUE = ReportSpec(
    name="revenue",
    title="Revenue by event and ticket type, net of refunds",
    query=shapes.EventQuerySerializer,
    data=shapes.RevenueDataSerializer,
    response=shapes.RevenueReportSerializer,
    compute=compute_revenue,
    csv_rows=lambda data: _table(REVENUE_COLUMNS, data["rows"]),
)

TICKET_COLUMNS = (
    "event_id",
    "event",
    "starts_at",
    "ticket_type_id",
    "ticket_type",
    "capacity",
    "sold",
    "reserved",
    "available",
    "checked_in",
    "waitlisted",
)


def compute_tickets(params: dict) -> dict:
    event_id = params.get("event")
    return {"event": event_id, "rows": selectors.ticket_type_rows(event_id=event_id)}


TICKETS = ReportSpec(
    name="tickets",
    title="Tickets per ticket type: capacity, sold, reserved, available, checked in, waitlisted",
    query=shapes.EventQuerySerializer,
    data=shapes.TicketsDataSerializer,
    response=shapes.TicketsReportSerializer,
    compute=compute_tickets,
    csv_rows=lambda data: _table(TICKET_COLUMNS, data["rows"]),
)


# --- public -----------------------------------------------------------------------------------------


HOMEPAGE = ReportSpec(
    name="homepage",
    title="Counts for the home page",
    # Public: no ``refresh``, so nobody outside can make every request compute.
    query=drf.Serializer,
    data=shapes.HomepageDataSerializer,
    response=shapes.HomepageStatsSerializer,
    compute=lambda params: selectors.homepage_counts(now=timezone.now()),
)

ADMIN_REPORTS = {spec.name: spec for spec in (SUMMARY, SALES, REVENUE, USERS, TICKETS)}
