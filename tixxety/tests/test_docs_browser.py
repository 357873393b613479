"""The API docs render in a real browser that cannot reach the internet."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_offline(offline_page, live_server):
    page = offline_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)

    assert page.locator(".opblock-summary-path").filter(has_text="/api/auth/register/").count() == 1
    assert page.external_requests == []
    assert errors == []


def test_redoc_renders_offline(offline_page, live_server):
    page = offline_page

    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("h1", timeout=15_000)

    assert "Tixxety API" in page.locator("h1").first.inner_text()
    assert page.get_by_text("/api/auth/register/").count() >= 1
    assert page.external_requests == []
