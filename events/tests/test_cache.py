"""The catalogue cache: every catalogue write shows in the next read; roles and URLs do not mix.

Real commits (``transaction=True``) so the on-commit ``catalogue_changed``
bumps really run.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import Event
from events.tests.factories import EventFactory, TicketTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = "/api/events"


@pytest.fixture
def event():
    event = EventFactory(status=Event.Status.PUBLISHED, title="Old title")
    TicketTypeFactory(event=event, name="Regular", capacity=50)
    return event


def _listed(client) -> dict:
    return {e["id"]: e for e in client.get(EVENTS).json()["results"]}


def test_event_venue_and_ticket_type_changes_show_in_the_next_reads(api_client, admin_api, event):
    assert _listed(api_client)[event.pk]["title"] == "Old title"
    assert api_client.get(f"{EVENTS}/{event.pk}/availability").json()[0]["capacity"] == 50

    assert admin_api.patch(f"{EVENTS}/{event.pk}", {"title": "New title"}, format="json").status_code == 200
    services.venue_update(venue=event.venue, name="Renamed hall")
    ticket_type = event.ticket_types.get()
    assert (
        admin_api.patch(f"/api/ticket-types/{ticket_type.pk}", {"capacity": 60}, format="json").status_code
        == 200
    )

    listed = _listed(api_client)[event.pk]
    assert (listed["title"], listed["venue"]["name"], listed["capacity"]) == ("New title", "Renamed hall", 60)
    assert api_client.get(f"{EVENTS}/{event.pk}").json()["available"] == 60
    assert api_client.get(f"{EVENTS}/{event.pk}/availability").json()[0]["capacity"] == 60


def test_seats_generated_show_in_the_next_seat_map(api_client, event):
    assert api_client.get(f"{EVENTS}/{event.pk}/seats").json() == []

    services.seats_generate(event=event, ticket_type=event.ticket_types.get(), rows=1, seats_per_row=2)

    assert [s["label"] for s in api_client.get(f"{EVENTS}/{event.pk}/seats").json()] == ["A1", "A2"]


def test_deactivating_drops_the_event_from_the_next_list(api_client, event):
    assert event.pk in _listed(api_client)

    services.event_deactivate(event=event)

    assert event.pk not in _listed(api_client)


def test_admins_and_the_public_get_their_own_entries(api_client, admin_api, event):
    draft = EventFactory(status=Event.Status.DRAFT)

    assert draft.pk not in _listed(api_client)
    assert draft.pk in _listed(admin_api)
    assert draft.pk not in _listed(api_client)
    assert api_client.get(f"{EVENTS}/{draft.pk}").status_code == 404
    assert admin_api.get(f"{EVENTS}/{draft.pk}").status_code == 200


def test_query_strings_get_their_own_entries_and_errors_are_not_cached(api_client, event):
    assert api_client.get(EVENTS, {"search": "nothing-matches"}).json()["count"] == 0
    assert api_client.get(EVENTS).json()["count"] == 1
    assert api_client.get(EVENTS, {"ordering": "nonsense"}).status_code == 400
    assert api_client.get(EVENTS, {"ordering": "nonsense"}).json()["code"]


def test_an_event_that_ends_leaves_the_list_when_it_ends(api_client, event, settings):
    soon = timezone.now() + timedelta(seconds=1)
    ending = EventFactory(status=Event.Status.PUBLISHED, starts_at=soon - timedelta(hours=1), ends_at=soon)
    assert ending.pk in _listed(api_client)

    # The entry lives until the next event ends, not CATALOGUE_CACHE_SECONDS.
    time.sleep((soon - timezone.now()).total_seconds() + 0.05)

    assert ending.pk not in _listed(api_client)


@pytest.mark.usefixtures("cache_down")
def test_catalogue_writes_answer_with_the_cache_down(admin_api, api_client, event):
    response = admin_api.patch(f"{EVENTS}/{event.pk}", {"title": "Still saved"}, format="json")

    assert (response.status_code, response.json()["title"]) == (200, "Still saved")
    assert _listed(api_client)[event.pk]["title"] == "Still saved"


def test_a_session_signed_admin_is_not_served_the_public_entry(api_client, admin, event):
    draft = EventFactory(status=Event.Status.DRAFT)
    assert draft.pk not in _listed(api_client)
    assert draft.pk not in _listed(api_client)  # now current in the cache

    api_client.force_login(admin)

    assert draft.pk in _listed(api_client)


def test_a_cached_answer_carries_the_headers_of_a_computed_one(api_client, event):
    computed = api_client.get(f"{EVENTS}/{event.pk}")
    cached = api_client.get(f"{EVENTS}/{event.pk}")

    for header in ("Content-Type", "Allow"):
        assert cached[header] == computed[header]
    assert cached.content == computed.content


@pytest.mark.parametrize("path", ["/999999", "/999999/availability", "/999999/seats", "?page=99"])
def test_a_missing_event_or_page_is_answered_from_the_cache_the_second_time(
    api_client, event, path, django_assert_num_queries
):
    first = api_client.get(EVENTS + path)

    with django_assert_num_queries(0):  # a dead link asked for again costs what a cached read costs
        again = api_client.get(EVENTS + path)

    assert (first.status_code, again.status_code) == (404, 404)
    assert again.json() == first.json() and first.json()["code"] == "not_found"


def test_an_event_published_after_its_404_was_cached_is_found(api_client, admin_api):
    draft = EventFactory(status=Event.Status.DRAFT)
    assert api_client.get(f"{EVENTS}/{draft.pk}").status_code == 404
    assert api_client.get(f"{EVENTS}/{draft.pk}").status_code == 404  # now current in the cache

    response = admin_api.patch(f"{EVENTS}/{draft.pk}", {"status": "published"}, format="json")

    assert response.status_code == 200
    assert api_client.get(f"{EVENTS}/{draft.pk}").json()["id"] == draft.pk
