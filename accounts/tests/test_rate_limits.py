"""Sign-in and registration are limited per client address and per account (the e-mail in the body)."""

import time

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from tixxety.tests.rate_limits import assert_rate_limited, start_of_a_window

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register"
TOKEN = "/api/auth/token"


def sign_in(api_client, email, password="wrong", address="198.51.100.1"):
    return api_client.post(TOKEN, {"email": email, "password": password}, REMOTE_ADDR=address)


def register(api_client, email, address="198.51.100.1"):
    body = {"name": "Ada Lovelace", "email": email, "password": "Analytical-Engine-1843"}
    return api_client.post(REGISTER, body, REMOTE_ADDR=address)


def test_sign_in_is_limited_per_client_address(api_client, rate_limits):
    rate_limits(login_ip="3/m", login_account="100/m")
    for n in range(3):
        assert sign_in(api_client, f"someone{n}@example.com").status_code == 401

    assert_rate_limited(sign_in(api_client, "another@example.com"), period_seconds=60)
    assert sign_in(api_client, "another@example.com", address="198.51.100.2").status_code == 401


def test_sign_in_is_limited_per_account_from_any_address(api_client, customer, rate_limits):
    rate_limits(login_ip="100/m", login_account="3/m")
    spellings = [customer.email, customer.email.upper(), f"  {customer.email}  "]
    for n, email in enumerate(spellings):
        assert sign_in(api_client, email, address=f"203.0.113.{n}").status_code == 401

    refused = sign_in(api_client, customer.email, password=PASSWORD, address="203.0.113.99")

    assert_rate_limited(refused, period_seconds=60)
    other = UserFactory()
    assert sign_in(api_client, other.email, password=PASSWORD, address="203.0.113.99").status_code == 200


def test_sign_in_by_username_counts_for_the_same_account(api_client, customer, rate_limits):
    rate_limits(login_ip="100/m", login_account="2/m")
    assert sign_in(api_client, customer.email).status_code == 401
    body = {"username": customer.email.upper(), "password": "wrong"}
    assert api_client.post(TOKEN, body, REMOTE_ADDR="203.0.113.5").status_code == 401

    assert_rate_limited(sign_in(api_client, customer.email, address="203.0.113.6"), period_seconds=60)


def test_sign_in_defaults_allow_ten_attempts_per_account(api_client, customer):
    for n in range(10):
        assert sign_in(api_client, customer.email, address=f"203.0.113.{n}").status_code == 401

    assert_rate_limited(sign_in(api_client, customer.email, password=PASSWORD), period_seconds=600)


def test_sign_in_defaults_allow_twenty_attempts_per_address(api_client):
    start_of_a_window("login-ip", address="198.51.100.1")
    for n in range(20):
        assert sign_in(api_client, f"someone{n}@example.com").status_code == 401

    assert_rate_limited(sign_in(api_client, "another@example.com"), period_seconds=60)


def test_registration_is_limited_per_client_address(api_client, rate_limits):
    rate_limits(register_ip="2/h", register_account="100/h")
    assert register(api_client, "one@example.com").status_code == 201
    assert register(api_client, "two@example.com").status_code == 201

    assert_rate_limited(register(api_client, "three@example.com"), period_seconds=3600)
    assert register(api_client, "three@example.com", address="198.51.100.9").status_code == 201


def test_registration_is_limited_per_account_from_any_address(api_client, rate_limits):
    rate_limits(register_ip="100/h", register_account="2/h")
    assert register(api_client, "ada@example.com", address="203.0.113.1").status_code == 201
    assert register(api_client, "ADA@example.com", address="203.0.113.2").json()["code"] == "email_taken"

    assert_rate_limited(register(api_client, "ada@example.com", address="203.0.113.3"), period_seconds=3600)
    assert register(api_client, "bob@example.com", address="203.0.113.3").status_code == 201


def test_a_body_without_an_account_is_limited_by_address_only(api_client, rate_limits):
    rate_limits(login_ip="2/m", login_account="1/m")
    assert api_client.post(TOKEN, {"password": "x"}).status_code == 400
    assert api_client.post(TOKEN, {"email": ["not", "a", "string"], "password": "x"}).status_code == 400

    assert_rate_limited(api_client.post(TOKEN, {"password": "x"}), period_seconds=60)


def test_retry_after_is_when_the_window_is_over(api_client, rate_limits):
    rate_limits(login_ip="2/3s", login_account="100/m")
    for n in range(2):
        assert sign_in(api_client, f"someone{n}@example.com").status_code == 401
    refused = sign_in(api_client, "late@example.com")
    assert_rate_limited(refused, period_seconds=3)

    time.sleep(int(refused["Retry-After"]))

    assert sign_in(api_client, "late@example.com").status_code == 401
