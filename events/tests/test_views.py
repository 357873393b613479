"""Catalogue pages: home, the events list and an event page, rendered by the server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory, VenueFactory, catalogue

pytestmark = pytest.mark.django_db

MAX_PAGE_QUERIES = 10


def test_home_shows_stats_and_upcoming_events(client):
    events = catalogue(events=3)
    EventFactory(title="Hidden draft", status=Event.Status.DRAFT)

    response = client.get("/")

    assert response.status_code == 200
    assert response.context["stats"] == {"events": 4, "cities": 2, "tickets_sold": 0}
    assert [e.pk for e in response.context["upcoming"]] == [e.pk for e in events[:4]]
    assert "Hidden draft" not in response.content.decode()
    assert response.context["nearby"] is None


def test_home_shows_events_near_a_signed_in_users_home(client):
    boston = VenueFactory(city="Boston", latitude=42.3601, longitude=-71.0589)
    near = EventFactory(title="Harbour Jazz", venue=boston)
    EventFactory(title="Far Away", venue=VenueFactory(city="Tokyo", latitude=35.68, longitude=139.69))
    client.force_login(UserFactory(latitude=42.36, longitude=-71.06))

    response = client.get("/")

    assert [e.pk for e in response.context["nearby"]] == [near.pk]
    assert "km away" in response.content.decode()


def test_event_list_searches_by_words_and_dates(client):
    soon = EventFactory(title="Jazz Night", starts_at=timezone.now() + timedelta(days=2))
    EventFactory(title="Jazz Later", starts_at=timezone.now() + timedelta(days=40))
    EventFactory(title="Rock Night", starts_at=timezone.now() + timedelta(days=2))
    until = (timezone.localdate() + timedelta(days=10)).isoformat()

    response = client.get("/events/", {"q": "jazz", "date_to": until})

    assert [e.pk for e in response.context["page"].object_list] == [soon.pk]


def test_event_list_near_a_place_is_nearest_first_with_distance(client):
    boston = EventFactory(title="Boston show", venue=VenueFactory(latitude=42.3601, longitude=-71.0589))
    providence = EventFactory(
        title="Providence show", venue=VenueFactory(latitude=41.824, longitude=-71.4128)
    )
    EventFactory(title="Tokyo show", venue=VenueFactory(latitude=35.68, longitude=139.69))

    response = client.get("/events/", {"near": "42.35,-71.06"})

    listed = list(response.context["page"].object_list)
    assert [e.pk for e in listed] == [boston.pk, providence.pk]
    assert listed[0].distance_km < 2
    assert "km away" in response.content.decode()


def test_event_list_near_my_home_needs_a_location(client):
    client.force_login(UserFactory())

    response = client.get("/events/", {"near": "profile"})

    assert response.status_code == 200
    assert "Set your home location in your profile first." in response.content.decode()


def test_event_list_bad_dates_are_a_form_error_not_a_500(client):
    response = client.get("/events/", {"date_from": "2030-02-10", "date_to": "2030-02-01", "page": "x"})

    assert response.status_code == 200
    assert "Must not be earlier than the start date." in response.content.decode()


def test_event_list_paginates_twelve_a_page(client):
    for n in range(14):
        EventFactory(starts_at=timezone.now() + timedelta(days=n + 1))

    first, second = client.get("/events/"), client.get("/events/", {"page": 2})

    assert len(first.context["page"].object_list) == 12
    assert len(second.context["page"].object_list) == 2
    assert "page=2" in first.content.decode()


def test_event_page_asks_a_visitor_to_sign_in_before_booking(client):
    event = EventFactory()
    TicketTypeFactory(event=event)

    body = client.get(f"/events/{event.pk}/").content.decode()

    assert f'href="/accounts/login/?next=/events/{event.pk}/"' in body
    assert "Book now" not in body


def test_event_page_of_a_queued_sale_offers_no_booking(client):
    event = EventFactory(sale_mode=Event.SaleMode.QUEUE)
    TicketTypeFactory(event=event)

    client.force_login(UserFactory())
    body = client.get(f"/events/{event.pk}/").content.decode()

    assert "queued sale" in body
    assert "Book now" not in body


def test_event_page_of_a_draft_is_a_404_page(client):
    event = EventFactory(status=Event.Status.DRAFT)

    response = client.get(f"/events/{event.pk}/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize("signed_in", [False, True])
def test_catalogue_pages_stay_within_the_query_budget(client, django_assert_max_num_queries, signed_in):
    events = catalogue(events=8)
    if signed_in:
        client.force_login(UserFactory(latitude=40.7, longitude=-74.0))
    seated = events[-1]

    for url in (
        "/",
        "/events/",
        "/events/?near=40.7,-74.0",
        f"/events/{events[0].pk}/",
        f"/events/{seated.pk}/",
    ):
        with django_assert_max_num_queries(MAX_PAGE_QUERIES):
            assert client.get(url).status_code == 200
