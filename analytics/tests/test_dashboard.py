"""The admin index shows the dashboard to staff, from the cached reports."""

import re

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from analytics.cache import bump_report_version
from analytics.tests.world import build_world

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


@pytest.fixture
def world(staff):
    return build_world(staff=staff)


def _links(dashboard: dict) -> list[str]:
    hrefs = [item["href"] for item in dashboard["headline"]]
    hrefs += [row["href"] for row in dashboard["orders_by_status"]]
    for bars in (dashboard["occupancy"], dashboard["check_in_today"]):
        hrefs += [bar.href for bar in bars]
    for group in dashboard["revenue_by_event"]:
        hrefs += [bar.href for bar in group["bars"]]
    return hrefs


def test_staff_see_headline_numbers_and_charts(client, staff, world):
    client.force_login(staff)

    response = client.get(INDEX)

    assert response.status_code == 200
    html = response.content.decode()
    dashboard = response.context["dashboard"]
    headline = {item["label"]: item["value"] for item in dashboard["headline"]}
    assert headline == {
        "Upcoming events": 2,
        "Tickets sold": 10,
        "Tickets reserved": 2,
        "Orders paid": 3,
        "Check-in rate": "43%",
        "Customers": 3,
    }
    assert "325.00 USD" in html and "120.00 EUR" in html
    # Sales chart: one column per day of the last 30, as SVG drawn on the server.
    assert len(dashboard["sales"]["chart"].columns) == 30
    assert html.count('class="tx-column"') == 30
    revenue = {
        group["currency"]: [(bar.label, bar.caption) for bar in group["bars"]]
        for group in dashboard["revenue_by_event"]
    }
    assert revenue == {"EUR": [("Beta", "120.00 EUR")], "USD": [("Alpha", "325.00 USD")]}
    assert [(bar.label, bar.caption) for bar in dashboard["check_in_today"]] == [
        ("Alpha", "3 / 7 checked in")
    ]
    assert [bar.label for bar in dashboard["occupancy"]] == ["Alpha", "Beta"]
    assert "Export as CSV" not in html  # the reports' exports are for admins
    assert "Site administration" in html and "Orders" in html  # the model list is still there


def test_the_dashboard_loads_nothing_from_another_site(client, staff, world):
    client.force_login(staff)

    html = client.get(INDEX).content.decode()

    assert "<script" not in html.split('id="analytics-dashboard"')[1].split("</div>")[0]
    for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html):
        assert not re.match(r"^(https?:)?//", url), url


def test_every_drill_down_link_opens_a_filtered_list(client, staff, world):
    client.force_login(staff)
    dashboard = client.get(INDEX).context["dashboard"]

    links = _links(dashboard)

    assert f"/admin/orders/order/?event__id__exact={world.alpha.pk}&status__exact=paid" in links
    for href in links:
        response = client.get(href)
        assert response.status_code == 200, href
        assert "?e=1" not in response.get("Location", ""), href


def test_a_drill_down_lists_what_the_number_counts(client, staff, world):
    client.force_login(staff)

    paid = client.get("/admin/orders/order/?status__exact=paid")

    assert paid.context["cl"].result_count == 3


def test_admins_get_csv_export_links_that_work_with_their_session(client, admin, world):
    client.force_login(admin)

    dashboard = client.get(INDEX).context["dashboard"]
    exports = {item["label"]: item["href"] for item in dashboard["exports"]}

    assert set(exports) == {"Summary", "Sales", "Revenue", "Users", "Tickets"}
    response = client.get(exports["Revenue"])
    assert response.status_code == 200
    assert response.content.decode().startswith("event_id,event,ticket_type_id")


def test_customers_are_sent_to_the_admin_login(client, world):
    client.force_login(UserFactory(role=User.Role.CUSTOMER))

    response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_dashboard_costs_a_fixed_number_of_queries_and_none_from_the_cache(
    client, staff, world, django_assert_num_queries
):
    client.force_login(staff)

    # Session and user, the summary (10), sales (2), revenue and check-in (2), recent actions.
    with django_assert_num_queries(17):
        assert client.get(INDEX).status_code == 200
    with django_assert_num_queries(3):  # session, user, recent actions: no report query
        cached = client.get(INDEX)

    assert cached.context["dashboard"]["cached"] is True


def test_refresh_and_a_version_bump_recompute_the_dashboard(client, staff, world):
    client.force_login(staff)
    client.get(INDEX)

    refreshed = client.get(INDEX, {"refresh": "1"}).context["dashboard"]
    cached = client.get(INDEX).context["dashboard"]
    bump_report_version()
    bumped = client.get(INDEX).context["dashboard"]

    assert (refreshed["cached"], cached["cached"], bumped["cached"]) == (False, True, False)


def test_an_empty_platform_shows_empty_charts(client, staff):
    client.force_login(staff)

    response = client.get(INDEX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "No paid orders yet." in html
    assert "No upcoming events." in html
    assert "No event today." in html
    assert {column.height for column in response.context["dashboard"]["sales"]["chart"].columns} == {0}


def test_the_dashboard_works_with_the_cache_down(client, staff, world, settings, caplog):
    client.force_login(staff)  # the session is in the database
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    response = client.get(INDEX)

    assert response.status_code == 200
    assert response.context["dashboard"]["cached"] is False
    assert "Analytics cache unavailable" in caplog.text
