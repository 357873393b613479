"""Friendly error pages for people; the API keeps answering errors in JSON."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_unknown_page_is_the_friendly_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode() and 'href="/events/"' in response.content.decode()


def test_unknown_api_path_is_still_json(client):
    response = client.get("/api/no-such-thing/")

    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.urls("tixxety.tests.urls_failing_page")
def test_failing_page_is_the_friendly_500_without_details():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body and "page exploded" not in body
