"""Every report against the hand-computed history of ``world.py``."""

import csv
import io

import pytest

from accounts.tests.factories import UserFactory
from analytics.tests.world import build_world
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory
from orders.services import order_reserve
from orders.services.queue import ticket_request_create
from orders.services.waitlist import waitlist_join
from orders.tests.factories import on_sale_event

pytestmark = pytest.mark.django_db

SUMMARY = "/api/analytics/summary"


@pytest.fixture
def world(staff):
    return build_world(staff=staff)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_summary_counts_orders_tickets_revenue_occupancy_and_check_in(admin_api, world):
    body = admin_api.get(SUMMARY).json()

    assert body["cached"] is False
    assert body["computed_at"]
    assert body["orders"] == {
        "total": 7,
        "reserved": 1,
        "paid": 3,
        "cancelled": 1,
        "expired": 1,
        "refunded": 1,
    }
    assert body["events"] == {
        "total": 2,
        "upcoming": 2,
        "draft": 0,
        "published": 2,
        "deactivated": 0,
        "cancelled": 0,
    }
    # admin (the client), staff (the refund), Ann, Bob, Cy.
    assert body["users"] == {"total": 5, "active": 5, "customer": 3, "staff": 1, "admin": 1}
    assert body["tickets"] == {"sold": 10, "reserved": 2}
    assert body["occupancy"] == {"capacity": 80, "sold": 10, "reserved": 2, "rate": 0.15}
    # Only Alpha has started: orders 1 and 2 hold its 7 valid tickets, 3 checked in.
    assert body["check_in"] == {"tickets": 7, "checked_in": 3, "rate": 0.4286}
    assert body["revenue"] == [
        {"currency": "EUR", "gross": "120.00", "refunds": "0.00", "net": "120.00"},
        {"currency": "USD", "gross": "425.00", "refunds": "100.00", "net": "325.00"},
    ]
    assert [(e["title"], e["sold"], e["reserved"], e["capacity"]) for e in body["top_events"]] == [
        ("Alpha", 7, 2, 60),
        ("Beta", 3, 0, 20),
    ]
    assert body["top_events"][0]["occupancy"] == 0.15
    assert [e["title"] for e in body["upcoming_events"]] == ["Alpha", "Beta"]


def test_summary_of_an_empty_platform_has_zeros_and_no_rates(admin_api):
    body = admin_api.get(SUMMARY).json()

    assert body["orders"]["total"] == 0
    assert body["tickets"] == {"sold": 0, "reserved": 0}
    assert body["occupancy"] == {"capacity": 0, "sold": 0, "reserved": 0, "rate": None}
    assert body["check_in"] == {"tickets": 0, "checked_in": 0, "rate": None}
    assert body["revenue"] == body["top_events"] == body["upcoming_events"] == []
    assert body["waiting"] == {
        "waitlist_entries": 0, "waitlist_tickets": 0, "queued_requests": 0, "oldest_queued_seconds": None,
    }  # fmt: skip


def test_summary_counts_who_waits_on_the_waitlist_and_in_the_queue(admin_api, customer):
    # given a sold-out type with two entries waiting (1 and 3 tickets), and one queued request
    event, types = on_sale_event(Regular=1)
    regular = types["Regular"]
    order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=1)
    waitlist_join(user=UserFactory(), ticket_type_id=regular.pk, quantity=3)
    queued = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    on_queue = TicketTypeFactory(event=queued, capacity=5)
    ticket_request_create(user=customer, event_id=queued.pk, items=[(on_queue.pk, 2)])

    # when an admin reads the summary
    waiting = admin_api.get(SUMMARY, {"refresh": 1}).json()["waiting"]

    # then both lines are counted, with the queue's oldest request's age, and the type's waitlisted tickets
    tickets = admin_api.get("/api/analytics/tickets", {"event": event.pk, "refresh": 1}).json()
    assert tickets["rows"][0]["waitlisted"] == 4
    assert {key: waiting[key] for key in ("waitlist_entries", "waitlist_tickets", "queued_requests")} == {
        "waitlist_entries": 2, "waitlist_tickets": 4, "queued_requests": 1,
    }  # fmt: skip
    assert 0 <= waiting["oldest_queued_seconds"] < 60


def test_summary_is_10_aggregate_queries(admin_api, world, django_assert_num_queries):
    admin_api.get("/api/stats/homepage")  # the user row is cached from here on

    with django_assert_num_queries(10):  # whatever the number of events, orders and tickets
        assert admin_api.get(SUMMARY).status_code == 200


def test_revenue_by_ticket_type_is_net_of_refunds(admin_api, world):
    body = admin_api.get("/api/analytics/revenue").json()

    assert body["event"] is None
    rows = {(row["event"], row["ticket_type"]): row for row in body["rows"]}
    assert rows[("Alpha", "VIP")] == {
        "event_id": world.alpha.pk,
        "event": "Alpha",
        "ticket_type_id": world.vip.pk,
        "ticket_type": "VIP",
        "currency": "USD",
        "tickets_sold": 2,
        "gross": "300.00",
        "refunds": "100.00",
        "net": "200.00",
    }
    assert (rows[("Alpha", "Regular")]["gross"], rows[("Alpha", "Regular")]["net"]) == ("125.00", "125.00")
    assert rows[("Alpha", "Regular")]["tickets_sold"] == 5
    assert (rows[("Beta", "GA")]["currency"], rows[("Beta", "GA")]["net"]) == ("EUR", "120.00")
    # The same money as the transaction log in the summary.
    assert body["totals"] == admin_api.get(SUMMARY).json()["revenue"]


