import pytest

from events.models import Event
from events.tests.factories import EventFactory, VenueFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("near", ["1e-200,0", "0,1e-200", "-1e-300,-1e-300"])
def test_near_a_venue_closer_than_a_double_can_square_is_distance_zero(api_client, near):
    # Squaring the half-angle sine of 1e-200 underflowed: PostgreSQL answered an error, the API a 500.
    EventFactory(venue=VenueFactory(latitude=0.0, longitude=0.0), status=Event.Status.PUBLISHED)

    response = api_client.get("/api/events/", {"near": near, "ordering": "distance"})

    assert response.status_code == 200, response.content
    assert [event["distance_km"] for event in response.json()["results"]] == [0.0]
