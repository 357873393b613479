from datetime import timedelta

import jwt
import pytest
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
TOKEN = "/api/auth/token"
REFRESH = "/api/auth/token/refresh"
ME = "/api/auth/me"

GOOD = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "Analytical-Engine-1843"}


# --- registration -----------------------------------------------------------


def test_register_creates_customer_without_echoing_password(api_client):
    response = api_client.post(REGISTER, GOOD)

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["role"] == "customer"
    assert "password" not in body
    user = User.objects.get(email="ada@example.com")
    assert user.check_password(GOOD["password"])
    assert not user.password.startswith(GOOD["password"])


def test_register_accepts_location(api_client):
    response = api_client.post(REGISTER, {**GOOD, "address": "NYC", "latitude": 40.75, "longitude": -73.99})

    assert response.status_code == 201
    assert response.json()["latitude"] == 40.75


def test_register_duplicate_email_is_refused_case_insensitively(api_client):
    api_client.post(REGISTER, GOOD)

    response = api_client.post(REGISTER, {**GOOD, "email": "ADA@Example.com"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Email already registered", "code": "email_taken"}
    assert User.objects.count() == 1


def test_register_invalid_email(api_client):
    response = api_client.post(REGISTER, {**GOOD, "email": "not-an-email"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"] == "Enter a valid email address."
    assert "email" in body["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "password_too_short"),
        ("password123", "password_too_common"),
        ("73829104857362", "password_entirely_numeric"),
        ("ada@example.com", "password_too_similar"),
    ],
)
def test_register_weak_password(api_client, password, code):
    response = api_client.post(REGISTER, {**GOOD, "password": password})

    assert response.status_code == 400
    body = response.json()
    assert "password" in body["errors"]
    assert code in {body["code"]}
    assert not User.objects.exists()


def test_register_missing_fields_names_them(api_client):
    response = api_client.post(REGISTER, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "email", "password"}


def test_register_half_a_location_is_refused(api_client):
    response = api_client.post(REGISTER, {**GOOD, "latitude": 10})

    assert response.status_code == 400
    assert "latitude" in response.json()["errors"]
    assert not User.objects.exists()


# --- tokens -----------------------------------------------------------------


def test_token_pair_from_json(api_client, customer):
    response = api_client.post(TOKEN, {"email": customer.email, "password": PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert AccessToken(response.json()["access"])["user_id"] == str(customer.pk)


def test_token_from_form_with_username_for_email(api_client, customer):
    response = api_client.post(
        TOKEN, {"username": customer.email.upper(), "password": PASSWORD}, format="multipart"
    )

    assert response.status_code == 200
    assert "access" in response.json()


def test_token_urlencoded_form(api_client, customer):
    body = f"username={customer.email}&password={PASSWORD}"
    response = api_client.generic("POST", TOKEN, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200


def test_token_wrong_password_is_401(api_client, customer):
    response = api_client.post(TOKEN, {"email": customer.email, "password": "wrong"})

    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account"


def test_token_without_email_is_400(api_client):
    response = api_client.post(TOKEN, {"password": "x"})

    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_refresh_returns_new_access_token(api_client, customer):
    refresh = api_client.post(TOKEN, {"email": customer.email, "password": PASSWORD}).json()["refresh"]

    response = api_client.post(REFRESH, {"refresh": refresh})

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(customer.pk)


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(REFRESH, {"refresh": "garbage"})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# --- me ---------------------------------------------------------------------


def test_me_reads_profile(customer_api, customer):
    response = customer_api.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    assert response.json()["role"] == "customer"


def test_me_updates_name_and_location_but_not_role_or_email(customer_api, customer):
    response = customer_api.patch(
        ME,
        {"name": "New Name", "latitude": -33.87, "longitude": 151.21, "role": "admin", "email": "x@y.z"},
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.latitude, customer.longitude) == ("New Name", -33.87, 151.21)
    assert customer.role == "customer"
    assert customer.email != "x@y.z"


@pytest.mark.parametrize(
    "location",
    [
        {"latitude": 90.01, "longitude": 0},
        {"latitude": -90.01, "longitude": 0},
        {"latitude": 0, "longitude": 180.5},
        {"latitude": 0, "longitude": -181},
        {"latitude": "north", "longitude": 0},
    ],
)
def test_me_rejects_out_of_range_location(customer_api, customer, location):
    response = customer_api.patch(ME, location)

    assert response.status_code == 400
    assert set(response.json()["errors"]) & {"latitude", "longitude"}
    customer.refresh_from_db()
    assert customer.latitude is None


@pytest.mark.parametrize(
    "location", [{"latitude": 90, "longitude": -180}, {"latitude": -90, "longitude": 180}]
)
def test_me_accepts_boundary_locations(customer_api, location):
    assert customer_api.patch(ME, location).status_code == 200


def test_me_put_is_not_allowed(customer_api):
    response = customer_api.put(ME, {"name": "x"})

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- authentication failures ----------------------------------------------


def test_me_without_token_is_401(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_me_with_forged_token_is_401(api_client, customer):
    forged = jwt.encode(
        {"token_type": "access", "user_id": str(customer.pk), "exp": 9999999999, "jti": "x"},
        "an attacker-chosen key that is not the signing key",
        algorithm="HS256",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_me_with_expired_token_is_401(api_client, customer):
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=-timedelta(seconds=1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_token_is_not_accepted_as_access(api_client, customer):
    refresh = api_client.post(TOKEN, {"email": customer.email, "password": PASSWORD}).json()["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh}")

    assert api_client.get(ME).status_code == 401


def test_trailing_slash_is_optional(api_client, customer):
    with_slash = api_client.post(TOKEN + "/", {"email": customer.email, "password": PASSWORD})

    assert with_slash.status_code == 200


def test_deleted_user_token_is_401(client_for):
    user = UserFactory()
    client = client_for(user)
    user.delete()

    assert client.get(ME).status_code == 401
