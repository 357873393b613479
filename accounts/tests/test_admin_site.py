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


# --- the change form goes through accounts.services -------------------------


def change_form_data(user, **overrides):
    """The user change form as the browser posts it."""
    return {
        "email": user.email,
        "name": user.name,
        "address": user.address,
        "latitude": "" if user.latitude is None else user.latitude,
        "longitude": "" if user.longitude is None else user.longitude,
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        **overrides,
    }


@pytest.mark.parametrize(
    "overrides", [{"role": User.Role.STAFF}, {"role": User.Role.CUSTOMER}, {"is_active": ""}]
)
def test_admin_cannot_demote_or_deactivate_themselves_in_the_admin(client, admin, overrides):
    client.force_login(admin)

    response = client.post(f"{CHANGELIST}{admin.pk}/change/", change_form_data(admin, **overrides))

    assert response.status_code == 200  # the form again, with the service's refusal
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["An admin cannot demote or deactivate their own account."]
    assert "An admin cannot demote or deactivate their own account." in response.text
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (User.Role.ADMIN, True)


def test_admin_changes_their_own_profile_in_the_admin(client, admin):
    client.force_login(admin)

    response = client.post(f"{CHANGELIST}{admin.pk}/change/", change_form_data(admin, name="Ada Admin"))

    assert response.status_code == 302
    admin.refresh_from_db()
    assert (admin.name, admin.role, admin.is_active) == ("Ada Admin", User.Role.ADMIN, True)


def test_admin_demotes_and_deactivates_another_admin_in_the_admin(client, admin):
    other = UserFactory(role=User.Role.ADMIN)
    client.force_login(admin)

    response = client.post(
        f"{CHANGELIST}{other.pk}/change/",
        change_form_data(other, role=User.Role.STAFF, is_active="", email="Other.Admin@Example.com"),
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.role, other.is_active, other.email) == (User.Role.STAFF, False, "other.admin@example.com")
