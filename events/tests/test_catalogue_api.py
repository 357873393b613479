from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/events"
NEW_YORK = (40.7128, -74.0060)
LONDON = (51.5074, -0.1278)
LAGOS = (6.5244, 3.3792)
NEAR_NEW_YORK = "40.7128,-74.0060"
NEAR_LAGOS = "6.5244,3.3792"


def _titles(response):
    assert response.status_code == 200, response.json()
    return [event["title"] for event in response.json()["results"]]


@pytest.fixture
def cities():
    """A published event in New York, Brooklyn, London and Lagos, one day apart."""
    now = timezone.now()
    made = {}
    for day, (title, city, (lat, lng), price) in enumerate(
        [
            ("Jazz at the Garden", "New York", (40.7505, -73.9934), "80.00"),
            ("Brooklyn Indie Night", "New York", (40.7193, -73.9387), "35.00"),
            ("Proms in the Park", "London", (51.5009, -0.1774), "55.00"),
            ("Afrobeats Live", "Lagos", (6.4253, 3.4209), "20.00"),
        ],
        start=1,
    ):
        venue = VenueFactory(name=f"{title} Hall", city=city, latitude=lat, longitude=lng)
        event = EventFactory(title=title, venue=venue, starts_at=now + timedelta(days=day))
        TicketTypeFactory(
            event=event, name="Regular", price=Decimal(price), capacity=100, reserved_count=5, sold_count=10
        )
        TicketTypeFactory(event=event, name="VIP", price=Decimal(price) * 3, capacity=10)
        made[title] = event
    return made


def test_list_shows_published_upcoming_events_with_figures(api_client, cities):
    EventFactory(title="Secret Draft", status=Event.Status.DRAFT)
    EventFactory(title="Stopped", status=Event.Status.DEACTIVATED)
    EventFactory(
        title="Last Year",
        starts_at=timezone.now() - timedelta(days=400),
        ends_at=timezone.now() - timedelta(days=399),
    )

    response = api_client.get(EVENTS)

    assert _titles(response) == [
        "Jazz at the Garden",
        "Brooklyn Indie Night",
        "Proms in the Park",
        "Afrobeats Live",
    ]
    first = response.json()["results"][0]
    assert first["capacity"] == 110
    assert first["booked_count"] == 15
    assert first["available"] == 95
    assert first["min_price"] == "80.00"
    assert first["venue"]["city"] == "New York"
    assert "distance_km" not in first


def test_list_can_include_past_events(api_client, cities):
    EventFactory(
        title="Last Year",
        starts_at=timezone.now() - timedelta(days=400),
        ends_at=timezone.now() - timedelta(days=399),
    )

    assert "Last Year" in _titles(api_client.get(EVENTS, {"include_past": "true"}))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jazz", ["Jazz at the Garden"]),
        ("LONDON", ["Proms in the Park"]),
        ("indie night", ["Brooklyn Indie Night"]),
        (
            "Main Street",
            ["Jazz at the Garden", "Brooklyn Indie Night", "Proms in the Park", "Afrobeats Live"],
        ),
        ("live music", ["Jazz at the Garden", "Brooklyn Indie Night", "Proms in the Park", "Afrobeats Live"]),
        ("nothing-matches", []),
    ],
)
def test_search_covers_title_description_venue_and_address(api_client, cities, query, expected):
    assert _titles(api_client.get(EVENTS, {"search": query})) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-starts_at", ["Afrobeats Live", "Proms in the Park", "Brooklyn Indie Night", "Jazz at the Garden"]),
        ("title", ["Afrobeats Live", "Brooklyn Indie Night", "Jazz at the Garden", "Proms in the Park"]),
        ("price", ["Afrobeats Live", "Brooklyn Indie Night", "Proms in the Park", "Jazz at the Garden"]),
        ("-price", ["Jazz at the Garden", "Proms in the Park", "Brooklyn Indie Night", "Afrobeats Live"]),
    ],
)
def test_ordering(api_client, cities, ordering, expected):
    assert _titles(api_client.get(EVENTS, {"ordering": ordering})) == expected


