"""What the admin index shows: headline numbers, charts and links into the admin's lists.

Everything is read through the cached reports (``reports.run``) and the
selectors, so a dashboard seen again within the cache time costs no query
for its numbers; ``?refresh=1`` recomputes them.
"""

from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from analytics import reports, selectors
from analytics.cache import cached_report
from analytics.charts import bar, column_chart

TOP_EVENTS_PER_CURRENCY = 5


def _changelist(model: str, **filters) -> str:
    url = reverse(f"admin:{model}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _extras(*, refresh: bool) -> reports.Report:
    """Revenue by event and today's check-ins: the dashboard's own numbers, cached like a report."""
    tz = timezone.get_default_timezone()
    today = timezone.localdate(timezone=tz)
    return cached_report(
        "dashboard",
        {"today": today, "time_zone": timezone.get_default_timezone_name()},
        lambda: {
            "revenue": selectors.top_revenue_events(per_currency=TOP_EVENTS_PER_CURRENCY),
            "check_in": selectors.todays_check_in(today=today, tz=tz),
        },
        refresh=refresh,
    )


def _headline(summary: dict) -> list[dict]:
    orders, tickets, check_in = summary["orders"], summary["tickets"], summary["check_in"]
    rate = check_in["rate"]
    return [
        {
            "label": "Upcoming events",
            "value": summary["events"]["upcoming"],
            "href": _changelist("events_event", status__exact="published"),
        },
        {
            "label": "Tickets sold",
            "value": tickets["sold"],
            "href": _changelist("tickets_ticket", status__exact="valid"),
        },
        {
            "label": "Tickets reserved",
            "value": tickets["reserved"],
            "href": _changelist("tickets_ticket", status__exact="reserved"),
        },
        {
            "label": "Orders paid",
            "value": orders["paid"],
            "href": _changelist("orders_order", status__exact="paid"),
        },
        {
            "label": "Check-in rate",
            "value": "n/a" if rate is None else f"{rate:.0%}",
            "href": _changelist("tickets_ticket", checked_in_at__isnull="False"),
        },
        {
            "label": "Customers",
            "value": summary["users"]["customer"],
            "href": _changelist("accounts_user", role__exact="customer"),
        },
    ]


def _revenue_groups(rows: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:  # at most TOP_EVENTS_PER_CURRENCY rows per currency
        groups.setdefault(row["currency"], []).append(row)
    return [
        {
            "currency": currency,
            "bars": [
                bar(
                    row["event__title"],
                    f"{row['net']:,.2f} {currency}",
                    _changelist("orders_order", event__id__exact=row["event_id"], status__exact="paid"),
                    [("net", row["net"])],
                    events[0]["net"] or Decimal(1),
                )
                for row in events
            ],
        }
        for currency, events in groups.items()
    ]


def _occupancy_bars(events: list[dict]) -> list:
    return [
        bar(
            event["title"],
            f"{event['sold']} sold + {event['reserved']} reserved / {event['capacity']}",
            _changelist("tickets_ticket", ticket_type__event__id__exact=event["id"]),
            [("sold", event["sold"]), ("reserved", event["reserved"])],
            event["capacity"],
        )
        for event in events
    ]


def _check_in_bars(events: list[dict]) -> list:
    return [
        bar(
            event["title"],
            f"{event['checked_in']} / {event['tickets']} checked in",
            _changelist(
                "tickets_ticket", ticket_type__event__id__exact=event["id"], checked_in_at__isnull="False"
            ),
            [("checked-in", event["checked_in"])],
            event["tickets"],
        )
        for event in events
    ]


def dashboard_context(*, refresh: bool, with_exports: bool) -> dict:
    """The template context of the admin index's dashboard."""
    query = {"refresh": "1"} if refresh else {}
    summary = reports.run(reports.SUMMARY, query)
    sales = reports.run(reports.SALES, query)
    extras = _extras(refresh=refresh)
    data = summary.data
    series = sales.data["series"]
    return {
        "computed_at": min(summary.computed_at, sales.computed_at, extras.computed_at),
        "cached": summary.cached and sales.cached and extras.cached,
        "headline": _headline(data),
        "revenue": data["revenue"],
        "orders_by_status": [
            {"status": status, "count": count, "href": _changelist("orders_order", status__exact=status)}
            for status, count in data["orders"].items()
            if status != "total"
        ],
        "sales": {
            "from": sales.data["from"],
            "to": sales.data["to"],
            "tickets": sales.data["totals"]["tickets_sold"],
            "chart": column_chart(
                [(date.fromisoformat(row["period"]), row["tickets_sold"]) for row in series]
            ),
        },
        "revenue_by_event": _revenue_groups(extras.data["revenue"]),
        "occupancy": _occupancy_bars(data["upcoming_events"]),
        "check_in_today": _check_in_bars(extras.data["check_in"]),
        "exports": [
            {"label": spec.name.title(), "href": reverse(f"analytics:{name}-export")}
            for name, spec in reports.ADMIN_REPORTS.items()
        ]
        if with_exports
        else [],
    }
