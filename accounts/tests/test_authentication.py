"""API authentication reads users from the cache, and every change to a user reaches it at once."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.backends import TokenBackend

from accounts import authentication
from accounts.authentication import cached_user, user_cache_key
from accounts.models import User
from accounts.services import user_update, user_update_profile
from accounts.tests.factories import UserFactory
from accounts.tokens import AccessToken

pytestmark = pytest.mark.django_db

ME = "/api/auth/me"


def user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if User._meta.db_table in q["sql"]]


def test_a_signed_in_request_does_not_read_the_user_row_again(customer_api, customer):
    assert customer_api.get(ME).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        response = customer_api.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    assert user_queries(queries) == []


def test_the_cache_holds_no_password_hash(customer):
    user = cached_user(customer.pk)

    assert user == customer
    assert "password" in user.get_deferred_fields()
    assert "password" not in cache.get(user_cache_key(customer.pk)).__dict__


def test_deactivation_applies_to_the_next_request(customer_api, customer, admin):
    assert customer_api.get(ME).status_code == 200

    user_update(user=customer, by=admin, is_active=False)

    response = customer_api.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_role_change_applies_to_the_next_request(customer_api, customer, admin):
    assert customer_api.get("/api/admin/users").status_code == 403

    user_update(user=customer, by=admin, role=User.Role.ADMIN)

    assert customer_api.get("/api/admin/users").status_code == 200


def test_profile_change_is_seen_by_the_next_request(customer_api, customer):
    customer_api.get(ME)

    user_update_profile(user=User.objects.get(pk=customer.pk), name="Renamed")

    assert customer_api.get(ME).json()["name"] == "Renamed"


def test_deleting_a_signed_in_user_ends_their_access(customer_api, customer):
    assert customer_api.get(ME).status_code == 200

    customer.delete()

    response = customer_api.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


def test_an_entry_cached_before_the_commit_is_dropped_after_it(
    customer, admin, django_capture_on_commit_callbacks
):
    stale = cached_user(customer.pk)
    with django_capture_on_commit_callbacks(execute=True):
        user_update(user=customer, by=admin, is_active=False)
        # A concurrent request that read the old row caches it before the commit.
        cache.set(user_cache_key(customer.pk), stale)

    assert cache.get(user_cache_key(customer.pk)) is None
    assert cached_user(customer.pk).is_active is False


def test_an_unreachable_cache_falls_back_to_the_database(customer_api, customer, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    response = customer_api.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    [warning] = [r for r in caplog.records if "User cache unavailable" in r.getMessage()]
    assert warning.levelname == "WARNING" and warning.exc_info is None


def test_a_token_is_decoded_once_per_process(client_for, customer, monkeypatch):
    decoded = []
    decode = TokenBackend.decode

    def counting_decode(self, *args, **kwargs):
        decoded.append(1)
        return decode(self, *args, **kwargs)

    monkeypatch.setattr(TokenBackend, "decode", counting_decode)
    client = client_for(customer)

    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    assert len(decoded) == 1


def test_a_remembered_token_is_refused_once_it_expires(api_client, customer):
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=timedelta(seconds=2))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(ME).status_code == 200

    time.sleep(max(token["exp"] - time.time(), 0) + 0.05)

    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_remembered_token_does_not_vouch_for_a_tampered_copy(api_client, customer):
    token = str(AccessToken.for_user(customer))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(ME).status_code == 200
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_the_verified_tokens_stay_within_their_bound(client_for, monkeypatch):
    monkeypatch.setattr(authentication, "VERIFIED_TOKENS_MAX", 2)
    clients = [client_for(UserFactory()) for _ in range(5)]

    assert [client.get(ME).status_code for client in clients * 2] == [200] * 10
    assert len(authentication._verified_tokens) <= 2
