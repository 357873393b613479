"""The OpenAPI schema agrees with what the API serves.

A walk through every operation as the anonymous visitor, a customer and an
admin, success and error cases alike; each response's status must be one
the schema lists for its operation and its body must match that status's
schema (Schemathesis' own validator). The walk must reach every operation,
so a new one cannot go unchecked. The live fuzzing gate (``.ci/schemathesis_gate.py``)
does the same with generated input.
"""

from datetime import timedelta
from io import StringIO

import pytest
import requests
import schemathesis
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db

DECLINED = "tok_declined"


class SchemaWalk:
    """Send requests, check each response against the schema, remember which operations were seen."""

    def __init__(self, schema: dict):
        self.schema = schemathesis.openapi.from_dict(schema)
        self.operations = {
            (method.upper(), path)
            for path, item in schema["paths"].items()
            for method in item
            if method in ("get", "post", "patch", "put", "delete")
        }
        self.seen = set()

    def __call__(self, client, method, template, expected, *, path=None, **kwargs):
        path = path or template
        response = getattr(client, method.lower())(path, format="json", **kwargs)
        body = response.content.decode(errors="replace")[:500] if not response.streaming else "(stream)"
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {body}"
        operation = self.schema[template][method]
        documented = operation.definition.raw["responses"]
        assert str(response.status_code) in documented, (
            f"{method} {template} answered {response.status_code}, the schema lists {sorted(documented)}"
        )
        operation.validate_response(_as_schemathesis(response, method, path))
        self.seen.add((method, template))
        return response.json() if response.get("Content-Type") == "application/json" else response


def _as_schemathesis(response, method: str, path: str) -> schemathesis.Response:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return schemathesis.Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.items()},
        content=content,
        request=requests.Request(method, f"http://testserver{path}").prepare(),
        elapsed=0.0,
        verify=False,
    )


@pytest.fixture
def walk(api_client):
    return SchemaWalk(api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json())


def test_spectacular_generates_the_schema_without_warnings(tmp_path):
    schema_file = str(tmp_path / "schema.yaml")
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", schema_file, stderr=StringIO())


