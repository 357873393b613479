"""Validly signed tokens with unusable claims are 401s, never 500s."""

import logging
import time

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db

ME = "/api/auth/me"
REFRESH = "/api/auth/token/refresh"


def signed(token_type: str, **claims) -> str:
    """A token signed with the server's key, as simplejwt would sign it, with ``claims`` replaced."""
    now = int(time.time())
    payload = {"token_type": token_type, "exp": now + 600, "iat": now, "jti": "j" * 32, **claims}
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


UNUSABLE_CLAIMS = [
    {"user_id": "abc"},
    {"user_id": [1]},
    {"user_id": {"id": 1}},
    {"user_id": 10**30},
    {"user_id": "9" * 30},
    {"user_id": "9" * 5000},
    {"user_id": -1},
    {"user_id": 0},
    {"user_id": 1.5},
    {"user_id": True},
    {"user_id": None},
    {"user_id": "1\x00"},
    {"user_id": "\u0661"},
    {"exp": 10**30},
    {"exp": 253_402_300_800},  # year 10000
]


@pytest.mark.parametrize("claims", UNUSABLE_CLAIMS, ids=repr)
def test_an_access_token_with_an_unusable_claim_is_401(api_client, customer, caplog, claims):
    token = signed("access", **{"user_id": str(customer.pk), **claims})

    with caplog.at_level(logging.WARNING):
        response = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


@pytest.mark.parametrize("claims", UNUSABLE_CLAIMS, ids=repr)
def test_a_refresh_token_with_an_unusable_claim_is_401(api_client, customer, claims):
    token = signed("refresh", **{"user_id": str(customer.pk), **claims})

    response = api_client.post(REFRESH, {"refresh": token}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("user_id", [lambda user: str(user.pk), lambda user: user.pk])
def test_a_token_with_the_id_as_digits_or_as_a_number_works(api_client, customer, user_id):
    access = signed("access", user_id=user_id(customer))
    refresh = signed("refresh", user_id=user_id(customer))

    assert api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    assert api_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


def test_refreshing_the_token_of_a_deleted_user_is_401(api_client, customer):
    refresh = str(RefreshToken.for_user(customer))
    customer.delete()

    response = api_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "No active account found for the given token.",
        "code": "no_active_account",
    }