def test_date_range_and_venue_filters(api_client, cities):
    now = timezone.now()
    window = {
        "starts_after": (now + timedelta(days=1, hours=12)).isoformat(),
        "starts_before": (now + timedelta(days=3, hours=12)).isoformat(),
    }

    assert _titles(api_client.get(EVENTS, window)) == ["Brooklyn Indie Night", "Proms in the Park"]
    venue = cities["Afrobeats Live"].venue_id
    assert _titles(api_client.get(EVENTS, {"venue": venue})) == ["Afrobeats Live"]
    assert _titles(api_client.get(EVENTS, {**window, "search": "proms", "ordering": "-starts_at"})) == [
        "Proms in the Park"
    ]


def test_date_filters_accept_plain_dates(api_client, cities):
    tomorrow = (timezone.now() + timedelta(days=2)).date().isoformat()

    assert api_client.get(EVENTS, {"starts_after": tomorrow}).status_code == 200


def test_pagination(api_client, cities):
    first = api_client.get(EVENTS, {"page_size": 3}).json()
    second = api_client.get(EVENTS, {"page_size": 3, "page": 2}).json()

    assert first["count"] == 4
    assert len(first["results"]) == 3 and first["next"] and first["previous"] is None
    assert [e["title"] for e in second["results"]] == ["Afrobeats Live"]
    assert api_client.get(EVENTS, {"page": 9}).status_code == 404


def test_near_filters_by_radius_and_orders_by_distance(api_client, cities):
    response = api_client.get(EVENTS, {"near": NEAR_NEW_YORK, "radius_km": 50, "ordering": "distance"})

    assert _titles(response) == ["Jazz at the Garden", "Brooklyn Indie Night"]  # 4.3 km, 5.7 km
    distances = [e["distance_km"] for e in response.json()["results"]]
    assert distances == sorted(distances)
    assert all(0 < d < 50 for d in distances)


def test_near_distance_matches_known_city_distance(api_client, cities):
    """New York to London is about 5,570 km (great circle)."""
    london_venue = cities["Proms in the Park"].venue
    london_venue.latitude, london_venue.longitude = LONDON
    london_venue.save()

    response = api_client.get(EVENTS, {"near": NEAR_NEW_YORK, "search": "proms"})

    [event] = response.json()["results"]
    assert event["distance_km"] == pytest.approx(5570, rel=0.01)


