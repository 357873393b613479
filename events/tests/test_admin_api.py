from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event, Seat, TicketType, Venue
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = EventFactory(title="Demo Event")
    TicketTypeFactory(event=event, name="VIP", capacity=20, priority=10)
    TicketTypeFactory(event=event, name="Regular", capacity=80)
    return event


def _event_payload(at_venue, **overrides):
    starts = timezone.now() + timedelta(days=10)
    return {
        "title": "Summer Festival",
        "description": "Three stages.",
        "venue": at_venue.pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=8)).isoformat(),
        "status": "published",
        "ticket_types": [
            {"name": "VIP", "price": "150.00", "capacity": 20, "priority": 10},
            {"name": "Regular", "price": "50.00", "capacity": 80},
        ],
        **overrides,
    }


def _write_routes(event, venue, ticket_type):
    """Every write route of the catalogue, with a plausible body."""
    return [
        ("post", "/api/venues", {"name": "X", "latitude": 1, "longitude": 1}),
        ("patch", f"/api/venues/{venue.pk}", {"name": "Y"}),
        ("delete", f"/api/venues/{venue.pk}", None),
        ("post", "/api/events", _event_payload(venue)),
        ("patch", f"/api/events/{event.pk}", {"title": "Hijacked"}),
        ("delete", f"/api/events/{event.pk}", None),
        ("post", f"/api/events/{event.pk}/deactivate", None),
        ("post", f"/api/events/{event.pk}/seats/generate", {"ticket_type": ticket_type.pk, "rows": 2}),
        ("post", f"/api/events/{event.pk}/ticket-types", {"name": "Balcony", "price": "10", "capacity": 5}),
        ("patch", f"/api/ticket-types/{ticket_type.pk}", {"capacity": 1}),
        ("delete", f"/api/ticket-types/{ticket_type.pk}", None),
    ]


@pytest.mark.parametrize(
    ("client_fixture", "status"), [("api_client", 401), ("customer_api", 403), ("staff_api", 403)]
)
def test_every_write_route_is_for_admins_only(request, client_fixture, status, event):
    api = request.getfixturevalue(client_fixture)
    venue = VenueFactory()
    ticket_type = event.ticket_types.first()
    before = (Venue.objects.count(), Event.objects.count(), TicketType.objects.count(), Seat.objects.count())

    for method, path, body in _write_routes(event, venue, ticket_type):
        response = getattr(api, method)(path, body)
        assert response.status_code == status, (method, path, response.json())

    assert before == (
        Venue.objects.count(),
        Event.objects.count(),
        TicketType.objects.count(),
        Seat.objects.count(),
    )
    event.refresh_from_db()
    assert event.title == "Demo Event" and event.status == "published"


def test_admin_creates_event_with_ticket_types(admin_api):
    venue = VenueFactory()

    response = admin_api.post("/api/events", _event_payload(venue))

    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "summer-festival"
    assert body["capacity"] == 100
    assert [t["name"] for t in body["ticket_types"]] == ["VIP", "Regular"]


def test_event_slugs_stay_unique(admin_api):
    venue = VenueFactory()
    slugs = [admin_api.post("/api/events", _event_payload(venue)).json()["slug"] for _ in range(3)]

    assert slugs == ["summer-festival", "summer-festival-2", "summer-festival-3"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"venue": 999999}, "venue"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"status": "party"}, "status"),
        ({"hold_minutes": 0}, "hold_minutes"),
        ({"ticket_types": [{"name": "A", "price": "-1", "capacity": 1}]}, "ticket_types"),
        ({"ticket_types": [{"name": "A", "price": "1", "capacity": -5}]}, "ticket_types"),
        (
            {"ticket_types": [{"name": "A", "price": "1", "capacity": 1, "currency": "dollars"}]},
            "ticket_types",
        ),
        (
            {
                "ticket_types": [
                    {"name": "A", "price": "1", "capacity": 1},
                    {"name": "A", "price": "2", "capacity": 1},
                ]
            },
            "ticket_types",
        ),
    ],
)
def test_event_create_validates(admin_api, overrides, field):
    response = admin_api.post("/api/events", _event_payload(VenueFactory(), **overrides))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Event.objects.exists()


