"""Every report's answer matches the OpenAPI schema it publishes."""

import jsonschema
import pytest

from analytics.tests.world import build_world

pytestmark = pytest.mark.django_db

REPORTS = [
    ("/api/analytics/summary", {}),
    ("/api/analytics/sales", {"from": "2026-03-01", "to": "2026-03-31", "interval": "week"}),
    ("/api/analytics/revenue", {}),
    ("/api/analytics/users", {"from": "2026-03-01", "to": "2026-03-03"}),
    ("/api/analytics/tickets", {}),
    ("/api/stats/homepage", {}),
]


def _json_schema(node, components):
    """An OpenAPI 3.0 schema as plain JSON Schema: references inlined, ``nullable`` as a null type."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    schema = {key: _json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


@pytest.fixture
def openapi(api_client):
    return api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


@pytest.mark.parametrize(("path", "params"), REPORTS)
def test_the_answer_matches_the_published_schema(admin_api, staff, openapi, path, params):
    build_world(staff=staff)
    operation = openapi["paths"][f"{path}/"]["get"]
    published = operation["responses"]["200"]["content"]["application/json"]["schema"]
    schema = _json_schema(published, openapi["components"]["schemas"])
    documented = {parameter["name"] for parameter in operation.get("parameters", [])}

    response = admin_api.get(path, params)

    assert response.status_code == 200
    assert set(params) <= documented
    jsonschema.validate(response.json(), schema)
    assert set(response.json()) == set(schema["properties"])  # nothing undocumented either


def test_an_error_matches_the_published_schema(customer_api, openapi):
    operation = openapi["paths"]["/api/analytics/summary/"]["get"]
    schema = _json_schema(
        operation["responses"]["403"]["content"]["application/json"]["schema"],
        openapi["components"]["schemas"],
    )

    response = customer_api.get("/api/analytics/summary")

    assert response.status_code == 403
    jsonschema.validate(response.json(), schema)
