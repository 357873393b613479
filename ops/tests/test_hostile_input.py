"""Cheap hostile requests that used to be 500s: now 4xx in the error shape, logged without a traceback."""

import logging

import pytest
from django.test import Client

from orders.services import order_reserve
from orders.tests.factories import on_sale_event
from tixxety.api.parsers import MAX_DEPTH

pytestmark = pytest.mark.django_db

TOKEN = "/api/auth/token"


def _post_json(client, path, text):
    return client.generic("POST", path, text, content_type="application/json")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_logged_without_traceback(caplog):
    assert caplog.records, "expected a warning line"
    assert all(record.exc_info is None for record in caplog.records)
    assert all(record.levelno < logging.ERROR for record in caplog.records)


# --- deeply nested JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [TOKEN, "/api/auth/register"])
@pytest.mark.parametrize("body", [nested(1000), '{"a":' * 1000 + "1" + "}" * 1000, nested(100_000)])
def test_json_nested_a_thousand_deep_is_400(api_client, caplog, path, body):
    with caplog.at_level(logging.WARNING):
        response = _post_json(api_client, path, body)

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"JSON parse error - nested more than {MAX_DEPTH} levels deep.",
        "code": "parse_error",
    }
    assert_logged_without_traceback(caplog)


def test_json_nesting_up_to_the_limit_reaches_the_serializer(api_client):
    at_limit = _post_json(api_client, TOKEN, nested(MAX_DEPTH))
    past_it = _post_json(api_client, TOKEN, nested(MAX_DEPTH + 1))

    assert at_limit.status_code == 400 and at_limit.json()["code"] == "invalid"
    assert past_it.status_code == 400 and past_it.json()["code"] == "parse_error"


def test_many_brackets_inside_strings_are_not_nesting(api_client):
    body = '{"email": "' + "[" * 5000 + '@x.test", "password": "nope"}'

    response = _post_json(api_client, TOKEN, body)

    assert response.status_code == 401


def test_deep_json_on_an_authenticated_booking_is_400(customer_api):
    response = _post_json(customer_api, "/api/events/1/book", '{"items": ' + nested(2000) + "}")

    assert response.status_code == 400 and response.json()["code"] == "parse_error"


# --- text PostgreSQL or UTF-8 cannot carry ----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "\\u0000", "email": "n@x.test", "password": "Tickets-4-all"}',
        '{"name": "\\ud800", "email": "s@x.test", "password": "Tickets-4-all"}',
        '{"name": "ok", "email": "s@x.test", "password": "Tickets-4-all", "\\uDFFF": 1}',
        '{"name": ["a", {"b": "\\udc00"}], "email": "s@x.test", "password": "Tickets-4-all"}',
    ],
)
def test_json_strings_with_nul_or_unpaired_surrogates_are_400(api_client, django_user_model, body):
    response = _post_json(api_client, "/api/auth/register", body)

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not django_user_model.objects.exists()


def test_escaped_backslashes_and_paired_surrogates_are_ordinary_text(api_client, django_user_model):
    body = '{"name": "C:\\\\u0000 \\ud83c\\udfab", "email": "ok@x.test", "password": "Tickets-4-all"}'

    response = _post_json(api_client, "/api/auth/register", body)

    assert response.status_code == 201, response.json()
    assert django_user_model.objects.get().name == "C:\\u0000 \U0001f3ab"


@pytest.mark.parametrize("provider", ["\\u0000", "\\ud800"])
def test_an_echoed_nul_or_surrogate_in_an_idempotent_pay_is_400(customer_api, customer, provider):
    """The provider's error message echoes the value; a NUL could not be stored, a surrogate not rendered."""
    _, types = on_sale_event(Regular=5)
    order = order_reserve(user=customer, event_id=types["Regular"].event_id, items=[(types["Regular"].pk, 1)])

    response = customer_api.generic(
        "POST",
        f"/api/orders/{order.pk}/pay",
        '{"provider": "' + provider + '"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="pay-once",
    )

    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_nul_in_a_form_field_is_400(api_client):
    response = api_client.generic(
        "POST", TOKEN, "username=%00&password=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Form fields may not contain NUL characters.", "code": "parse_error"}


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_form_with_too_many_fields_is_400(api_client, caplog, content_type):
    fields = {f"f{i}": "1" for i in range(1001)}
    with caplog.at_level(logging.WARNING):
        if content_type == "multipart/form-data":
            response = api_client.post(TOKEN, fields, format="multipart")
        else:
            body = "&".join(f"{name}={value}" for name, value in fields.items())
            response = api_client.generic("POST", TOKEN, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["detail"]
    assert_logged_without_traceback(caplog)


# --- bodies over DATA_UPLOAD_MAX_MEMORY_SIZE ------------------------------------------------------------


def test_a_body_over_the_limit_is_413_json_on_the_api(api_client, settings, caplog):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    with caplog.at_level(logging.WARNING):
        response = _post_json(api_client, TOKEN, body)

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        "code": "request_too_large",
    }
    assert_logged_without_traceback(caplog)


