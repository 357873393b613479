import pytest
from django.db import IntegrityError, transaction

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "location", [{"latitude": 91, "longitude": 0}, {"latitude": 0, "longitude": -181}, {"latitude": 10}]
)
def test_user_location_is_in_range_and_complete(customer, location):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=customer.pk).update(**location)


def test_emails_are_stored_lower_case_and_log_in_case_insensitively():
    user = User.objects.create_user("Mixed.Case@Example.COM", "pw-Long-enough-1", name="M")

    assert user.email == "mixed.case@example.com"
    assert User.objects.get_by_natural_key("MIXED.case@example.com") == user


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("root@example.com", "pw-Long-enough-1", name="Root")

    assert user.role == User.Role.ADMIN and user.is_staff and user.is_superuser
