import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


def test_schema_is_openapi_3_with_auth_routes(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/auth/register/", "/api/auth/token/", "/api/auth/me/", "/api/admin/users/"} <= set(
        schema["paths"]
    )


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_local_assets(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assets = _assets(html)
    assert assets, "the page should load its viewer"
    for url in assets:
        assert not re.match(r"^(https?:)?//", url), f"{path} loads {url} from another site"
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not shipped"
    assert "fonts.googleapis" not in html


def test_redoc_forbids_loading_from_other_sites(client):
    policy = client.get("/api/redoc/")["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "img-src 'self' data:" in policy
