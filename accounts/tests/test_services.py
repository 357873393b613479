"""The accounts services write only their own fields, and keep an admin from locking themselves out."""

import pytest

from accounts.models import User
from accounts.services import user_create, user_update, user_update_profile
from accounts.tests.factories import UserFactory
from tixxety.exceptions import EmailAlreadyRegistered, SelfLockout
from tixxety.services import NotWritable

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "changes", [{"role": User.Role.ADMIN}, {"is_active": False}, {"email": "x@example.com"}]
)
def test_user_update_profile_writes_only_profile_fields(customer, changes):
    with pytest.raises(NotWritable, match="user_update_profile does not write"):
        user_update_profile(user=customer, name="Renamed", **changes)

    stored = User.objects.get(pk=customer.pk)
    assert (stored.name, stored.role, stored.is_active, stored.email) == (
        customer.name,
        User.Role.CUSTOMER,
        True,
        customer.email,
    )


@pytest.mark.parametrize("changes", [{"password": "plain"}, {"date_joined": None}, {"last_login": None}])
def test_user_update_refuses_fields_outside_its_list(admin, customer, changes):
    with pytest.raises(NotWritable, match="user_update does not write"):
        user_update(user=customer, by=admin, role=User.Role.STAFF, **changes)

    assert User.objects.get(pk=customer.pk).role == User.Role.CUSTOMER


def test_user_create_refuses_fields_outside_the_profile():
    with pytest.raises(NotWritable, match="user_create does not write"):
        user_create(email="new@example.com", name="New", password="Door-Keeper-2026", last_login=None)

    assert not User.objects.filter(email="new@example.com").exists()


def test_user_update_stores_a_new_email_lower_cased_and_refuses_a_taken_one(admin, customer):
    other = UserFactory(email="taken@example.com")

    assert user_update(user=customer, by=admin, email=" New@Example.COM ").email == "new@example.com"
    with pytest.raises(EmailAlreadyRegistered):
        user_update(user=customer, by=admin, email="TAKEN@example.com")

    assert User.objects.get(pk=customer.pk).email == "new@example.com"
    assert User.objects.get(pk=other.pk).email == "taken@example.com"


@pytest.mark.parametrize("changes", [{"role": User.Role.STAFF}, {"is_active": False}])
def test_an_admin_cannot_lock_themselves_out(admin, changes):
    with pytest.raises(SelfLockout):
        user_update(user=admin, by=admin, **changes)

    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (User.Role.ADMIN, True)