def test_a_body_over_the_limit_is_a_413_page_elsewhere(client, settings):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.generic("POST", "/admin/login/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"larger than" in response.content


def test_a_body_at_the_limit_is_parsed(api_client, settings):
    padding = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len('{"email": "a@x.test", "password": ""}')
    body = '{"email": "a@x.test", "password": "' + "p" * padding + '"}'

    response = _post_json(api_client, TOKEN, body)

    assert len(body) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert response.status_code == 401


# --- NUL in the URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, url",
    [
        ("admin", "/api/admin/users/?search=%00"),
        ("admin", "/api/admin/users/?role=%00"),
        ("admin", "/api/admin/users/?is_active=%00"),
        ("anonymous", "/api/events/?search=%00"),
        ("anonymous", "/api/events/?ordering=%00&venue=1"),
        ("anonymous", "/api/events/?x%00=1"),
        ("staff", "/api/orders/?status=%00"),
        ("customer", "/api/tickets/%00"),
    ],
)
def test_a_nul_in_an_api_url_is_400_json(client_for, customer, staff, admin, api_client, caplog, role, url):
    api = {"anonymous": api_client}.get(role) or client_for(
        {"admin": admin, "staff": staff, "customer": customer}[role]
    )
    with caplog.at_level(logging.WARNING):
        response = api.get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": "The URL may not contain NUL characters (%00).", "code": "bad_url"}
    assert_logged_without_traceback(caplog)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/?status__exact=%00",
        "/admin/orders/order/?q=%00",
        "/admin/accounts/user/?role__exact=%00",
        "/admin/events/event/?q=a%00b",
    ],
)
def test_a_nul_in_an_admin_changelist_filter_or_search_is_a_400_page(client, staff, url):
    client.force_login(staff)

    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "query",
    [
        "starts_at__year=99999999999",
        "starts_at__year=9999",
        "starts_at__year=9999&starts_at__month=12",
        "starts_at__year=9999&starts_at__month=12&starts_at__day=31",
    ],
)
def test_an_admin_date_drill_down_out_of_range_is_a_bad_filter(client, staff, query):
    client.force_login(staff)
    assert client.get("/admin/events/event/?starts_at__year=2030").status_code == 200

    response = client.get(f"/admin/events/event/?{query}")

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("venue", ["abc", "1.5", "%00"])
def test_an_admin_form_with_a_venue_that_cannot_be_an_id_shows_its_error(client, admin, venue):
    """The venue field autocompletes; Django's widget looked the bad value up to label it (ValueError)."""
    client.force_login(admin)
    body = {
        "title": "Bad venue",
        "slug": "bad-venue",
        "venue": venue,
        "starts_at_0": "2030-01-01",
        "starts_at_1": "20:00:00",
        "ends_at_0": "2030-01-01",
        "ends_at_1": "23:00:00",
        "status": "draft",
        "sale_mode": "direct",
        "ticket_types-TOTAL_FORMS": "0",
        "ticket_types-INITIAL_FORMS": "0",
    }

    response = client.post("/admin/events/event/add/", body)

    assert response.status_code == 200
    assert "venue" in response.context["adminform"].form.errors


# --- unknown /api/ routes and CSRF --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/api/nonexistent", "/api/auth/login", "/api/events/1/nonexistent/"])
def test_every_method_on_an_unknown_api_route_is_json_404(method, path):
    client = Client(enforce_csrf_checks=True)

    response = client.generic(method, path, "{}", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.urls("tixxety.tests.urls_failing")
def test_a_csrf_failure_under_api_is_json():
    response = Client(enforce_csrf_checks=True).post("/api/plain-form", {"a": "1"})

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set.", "code": "permission_denied"}


@pytest.mark.urls("tixxety.tests.urls_failing")
def test_a_csrf_failure_elsewhere_is_djangos_page():
    response = Client(enforce_csrf_checks=True).post("/plain-form", {"a": "1"})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert b"CSRF" in response.content


# --- ids spelled in other digits ------------------------------------------------------------------------

ARABIC_ONE = "\u0661"


def arabic_indic(number: int) -> str:
    """``number`` in Arabic-Indic digits, which ``int()`` reads as the same number."""
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


@pytest.mark.parametrize(
    "path",
    ["/api/events/{event}", "/api/venues/{venue}", "/api/ticket-types/{type}", "/api/events/{event}/seats"],
)
def test_an_id_in_non_ascii_digits_is_404(api_client, path):
    event, types = on_sale_event(Regular=5)
    ids = {"event": event.pk, "venue": event.venue_id, "type": types["Regular"].pk}

    ascii_digits = api_client.get(path.format(**ids))
    other_digits = api_client.get(path.format(**{name: arabic_indic(pk) for name, pk in ids.items()}))

    assert ascii_digits.status_code == 200
    assert other_digits.status_code == 404
    assert other_digits.json()["code"] == "not_found"


def test_an_admin_user_id_in_non_ascii_digits_is_404(admin_api, admin):
    assert admin_api.get(f"/api/admin/users/{admin.pk}").status_code == 200

    response = admin_api.get(f"/api/admin/users/{arabic_indic(admin.pk)}")

    assert response.status_code == 404


def test_an_integer_in_non_ascii_digits_in_a_body_is_400(customer_api):
    event, types = on_sale_event(Regular=5)
    digits = arabic_indic(types["Regular"].pk)

    response = customer_api.post(
        f"/api/events/{event.pk}/book", {"ticket_type": digits, "quantity": ARABIC_ONE}, format="json"
    )
    ascii_string = customer_api.post(
        f"/api/events/{event.pk}/book",
        {"ticket_type": str(types["Regular"].pk), "quantity": "1"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"ticket_type", "quantity"}
    assert ascii_string.status_code == 201


def test_an_integer_in_non_ascii_digits_in_a_query_is_400(staff_api):
    response = staff_api.get("/api/orders/", {"event": ARABIC_ONE})

    assert response.status_code == 400 and "event" in response.json()["errors"]


def test_a_primary_key_in_non_ascii_digits_is_400(admin_api):
    event, _ = on_sale_event(Regular=5)
    digits = arabic_indic(event.venue_id)
    body = {
        "title": "Unicode",
        "venue": digits,
        "starts_at": "2030-01-01T20:00:00Z",
        "ends_at": "2030-01-01T23:00:00Z",
    }

    response = admin_api.post("/api/events", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["venue"] == [f'Invalid pk "{digits}" - object does not exist.']