def test_near_without_radius_returns_all_with_distances(api_client, cities):
    response = api_client.get(EVENTS, {"near": NEAR_LAGOS, "ordering": "-distance"})

    assert _titles(response)[-1] == "Afrobeats Live"
    assert all("distance_km" in e for e in response.json()["results"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"near": "abc"}, "near"),
        ({"near": "40.7"}, "near"),
        ({"near": "91,0"}, "near"),
        ({"near": "0,181"}, "near"),
        ({"near": "40.7,-74", "radius_km": "-1"}, "radius_km"),
        ({"near": "40.7,-74", "radius_km": "far"}, "radius_km"),
        ({"radius_km": "10"}, "radius_km"),
        ({"ordering": "popularity"}, "ordering"),
        ({"ordering": "distance"}, "ordering"),
        ({"starts_after": "next tuesday"}, "starts_after"),
        ({"starts_before": "2026-13-45"}, "starts_before"),
        ({"starts_after": "2027-02-01", "starts_before": "2027-01-01"}, "starts_before"),
        ({"venue": "x"}, "venue"),
        ({"status": "archived"}, "status"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(api_client, params, field):
    response = api_client.get(EVENTS, params)

    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"]
    assert body["detail"] and body["code"]


def test_list_does_not_query_per_event(api_client, django_assert_max_num_queries):
    for n in range(100):
        event = EventFactory(title=f"Gig {n}")
        TicketTypeFactory(event=event, name="Regular")
        TicketTypeFactory(event=event, name="VIP")

    # The count, the page, and when the next event ends (the cached page's lifetime).
    with django_assert_max_num_queries(3):
        response = api_client.get(EVENTS, {"page_size": 100, "near": NEAR_NEW_YORK})

    assert len(response.json()["results"]) == 100


def test_detail_shows_ticket_types_and_figures(api_client, cities):
    event = cities["Jazz at the Garden"]

    response = api_client.get(f"{EVENTS}/{event.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["description"] == event.description
    assert body["capacity"] == 110 and body["booked_count"] == 15 and body["available"] == 95
    assert body["waitlisted_count"] == 0
    assert [
        (t["name"], t["price"], t["capacity"], t["available"], t["waitlisted_count"])
        for t in body["ticket_types"]
    ] == [
        ("Regular", "80.00", 100, 85, 0),
        ("VIP", "240.00", 10, 10, 0),
    ]


def test_detail_hides_drafts_from_the_public_but_not_from_admins(api_client, customer_api, admin_api):
    draft = EventFactory(status=Event.Status.DRAFT)

    assert api_client.get(f"{EVENTS}/{draft.pk}").status_code == 404
    assert customer_api.get(f"{EVENTS}/{draft.pk}").status_code == 404
    assert admin_api.get(f"{EVENTS}/{draft.pk}").status_code == 200


def test_deactivated_event_stays_readable_but_unlisted(api_client):
    event = EventFactory(status=Event.Status.DEACTIVATED)

    assert api_client.get(f"{EVENTS}/{event.pk}").json()["status"] == "deactivated"
    assert api_client.get(EVENTS).json()["count"] == 0


def test_admins_list_every_status_and_filter_by_it(admin_api, cities):
    EventFactory(title="Secret Draft", status=Event.Status.DRAFT)

    assert "Secret Draft" in _titles(admin_api.get(EVENTS))
    assert _titles(admin_api.get(EVENTS, {"status": "draft"})) == ["Secret Draft"]


@pytest.mark.parametrize("path", ["/api/events/abc", "/api/events/999999", "/api/events/1.5/availability"])
def test_unknown_or_malformed_event_ids_are_404(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_availability_per_ticket_type(api_client, cities):
    event = cities["Jazz at the Garden"]

    response = api_client.get(f"{EVENTS}/{event.pk}/availability")

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert rows["Regular"] == {
        "ticket_type": rows["Regular"]["ticket_type"],
        "name": "Regular",
        "price": "80.00",
        "currency": "USD",
        "capacity": 100,
        "reserved": 5,
        "sold": 10,
        "available": 85,
    }
    assert rows["VIP"]["available"] == 10


def test_ticket_types_of_an_event_are_public(api_client, cities):
    event = cities["Jazz at the Garden"]

    response = api_client.get(f"{EVENTS}/{event.pk}/ticket-types")

    assert response.status_code == 200
    assert {t["name"] for t in response.json()} == {"Regular", "VIP"}
    one = response.json()[0]["id"]
    assert api_client.get(f"/api/ticket-types/{one}").json()["event"] == event.pk


# --- for you ----------------------------------------------------------------


def test_for_you_lists_events_near_the_user_nearest_first(client_for, customer, cities):
    customer.latitude, customer.longitude = NEW_YORK
    customer.save()

    response = client_for(customer).get(f"{EVENTS}/for-you")

    assert _titles(response) == ["Jazz at the Garden", "Brooklyn Indie Night"]
    assert response.json()["results"][0]["distance_km"] == pytest.approx(4.3, abs=0.1)


def test_for_you_widens_with_max_distance(client_for, customer, cities):
    customer.latitude, customer.longitude = NEW_YORK
    customer.save()

    response = client_for(customer).get(f"{EVENTS}/for-you/", {"max_distance_km": 6000})

    assert _titles(response) == ["Jazz at the Garden", "Brooklyn Indie Night", "Proms in the Park"]


def test_for_you_without_location_is_404(customer_api):
    response = customer_api.get(f"{EVENTS}/for-you")

    assert response.status_code == 404
    assert response.json() == {"detail": "User location not set", "code": "location_not_set"}


def test_for_you_needs_a_signed_in_user(api_client):
    assert api_client.get(f"{EVENTS}/for-you").status_code == 401


def test_for_you_rejects_bad_distance(client_for, customer):
    customer.latitude, customer.longitude = NEW_YORK
    customer.save()

    response = client_for(customer).get(f"{EVENTS}/for-you", {"max_distance_km": "-5"})

    assert response.status_code == 400
    assert "max_distance_km" in response.json()["errors"]