def test_revenue_of_one_event(admin_api, world):
    body = admin_api.get("/api/analytics/revenue", {"event": world.beta.pk}).json()

    assert body["event"] == world.beta.pk
    assert [row["ticket_type"] for row in body["rows"]] == ["GA"]
    assert body["totals"] == [{"currency": "EUR", "gross": "120.00", "refunds": "0.00", "net": "120.00"}]


def test_sales_per_day_over_an_inclusive_range(admin_api, world):
    body = admin_api.get("/api/analytics/sales", {"from": "2026-03-09", "to": "2026-03-11"}).json()

    assert (body["from"], body["to"], body["interval"], body["time_zone"]) == (
        "2026-03-09",
        "2026-03-11",
        "day",
        "UTC",
    )
    assert body["series"] == [
        {"period": "2026-03-09", "orders_paid": 0, "tickets_sold": 0, "orders_refunded": 0},
        # Orders 1 and 3 (3 is counted as sold that day although refunded later).
        {"period": "2026-03-10", "orders_paid": 2, "tickets_sold": 7, "orders_refunded": 0},
        # Orders 2 and 4 (paid at 23:59:59, the last second of the range); order 3's refund.
        {"period": "2026-03-11", "orders_paid": 2, "tickets_sold": 4, "orders_refunded": 1},
    ]
    assert body["totals"] == {"orders_paid": 4, "tickets_sold": 11, "orders_refunded": 1}


def test_sales_of_a_range_with_nothing_in_it_are_zeros(admin_api, world):
    body = admin_api.get("/api/analytics/sales", {"from": "2026-04-01", "to": "2026-04-02"}).json()

    assert [row["orders_paid"] + row["tickets_sold"] for row in body["series"]] == [0, 0]
    assert body["totals"] == {"orders_paid": 0, "tickets_sold": 0, "orders_refunded": 0}


def test_sales_per_week_start_on_monday(admin_api, world):
    # 10 and 11 March 2026 are a Tuesday and a Wednesday: the week of Monday 9 March.
    body = admin_api.get(
        "/api/analytics/sales", {"from": "2026-03-01", "to": "2026-03-15", "interval": "week"}
    ).json()

    assert [row["period"] for row in body["series"]] == ["2026-02-23", "2026-03-02", "2026-03-09"]
    assert body["series"][2] == {
        "period": "2026-03-09",
        "orders_paid": 4,
        "tickets_sold": 11,
        "orders_refunded": 1,
    }


def test_sales_days_are_local_to_the_time_zone(admin_api, world, settings):
    settings.TIME_ZONE = "Asia/Tokyo"  # UTC+9: 10 Mar 23:30 UTC is 11 Mar 08:30 there

    body = admin_api.get("/api/analytics/sales", {"from": "2026-03-10", "to": "2026-03-12"}).json()

    assert body["time_zone"] == "Asia/Tokyo"
    assert [(row["period"], row["orders_paid"], row["tickets_sold"]) for row in body["series"]] == [
        ("2026-03-10", 1, 6),  # order 1
        ("2026-03-11", 2, 2),  # orders 3 and 2
        ("2026-03-12", 1, 3),  # order 4, paid 23:59:59 UTC on the 11th
    ]


def test_users_report_counts_signups_buyers_and_repeat_buyers(admin_api, world):
    body = admin_api.get("/api/analytics/users", {"from": "2026-03-01", "to": "2026-03-03"}).json()

    assert body["series"] == [
        {"period": "2026-03-01", "signups": 1},
        {"period": "2026-03-02", "signups": 2},
        {"period": "2026-03-03", "signups": 0},
    ]
    # Ann has two paid orders; Bob one (his other was refunded); Cy none.
    assert body["totals"] == {"users": 5, "customers": 3, "signups": 3, "buyers": 2, "repeat_buyers": 1}


def test_tickets_report_per_ticket_type(admin_api, world):
    body = admin_api.get("/api/analytics/tickets").json()

    rows = {row["ticket_type"]: row for row in body["rows"]}
    assert rows["VIP"] == {
        "ticket_type_id": world.vip.pk,
        "ticket_type": "VIP",
        "event_id": world.alpha.pk,
        "event": "Alpha",
        "starts_at": rows["VIP"]["starts_at"],
        "capacity": 10,
        "sold": 2,
        "reserved": 0,
        "available": 8,
        "checked_in": 2,
        "waitlisted": 0,
    }
    assert rows["VIP"]["starts_at"]
    regular = rows["Regular"]
    assert (regular["sold"], regular["reserved"], regular["available"], regular["checked_in"]) == (
        5,
        2,
        43,
        1,
    )
    assert (rows["GA"]["sold"], rows["GA"]["available"], rows["GA"]["checked_in"]) == (3, 17, 0)
    only_beta = admin_api.get("/api/analytics/tickets", {"event": world.beta.pk}).json()
    assert [row["ticket_type"] for row in only_beta["rows"]] == ["GA"]


