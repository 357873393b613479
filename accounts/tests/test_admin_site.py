import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.mark.parametrize("role", [User.Role.STAFF, User.Role.ADMIN])
def test_staff_and_admins_reach_the_admin(client, role):
    client.force_login(UserFactory(role=role))

    assert client.get("/admin/").status_code == 200


def test_customers_are_sent_to_the_admin_login(client):
    client.force_login(UserFactory(role=User.Role.CUSTOMER))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_deactivated_staff_cannot_use_the_admin(client):
    client.force_login(UserFactory(role=User.Role.STAFF, is_active=False))

    assert client.get("/admin/").status_code == 302


def test_admin_searches_and_filters_users(client, admin):
    UserFactory(name="Grace Hopper", role=User.Role.STAFF)
    UserFactory(name="Alan Turing")
    client.force_login(admin)

    searched = client.get(CHANGELIST, {"q": "hopper"})
    filtered = client.get(CHANGELIST, {"role__exact": "staff", "is_active__exact": "1"})

    assert searched.status_code == filtered.status_code == 200
    assert list(searched.context["cl"].result_list.values_list("name", flat=True)) == ["Grace Hopper"]
    assert {u.role for u in filtered.context["cl"].result_list} == {"staff"}


def test_admin_creates_a_user_through_the_add_form(client, admin):
    client.force_login(admin)

    response = client.post(
        f"{CHANGELIST}add/",
        {"email": "New@Example.com", "name": "New", "role": "staff",
         "password1": "Door-Keeper-2026", "password2": "Door-Keeper-2026", "usable_password": "true"},
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get(email="new@example.com")
    assert user.role == "staff" and user.check_password("Door-Keeper-2026")


def test_staff_may_view_but_not_change_users(client, staff, customer):
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    response = client.post(f"{CHANGELIST}{customer.pk}/change/", {"role": "admin"})
    assert response.status_code in (302, 403)
    customer.refresh_from_db()
    assert customer.role == "customer"
