"""Analytics hears every change it counts: the report version moves with the orders' notifications."""

import pytest
from django.core.cache import cache

from analytics.cache import REPORT_VERSION_KEY, report_version
from orders.services import order_pay, order_refund, order_reserve

pytestmark = pytest.mark.usefixtures("invariants")


@pytest.mark.django_db
def test_the_report_version_moves_with_every_booking_payment_and_release(
    sale, customer, django_capture_on_commit_callbacks
):
    event, regular = sale
    cache.delete(REPORT_VERSION_KEY)
    versions = [report_version()]
    with django_capture_on_commit_callbacks(execute=True):
        order = order_reserve(user=customer, event_id=event.pk, items=[(regular.pk, 1)])
    versions.append(report_version())
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    versions.append(report_version())
    with django_capture_on_commit_callbacks(execute=True):
        order_refund(order_id=order.pk, by=customer)
    versions.append(report_version())

    assert versions == sorted(set(versions)), versions  # each step a new, higher version
