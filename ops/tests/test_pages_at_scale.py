"""Every main page stays within its query budget on ``seed_demo --scale 1000`` data."""

import io

import pytest
from django.core.management import call_command

from ops.tests.page_data import shopper_with_history

pytestmark = pytest.mark.django_db

# issue 11: each main page answers in at most 10 SQL queries.
MAX_PAGE_QUERIES = 10


@pytest.fixture
def scaled(settings):
    settings.DEBUG = True  # seed_demo is for development data only
    call_command("seed_demo", "--scale", "1000", stdout=io.StringIO(), stderr=io.StringIO())
    settings.DEBUG = False
    return shopper_with_history()


def test_main_pages_stay_within_the_query_budget_on_scaled_data(
    client, scaled, django_assert_max_num_queries
):
    shopper, pages = scaled
    for name, url in pages.anonymous.items():
        with django_assert_max_num_queries(MAX_PAGE_QUERIES, info=f"anonymous {name}"):
            assert client.get(url).status_code == 200, name

    client.force_login(shopper)
    for name, url in pages.signed_in.items():
        with django_assert_max_num_queries(MAX_PAGE_QUERIES, info=f"signed in {name}"):
            assert client.get(url).status_code == 200, name
