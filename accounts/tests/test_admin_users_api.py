import pytest

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

USERS = "/api/admin/users"


@pytest.mark.parametrize("role_api", ["customer_api", "staff_api"])
def test_admin_routes_are_403_for_non_admins(request, role_api, customer):
    api = request.getfixturevalue(role_api)

    responses = [
        api.get(USERS),
        api.get(f"{USERS}/{customer.pk}"),
        api.post(USERS, {"name": "x", "email": "x@example.com", "password": PASSWORD}),
        api.patch(f"{USERS}/{customer.pk}", {"role": "admin"}),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert responses[0].json() == {"detail": "Admin access required.", "code": "permission_denied"}
    customer.refresh_from_db()
    assert customer.role == "customer"


def test_admin_routes_are_401_anonymously(api_client):
    assert api_client.get(USERS).status_code == 401


def test_admin_lists_users_paginated(admin_api):
    UserFactory.create_batch(3)

    response = admin_api.get(USERS, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"] is None


def test_admin_page_size_is_capped_at_100(admin_api):
    response = admin_api.get(USERS, {"page_size": 1000})

    assert response.status_code == 200


def test_admin_filters_users(admin_api):
    UserFactory(name="Grace Hopper", role=User.Role.STAFF)
    UserFactory(name="Alan Turing", is_active=False)

    assert [u["name"] for u in admin_api.get(USERS, {"search": "hopper"}).json()["results"]] == [
        "Grace Hopper"
    ]
    assert [u["role"] for u in admin_api.get(USERS, {"role": "staff"}).json()["results"]] == ["staff"]
    assert [u["name"] for u in admin_api.get(USERS, {"is_active": "false"}).json()["results"]] == [
        "Alan Turing"
    ]


def test_admin_creates_user_with_role(admin_api, api_client):
    response = admin_api.post(
        USERS, {"name": "Door Staff", "email": "door@example.com", "password": PASSWORD, "role": "staff"}
    )

    assert response.status_code == 201
    assert response.json()["role"] == "staff"
    assert (
        api_client.post("/api/auth/token", {"email": "door@example.com", "password": PASSWORD}).status_code
        == 200
    )


def test_admin_create_duplicate_email(admin_api, customer):
    response = admin_api.post(USERS, {"name": "x", "email": customer.email, "password": PASSWORD})

    assert response.status_code == 400
    assert response.json()["detail"] == "Email already registered"


def test_admin_changes_role(admin_api, customer):
    response = admin_api.patch(f"{USERS}/{customer.pk}", {"role": "staff"})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.role == "staff"


def test_admin_rejects_unknown_role(admin_api, customer):
    response = admin_api.patch(f"{USERS}/{customer.pk}", {"role": "superhero"})

    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_deactivated_user_cannot_get_a_token_and_loses_access(admin_api, api_client, client_for, customer):
    existing_session = client_for(customer)

    response = admin_api.patch(f"{USERS}/{customer.pk}", {"is_active": False})

    assert response.status_code == 200
    login = api_client.post("/api/auth/token", {"email": customer.email, "password": PASSWORD})
    assert login.status_code == 401
    assert existing_session.get("/api/auth/me").status_code == 401


def test_admin_cannot_lock_themselves_out(admin_api, admin):
    demote = admin_api.patch(f"{USERS}/{admin.pk}", {"role": "customer"})
    deactivate = admin_api.patch(f"{USERS}/{admin.pk}", {"is_active": False})

    assert demote.status_code == deactivate.status_code == 409
    assert demote.json()["code"] == "self_lockout"
    admin.refresh_from_db()
    assert admin.role == "admin" and admin.is_active


def test_unknown_and_malformed_user_ids_are_404(admin_api):
    for path in (f"{USERS}/999999", f"{USERS}/abc"):
        response = admin_api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_admin_users_delete_is_405(admin_api, customer):
    response = admin_api.delete(f"{USERS}/{customer.pk}")

    assert response.status_code == 405
    assert User.objects.filter(pk=customer.pk).exists()
