import logging

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_unknown_api_route_is_json_404(api_client):
    response = api_client.get("/api/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_api_route_is_json_404_in_debug_too(api_client, settings):
    settings.DEBUG = True

    response = api_client.post("/api/no/such/thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_unknown_page_is_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_wrong_method_is_json_405(api_client):
    response = api_client.delete("/api/auth/register")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.', "code": "method_not_allowed"}


def test_malformed_json_is_400_and_creates_nothing(api_client, django_user_model):
    response = api_client.generic("POST", "/api/auth/register", '{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["detail"].startswith("JSON parse error")
    assert not django_user_model.objects.exists()


def test_json_array_body_is_400(api_client):
    response = api_client.post("/api/auth/register", [1, 2], format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_unsupported_media_type_is_415(api_client):
    response = api_client.generic("POST", "/api/auth/register", "<x/>", content_type="application/xml")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.urls("tixxety.tests.urls_failing")
def test_unexpected_exception_is_logged_with_request_id_and_hidden(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="tixxety.api"):
        response = api_client.get("/api/fail", HTTP_X_REQUEST_ID="req-12345678")

    assert response.status_code == 500
    assert response.json() == {
        "detail": "Internal server error.",
        "code": "server_error",
        "request_id": "req-12345678",
    }
    assert "secret" not in response.content.decode()
    assert response["X-Request-ID"] == "req-12345678"
    [record] = [r for r in caplog.records if r.name == "tixxety.api"]
    assert record.exc_info[0] is RuntimeError
    assert record.request_id == "req-12345678"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tixxety.tests.urls_failing")
def test_a_lost_database_connection_is_a_503_to_retry(api_client, caplog):
    try:
        with caplog.at_level(logging.WARNING, logger="tixxety.api"):
            response = api_client.get("/api/database-gone")
    finally:
        connection.close()  # the next test reconnects

    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "1"
    assert response.json()["request_id"] == response["X-Request-ID"]
    assert any(r.exc_info and r.name == "tixxety.api" for r in caplog.records)


def test_request_id_is_generated_when_missing_or_unsafe(api_client):
    generated = api_client.get("/healthz")["X-Request-ID"]
    unsafe = api_client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]

    assert len(generated) == 32
    assert unsafe != "bad id\nwith newline" and len(unsafe) == 32


def test_json_log_lines_carry_the_request_id():
    from tixxety.logs import JsonFormatter, RequestIdFilter, request_id_var

    request_id_var.set("abc-12345678")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    RequestIdFilter().filter(record)

    line = JsonFormatter().format(record)

    assert '"message": "hello world"' in line
    assert '"request_id": "abc-12345678"' in line
