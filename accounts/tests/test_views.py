"""Account pages: sign up, sign in and out, profile, password change and reset."""

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Tickets-4-all"


def test_signup_creates_a_customer_and_signs_them_in(client):
    response = client.post(
        "/accounts/signup/", {"name": "Ada", "email": "Ada@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    user = User.objects.get(email="ada@example.com")
    assert user.role == User.Role.CUSTOMER
    assert client.get("/accounts/profile/").context["user"] == user


def test_signup_with_a_taken_email_shows_the_apis_words(client):
    UserFactory(email="ada@example.com")

    response = client.post(
        "/accounts/signup/", {"name": "Ada", "email": "ADA@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "Email already registered" in response.content.decode()


def test_signup_with_a_weak_password_names_the_field(client):
    response = client.post(
        "/accounts/signup/", {"name": "Ada", "email": "ada@example.com", "password": "123"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.exists()


def test_sign_in_and_out(client):
    UserFactory(email="ada@example.com", password=PASSWORD)

    signed_in = client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})
    signed_out = client.post("/accounts/logout/")

    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    assert signed_out.status_code == 302
    assert client.get("/orders/")["Location"].startswith("/accounts/login/?next=/orders/")


def test_sign_in_with_a_wrong_password_is_refused(client):
    UserFactory(email="ada@example.com", password=PASSWORD)

    response = client.post("/accounts/login/", {"username": "ada@example.com", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()


def test_admin_keeps_its_own_sign_in(client):
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_profile_saves_a_home_location(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/accounts/profile/",
        {"name": "Ada", "address": "1 Quay St", "latitude": "42.36", "longitude": "-71.06"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.latitude, user.longitude) == ("Ada", 42.36, -71.06)


def test_profile_refuses_half_a_location_in_the_services_words(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/accounts/profile/", {"name": user.name, "latitude": "42.36"})

    assert response.status_code == 200
    assert "Latitude and longitude must be set together." in response.content.decode()


def test_password_change(client):
    user = UserFactory(password=PASSWORD)
    client.force_login(user)

    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "Another-pass-9", "new_password2": "Another-pass-9"},
    )

    assert response["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password("Another-pass-9")


def test_password_reset_by_email(client):
    user = UserFactory(email="ada@example.com", password=PASSWORD)

    client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    [message] = mail.outbox
    link = re.search(r"http://testserver(/accounts/password/reset/\S+)", message.body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session-held one
    done = client.post(form_url, {"new_password1": "Another-pass-9", "new_password2": "Another-pass-9"})

    assert message.subject == "Reset your Tixxety password"
    assert done["Location"] == "/accounts/password/reset/complete/"
    user.refresh_from_db()
    assert user.check_password("Another-pass-9")


def test_pages_check_csrf(client):
    client = type(client)(enforce_csrf_checks=True)

    response = client.post(
        "/accounts/signup/", {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert not User.objects.exists()


def test_signup_follows_next_only_within_the_site(client):
    data = {"name": "Ada", "password": PASSWORD}

    inside = client.post("/accounts/signup/?next=/cart/", {**data, "email": "ada@example.com"})
    client.logout()
    outside = client.post(
        "/accounts/signup/?next=https://evil.example/", {**data, "email": "bob@example.com"}
    )

    assert inside["Location"] == "/cart/"
    assert outside["Location"] == "/events/"


def test_the_sign_in_page_shares_the_apis_limits(client, rate_limits):
    # given a per-account limit of two sign-ins a minute
    rate_limits(login_account="2/m")
    UserFactory(email="ada@example.com", password=PASSWORD)
    attempts = [
        client.post("/accounts/login/", {"username": "ADA@example.com", "password": "nope"}) for _ in range(2)
    ]

    # when a third attempt comes, even with the right password
    refused = client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})

    # then the page answers the friendly 429 page with when to retry, and nobody is signed in
    assert [a.status_code for a in attempts] == [200, 200]
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert b"Too many attempts" in refused.content
    assert "_auth_user_id" not in client.session


def test_the_sign_up_page_is_limited_per_address(client, rate_limits):
    rate_limits(register_ip="1/h")
    first = client.post(
        "/accounts/signup/", {"name": "Ada", "email": "ada@example.com", "password": PASSWORD}
    )
    client.logout()

    second = client.post("/accounts/signup/", {"name": "Bo", "email": "bo@example.com", "password": PASSWORD})

    assert first.status_code == 302 and second.status_code == 429
    assert not User.objects.filter(email="bo@example.com").exists()