def test_event_must_end_after_it_starts(admin_api, event):
    response = admin_api.patch(
        f"/api/events/{event.pk}", {"ends_at": (event.starts_at - timedelta(hours=1)).isoformat()}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "ends_before_start"


def test_admin_updates_and_deactivates_event(admin_api, api_client, event):
    assert admin_api.patch(f"/api/events/{event.pk}/", {"title": "Renamed"}).json()["title"] == "Renamed"

    response = admin_api.post(f"/api/events/{event.pk}/deactivate")

    assert response.status_code == 200
    assert response.json()["status"] == "deactivated"
    assert api_client.get("/api/events").json()["count"] == 0
    assert admin_api.post(f"/api/events/{event.pk}/deactivate").status_code == 200  # idempotent


def test_status_transitions_are_checked(admin_api, event):
    admin_api.patch(f"/api/events/{event.pk}", {"status": "cancelled"})

    response = admin_api.patch(f"/api/events/{event.pk}", {"status": "published"})

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_event_with_sales_cannot_be_deleted_or_cancelled(admin_api, event):
    TicketType.objects.filter(event=event, name="VIP").update(sold_count=3)

    delete = admin_api.delete(f"/api/events/{event.pk}")
    cancel = admin_api.patch(f"/api/events/{event.pk}", {"status": "cancelled"})

    assert delete.status_code == cancel.status_code == 409
    assert delete.json() == {
        "detail": "The event has orders: deactivate it instead of deleting it.",
        "code": "has_orders",
    }
    assert Event.objects.get(pk=event.pk).status == "published"


def test_event_without_sales_can_be_deleted(admin_api, event):
    assert admin_api.delete(f"/api/events/{event.pk}").status_code == 204
    assert not Event.objects.exists()


def test_venue_in_use_cannot_be_deleted(admin_api, event):
    response = admin_api.delete(f"/api/venues/{event.venue_id}")

    assert response.status_code == 409
    assert response.json()["code"] == "in_use"


def test_venue_crud(admin_api, api_client):
    created = admin_api.post(
        "/api/venues", {"name": "O2", "city": "London", "latitude": 51.503, "longitude": 0.0032}
    )
    assert created.status_code == 201
    venue_id = created.json()["id"]

    assert api_client.get(f"/api/venues/{venue_id}").json()["city"] == "London"
    assert admin_api.patch(f"/api/venues/{venue_id}", {"latitude": 95}).status_code == 400
    assert admin_api.delete(f"/api/venues/{venue_id}").status_code == 204


# --- capacity guardrails ------------------------------------------------------


def test_capacity_cannot_drop_below_reserved_plus_sold(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    TicketType.objects.filter(pk=vip.pk).update(reserved_count=5, sold_count=10)

    response = admin_api.patch(f"/api/ticket-types/{vip.pk}", {"capacity": 14})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Capacity of 'VIP' cannot drop below 15 (reserved + sold).",
        "code": "capacity_below_booked",
    }
    vip.refresh_from_db()
    assert vip.capacity == 20


def test_capacity_can_drop_to_exactly_reserved_plus_sold(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    TicketType.objects.filter(pk=vip.pk).update(reserved_count=5, sold_count=10)

    response = admin_api.patch(f"/api/ticket-types/{vip.pk}", {"capacity": 15, "price": "99.50"})

    assert response.status_code == 200
    assert (response.json()["capacity"], response.json()["available"], response.json()["price"]) == (
        15,
        0,
        "99.50",
    )


def test_a_seated_ticket_type_capacity_follows_its_seats(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    admin_api.post(f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 2})

    response = admin_api.patch(f"/api/ticket-types/{vip.pk}", {"capacity": 25})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Capacity of 'VIP' is its 20 seats: generate or replace seats to change it.",
        "code": "capacity_follows_seats",
    }
    vip.refresh_from_db()
    assert vip.capacity == Seat.objects.filter(ticket_type=vip).count() == 20


def test_ticket_type_with_sales_cannot_be_deleted(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    TicketType.objects.filter(pk=vip.pk).update(reserved_count=1)

    assert admin_api.delete(f"/api/ticket-types/{vip.pk}").status_code == 409
    assert TicketType.objects.filter(pk=vip.pk).exists()


def test_ticket_type_names_are_unique_per_event(admin_api, event):
    response = admin_api.post(
        f"/api/events/{event.pk}/ticket-types", {"name": "VIP", "price": "1", "capacity": 1}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate"


def test_admin_adds_a_ticket_type(admin_api, event):
    response = admin_api.post(
        f"/api/events/{event.pk}/ticket-types", {"name": "Balcony", "price": "12.5", "capacity": 30}
    )

    assert response.status_code == 201
    assert response.json()["available"] == 30


# --- seats ------------------------------------------------------------------


def test_seat_grid_generation_labels_and_capacity(admin_api, api_client, event):
    vip = event.ticket_types.get(name="VIP")

    response = admin_api.post(f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 3})

    assert response.status_code == 201
    seats = api_client.get(f"/api/events/{event.pk}/seats").json()
    assert len(seats) == 30
    assert [s["label"] for s in seats[:3]] == ["A1", "A2", "A3"]
    assert seats[-1] == {
        "id": seats[-1]["id"],
        "label": "C10",
        "row": "C",
        "number": 10,
        "ticket_type": vip.pk,
        "state": "free",
    }
    vip.refresh_from_db()
    assert vip.capacity == 30
    assert api_client.get(f"/api/events/{event.pk}").json()["seated"] is True


def test_seat_rows_continue_for_another_ticket_type(admin_api, event):
    vip, regular = event.ticket_types.get(name="VIP"), event.ticket_types.get(name="Regular")
    admin_api.post(
        f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 2, "seats_per_row": 4}
    )

    admin_api.post(
        f"/api/events/{event.pk}/seats/generate", {"ticket_type": regular.pk, "rows": 1, "seats_per_row": 4}
    )

    assert list(Seat.objects.filter(ticket_type=regular).values_list("label", flat=True)) == [
        "C1",
        "C2",
        "C3",
        "C4",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"rows": 0},
        {"rows": 53},
        {"rows": 2, "seats_per_row": 0},
        {"rows": 2, "seats_per_row": 201},
        {"rows": "many"},
        {"rows": 2, "ticket_type": "vip"},
        {"ticket_type": None, "rows": 2},
    ],
)
def test_seat_generation_limits(admin_api, event, body):
    body = {"ticket_type": event.ticket_types.first().pk, **body}

    response = admin_api.post(f"/api/events/{event.pk}/seats/generate", body)

    assert response.status_code == 400
    assert not Seat.objects.exists()