def test_every_operation_answers_as_the_schema_says(walk, api_client, customer_api, admin_api, customer):
    anonymous, me, admin = api_client, customer_api, admin_api
    starts = timezone.now() + timedelta(days=30)

    # Accounts.
    walk(anonymous, "GET", "/healthz/", 200)
    register = {"name": "Ann", "email": "ann@example.com", "password": "Corr3ct-Horse-Battery"}
    walk(anonymous, "POST", "/api/auth/register/", 201, data=register)
    walk(anonymous, "POST", "/api/auth/register/", 400, data=register)
    credentials = {"email": "ann@example.com", "password": "Corr3ct-Horse-Battery"}
    tokens = walk(anonymous, "POST", "/api/auth/token/", 200, data=credentials)
    walk(anonymous, "POST", "/api/auth/token/", 401, data={**credentials, "password": "wrong"})
    walk(anonymous, "POST", "/api/auth/token/refresh/", 200, data={"refresh": tokens["refresh"]})
    walk(anonymous, "POST", "/api/auth/token/refresh/", 401, data={"refresh": "not-a-token"})
    walk(anonymous, "GET", "/api/auth/me/", 401)
    walk(me, "GET", "/api/auth/me/", 200)

    # The catalogue, built by the admin.
    hall = {"name": "Hall", "latitude": 40.7, "longitude": -74}
    venue = walk(admin, "POST", "/api/venues/", 201, data=hall)
    walk(me, "POST", "/api/venues/", 403, data=hall)
    walk(anonymous, "GET", "/api/venues/", 200)
    venue_path = f"/api/venues/{venue['id']}/"
    walk(anonymous, "GET", "/api/venues/{id}/", 200, path=venue_path)
    walk(admin, "PATCH", "/api/venues/{id}/", 200, path=venue_path, data={"city": "New York"})
    event_body = {
        "title": "Concert", "venue": venue["id"], "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(), "status": "published",
        "ticket_types": [
            {"name": "VIP", "price": "90.00", "capacity": 2},
            {"name": "Regular", "price": "25.00", "capacity": 50},
        ],
    }  # fmt: skip
    event = walk(admin, "POST", "/api/events/", 201, data=event_body)
    vip, regular = (t["id"] for t in event["ticket_types"])
    event_path = f"/api/events/{event['id']}/"
    walk(admin, "PATCH", "/api/events/{id}/", 200, path=event_path, data={"description": "Loud."})
    seated = walk(
        admin, "POST", "/api/events/{id}/ticket-types/", 201, path=f"{event_path}ticket-types/",
        data={"name": "Seated", "price": "40.00", "capacity": 0},
    )  # fmt: skip
    seats = walk(
        admin, "POST", "/api/events/{id}/seats/generate/", 201, path=f"{event_path}seats/generate/",
        data={"ticket_type": seated["id"], "rows": 1, "seats_per_row": 4},
    )  # fmt: skip
    ticket_type_path = f"/api/ticket-types/{regular}/"
    walk(admin, "PATCH", "/api/ticket-types/{id}/", 200, path=ticket_type_path, data={"capacity": 60})
    walk(anonymous, "GET", "/api/ticket-types/{id}/", 200, path=ticket_type_path)
    spare = walk(admin, "POST", "/api/events/", 201, data={**event_body, "title": "Spare"})
    walk(admin, "POST", "/api/events/{id}/deactivate/", 200, path=f"/api/events/{spare['id']}/deactivate/")
    spare_type_path = f"/api/ticket-types/{spare['ticket_types'][0]['id']}/"
    walk(admin, "DELETE", "/api/ticket-types/{id}/", 204, path=spare_type_path)
    walk(admin, "DELETE", "/api/events/{id}/", 204, path=f"/api/events/{spare['id']}/")
    walk(admin, "DELETE", "/api/venues/{id}/", 409, path=venue_path)
    unused = walk(admin, "POST", "/api/venues/", 201, data={"name": "Shed", "latitude": 1, "longitude": 1})
    walk(admin, "DELETE", "/api/venues/{id}/", 204, path=f"/api/venues/{unused['id']}/")

    # Browsing.
    walk(anonymous, "GET", "/api/events/", 200)
    walk(anonymous, "GET", "/api/events/", 200, path="/api/events/?near=40.7,-74&ordering=distance")
    walk(anonymous, "GET", "/api/events/", 400, path="/api/events/?ordering=nonsense")
    walk(anonymous, "GET", "/api/events/", 404, path="/api/events/?page=99")
    walk(anonymous, "GET", "/api/events/{id}/", 200, path=event_path)
    walk(anonymous, "GET", "/api/events/{id}/", 404, path="/api/events/999999/")
    walk(anonymous, "GET", "/api/events/{id}/availability/", 200, path=f"{event_path}availability/")
    walk(anonymous, "GET", "/api/events/{id}/seats/", 200, path=f"{event_path}seats/")
    walk(anonymous, "GET", "/api/events/{id}/ticket-types/", 200, path=f"{event_path}ticket-types/")
    walk(me, "GET", "/api/events/for-you/", 404)
    walk(me, "PATCH", "/api/auth/me/", 200, data={"latitude": 40.7, "longitude": -74})
    walk(me, "GET", "/api/events/for-you/", 200)

    # Booking, paying, refunding, cancelling.
    book = "/api/events/{event_id}/book/"
    book_path = f"/api/events/{event['id']}/book/"
    key = {"HTTP_IDEMPOTENCY_KEY": "first-booking"}
    paid = walk(me, "POST", book, 201, path=book_path, data={"ticket_type": vip, "quantity": 1}, **key)
    walk(me, "POST", book, 201, path=book_path, data={"ticket_type": vip, "quantity": 1}, **key)
    walk(me, "POST", book, 422, path=book_path, data={"ticket_type": vip, "quantity": 2}, **key)
    walk(me, "POST", book, 409, path=book_path, data={"ticket_type": vip, "quantity": 5})
    walk(me, "POST", book, 400, path=book_path, data={})
    refunded = walk(me, "POST", book, 201, path=book_path, data={"seat_ids": [seats[0]["id"]]})
    cancelled = walk(me, "POST", book, 201, path=book_path, data={"ticket_type": regular, "quantity": 1})
    pay = "/api/orders/{id}/pay/"
    walk(me, "POST", pay, 402, path=f"/api/orders/{paid['id']}/pay/", data={"token": DECLINED})
    walk(me, "POST", pay, 200, path=f"/api/orders/{paid['id']}/pay/", data={"token": "tok_visa"})
    walk(me, "POST", pay, 200, path=f"/api/orders/{refunded['id']}/pay/", data={"token": "tok_visa"})
    refund = walk(me, "POST", "/api/orders/{id}/refund/", 200, path=f"/api/orders/{refunded['id']}/refund/")
    assert refund["tickets"][0]["secret"] is None, "a void ticket's secret is withheld"
    walk(me, "POST", "/api/orders/{id}/cancel/", 200, path=f"/api/orders/{cancelled['id']}/cancel/")
    walk(me, "POST", "/api/orders/{id}/cancel/", 409, path=f"/api/orders/{refunded['id']}/cancel/")
    # The waitlist: VIP has one ticket left, so two do not fit and one does.
    waitlist = "/api/events/{event_id}/waitlist/"
    waitlist_path = f"/api/events/{event['id']}/waitlist/"
    entry = walk(me, "POST", waitlist, 201, path=waitlist_path, data={"ticket_type": vip, "quantity": 2})
    walk(admin, "POST", waitlist, 409, path=waitlist_path, data={"ticket_type": vip, "quantity": 1})
    walk(me, "POST", waitlist, 400, path=waitlist_path, data={"ticket_type": vip, "quantity": 0})
    walk(me, "GET", "/api/waitlist/", 200)
    entry_path = f"/api/waitlist/{entry['id']}/"
    walk(me, "DELETE", "/api/waitlist/{entry_id}/", 204, path=entry_path)
    walk(me, "DELETE", "/api/waitlist/{entry_id}/", 404, path="/api/waitlist/999999/")
    walk(me, "GET", "/api/orders/", 200)
    walk(me, "GET", "/api/orders/", 400, path="/api/orders/?status=nonsense")
    walk(me, "GET", "/api/orders/{id}/", 200, path=f"/api/orders/{paid['id']}/")
    walk(me, "GET", "/api/orders/{id}/", 404, path="/api/orders/999999/")

    # The priority queue, on an event sold through it.
    queued_event = walk(
        admin, "POST", "/api/events/", 201, data={**event_body, "title": "On-sale", "sale_mode": "queue"}
    )
    queue, queue_path = (
        "/api/events/{event_id}/ticket-requests/",
        f"/api/events/{queued_event['id']}/ticket-requests/",
    )
    queued_type = queued_event["ticket_types"][0]["id"]
    request = walk(me, "POST", queue, 202, path=queue_path, data={"ticket_type": queued_type, "quantity": 1})
    walk(me, "POST", queue, 409, path=queue_path, data={"ticket_type": queued_type, "quantity": 1})
    walk(admin, "POST", queue, 400, path=queue_path, data={"ticket_type": queued_type})
    walk(me, "GET", "/api/ticket-requests/", 200)
    walk(me, "GET", "/api/ticket-requests/{id}/", 200, path=f"/api/ticket-requests/{request['id']}/")
    walk(me, "GET", "/api/ticket-requests/{id}/", 404, path="/api/ticket-requests/999999/")

    # Tickets and their codes.
    tickets = walk(me, "GET", "/api/tickets/", 200)["results"]
    valid = next(t for t in tickets if t["status"] == "valid")
    void = next(t for t in tickets if t["status"] == "void")
    walk(me, "GET", "/api/tickets/{id}/", 200, path=f"/api/tickets/{void['id']}/")
    walk(me, "GET", "/api/tickets/{id}/qr.png/", 200, path=f"/api/tickets/{valid['id']}/qr.png/")
    walk(me, "GET", "/api/tickets/{id}/qr.svg/", 200, path=f"/api/tickets/{valid['id']}/qr.svg/")
    walk(me, "GET", "/api/tickets/{id}/qr.png/", 409, path=f"/api/tickets/{void['id']}/qr.png/")
    walk(me, "GET", "/api/tickets/{id}/qr.svg/", 404, path="/api/tickets/999999/qr.svg/")
    # At the door, as staff (the admin is staff too).
    verify, checkin = "/api/tickets/verify/{secret}/", "/api/tickets/checkin/{secret}/"
    secret = valid["secret"]
    walk(admin, "GET", verify, 200, path=f"/api/tickets/verify/{secret}/")
    walk(me, "POST", checkin, 403, path=f"/api/tickets/checkin/{secret}/")
    walk(admin, "POST", checkin, 200, path=f"/api/tickets/checkin/{secret}/")
    walk(admin, "POST", checkin, 409, path=f"/api/tickets/checkin/{secret}/")
    walk(admin, "GET", verify, 404, path="/api/tickets/verify/no-such-secret/")
    walk(
        admin,
        "GET",
        "/api/tickets/checkin-count/",
        200,
        path=f"/api/tickets/checkin-count/?event={event['id']}",
    )
    walk(admin, "GET", "/api/tickets/checkin-count/", 400, path="/api/tickets/checkin-count/?event=x")
    walk(me, "GET", "/api/payments/", 200)
    walk(me, "GET", "/api/payments/export/", 403)
    walk(admin, "GET", "/api/payments/export/", 200)

    # The cart.
    walk(me, "POST", "/api/cart/items/", 404, data={"ticket_type": 999999, "quantity": 1})
    cart = walk(me, "POST", "/api/cart/items/", 201, data={"ticket_type": regular, "quantity": 2})
    item_path = f"/api/cart/items/{cart['items'][0]['id']}/"
    walk(me, "PATCH", "/api/cart/items/{item_id}/", 200, path=item_path, data={"quantity": 1})
    walk(me, "GET", "/api/cart/", 200)
    walk(me, "DELETE", "/api/cart/items/{item_id}/", 204, path=item_path)
    walk(me, "POST", "/api/cart/checkout/", 400)
    walk(me, "POST", "/api/cart/items/", 201, data={"seat_id": seats[1]["id"]})
    walk(me, "POST", "/api/cart/checkout/", 201)
    walk(me, "DELETE", "/api/cart/", 204)

    # Users, as the admin.
    walk(me, "GET", "/api/admin/users/", 403)
    walk(admin, "GET", "/api/admin/users/", 200)
    walk(admin, "POST", "/api/admin/users/", 201, data={**register, "email": "bob@example.com"})
    user_path = f"/api/admin/users/{customer.pk}/"
    walk(admin, "GET", "/api/admin/users/{id}/", 200, path=user_path)
    # The filters belong to the list: the schema names them nowhere else; one user is never filtered out.
    walk(admin, "GET", "/api/admin/users/{id}/", 200, path=f"{user_path}?role=admin&search=nobody")
    walk(admin, "PATCH", "/api/admin/users/{id}/", 200, path=user_path, data={"role": "staff"})

    # Analytics, as the admin; the homepage figures for anyone.
    walk(anonymous, "GET", "/api/stats/homepage/", 200)
    walk(me, "GET", "/api/analytics/summary/", 403)
    walk(admin, "GET", "/api/analytics/summary/", 200, path="/api/analytics/summary/?refresh=1")
    walk(admin, "GET", "/api/analytics/sales/", 400, path="/api/analytics/sales/?interval=fortnight")
    for report in ("summary", "sales", "revenue", "users", "tickets"):
        walk(admin, "GET", f"/api/analytics/{report}/", 200)
        walk(admin, "GET", f"/api/analytics/{report}/export/", 200)

    assert walk.operations - walk.seen == set(), "operations this walk does not check yet"