def test_homepage_stats_are_public(api_client, world):
    response = api_client.get("/api/stats/homepage")

    assert response.status_code == 200
    body = response.json()
    assert (body["upcoming_events"], body["tickets_sold"], body["cached"]) == (2, 10, False)
    assert body["venues"] == 2
    assert body["cities"] == 1


ADMIN_ROUTES = [
    f"/api/analytics/{name}{suffix}"
    for name in ("summary", "sales", "revenue", "users", "tickets")
    for suffix in ("", "/export")
]


@pytest.mark.parametrize("path", ADMIN_ROUTES)
@pytest.mark.parametrize("role_client", ["customer_api", "staff_api"])
def test_reports_are_for_admins_only(path, role_client, request):
    response = request.getfixturevalue(role_client).get(path)

    assert response.status_code == 403
    assert response.json() == {"detail": "Admin access required.", "code": "permission_denied"}


@pytest.mark.parametrize("path", ADMIN_ROUTES)
def test_reports_need_a_sign_in(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("sales", {"from": "2026-03-12", "to": "2026-03-10"}, "from"),
        ("sales", {"from": "2025-01-01", "to": "2026-01-02"}, "to"),
        ("sales", {"from": "10/03/2026"}, "from"),
        ("users", {"to": "2026-02-30"}, "to"),
        ("sales", {"interval": "month"}, "interval"),
        ("sales", {"from": "0001-01-01", "to": "0001-01-05"}, "from"),
        ("users", {"from": "9999-12-25", "to": "9999-12-31"}, "from"),
        ("sales", {"to": "9999-12-31"}, "to"),
        ("revenue", {"event": "0"}, "event"),
        ("tickets", {"event": str(2**64)}, "event"),
        ("tickets", {"event": "alpha"}, "event"),
        ("summary", {"refresh": "maybe"}, "refresh"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(admin_api, path, params, field):
    for suffix in ("", "/export"):
        response = admin_api.get(f"/api/analytics/{path}{suffix}", params)

        assert response.status_code == 400
        body = response.json()
        assert set(body) == {"detail", "code", "errors"}
        assert list(body["errors"]) == [field]


def test_a_range_of_366_days_is_allowed(admin_api):
    response = admin_api.get("/api/analytics/sales", {"from": "2025-03-01", "to": "2026-03-01"})

    assert response.status_code == 200
    assert len(response.json()["series"]) == 366


def test_sales_csv_has_a_row_per_day(admin_api, world):
    rows = _csv(admin_api.get("/api/analytics/sales/export", {"from": "2026-03-10", "to": "2026-03-11"}))

    assert rows == [
        ["period", "orders_paid", "tickets_sold", "orders_refunded"],
        ["2026-03-10", "2", "7", "0"],
        ["2026-03-11", "2", "4", "1"],
    ]


def test_revenue_csv_has_a_row_per_ticket_type(admin_api, world):
    rows = _csv(admin_api.get("/api/analytics/revenue/export"))

    assert rows[0] == [
        "event_id",
        "event",
        "ticket_type_id",
        "ticket_type",
        "currency",
        "tickets_sold",
        "gross",
        "refunds",
        "net",
    ]
    assert [
        str(world.alpha.pk),
        "Alpha",
        str(world.vip.pk),
        "VIP",
        "USD",
        "2",
        "300.00",
        "100.00",
        "200.00",
    ] in rows
    assert len(rows) == 4


def test_summary_users_and_tickets_csv(admin_api, world):
    summary = dict(_csv(admin_api.get("/api/analytics/summary/export"))[1:])
    users = _csv(admin_api.get("/api/analytics/users/export", {"from": "2026-03-01", "to": "2026-03-02"}))
    tickets = _csv(admin_api.get("/api/analytics/tickets/export"))

    assert summary["orders.paid"] == "3"
    assert summary["revenue.USD.net"] == "325.00"
    assert summary[f"top_events.{world.alpha.pk}.sold"] == "7"
    assert users == [["period", "signups"], ["2026-03-01", "1"], ["2026-03-02", "2"]]
    assert tickets[0][:3] == ["event_id", "event", "starts_at"]
    assert len(tickets) == 4


def test_csv_defuses_titles_a_spreadsheet_would_run(admin_api):
    event = EventFactory(title='=HYPERLINK("http://evil.example","x")')
    TicketTypeFactory(event=event, name="+Regular")

    rows = _csv(admin_api.get("/api/analytics/tickets/export"))

    assert rows[1][1] == "'" + event.title
    assert rows[1][4] == "'+Regular"


def test_schema_documents_every_report(api_client):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    for route in [*ADMIN_ROUTES, "/api/stats/homepage"]:
        assert f"{route}/" in paths or route in paths, route
    summary = paths.get("/api/analytics/summary/") or paths["/api/analytics/summary"]
    assert {"200", "400", "403"} <= set(summary["get"]["responses"])