def test_seat_generation_refuses_more_than_5000_seats_per_event(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    assert (
        admin_api.post(
            f"/api/events/{event.pk}/seats/generate",
            {"ticket_type": vip.pk, "rows": 25, "seats_per_row": 200},
        ).status_code
        == 201
    )

    response = admin_api.post(
        f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 1, "seats_per_row": 1}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "grid_out_of_range"
    assert Seat.objects.count() == 5000


def test_seat_generation_for_a_ticket_type_of_another_event_is_404(admin_api, event):
    other = TicketTypeFactory()

    response = admin_api.post(f"/api/events/{event.pk}/seats/generate", {"ticket_type": other.pk, "rows": 1})

    assert response.status_code == 404
    assert not Seat.objects.exists()


def test_replacing_seats_of_a_type_with_sales_is_refused(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    admin_api.post(f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 2})
    TicketType.objects.filter(pk=vip.pk).update(sold_count=1)

    response = admin_api.post(
        f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 1, "replace": True}
    )

    assert response.status_code == 400
    assert "'VIP'" in response.json()["detail"]
    assert Seat.objects.filter(ticket_type=vip).count() == 20


def test_replacing_seats_without_sales_rebuilds_the_grid(admin_api, event):
    vip = event.ticket_types.get(name="VIP")
    admin_api.post(f"/api/events/{event.pk}/seats/generate", {"ticket_type": vip.pk, "rows": 2})

    admin_api.post(
        f"/api/events/{event.pk}/seats/generate",
        {"ticket_type": vip.pk, "rows": 1, "seats_per_row": 5, "replace": True},
    )

    assert list(Seat.objects.filter(ticket_type=vip).values_list("label", flat=True)) == [
        "A1",
        "A2",
        "A3",
        "A4",
        "A5",
    ]
    vip.refresh_from_db()
    assert vip.capacity == 5


def test_seat_map_of_a_draft_is_hidden(api_client):
    draft = EventFactory(status=Event.Status.DRAFT)

    assert api_client.get(f"/api/events/{draft.pk}/seats").status_code == 404
