"""Fixtures shared by every app's tests: API clients per role, broker and worker."""

import dramatiq
import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from accounts.tests.factories import UserFactory


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Fast hashing, plain static storage and an empty cache for every test.

    Argon2 is deliberately slow. The manifest storage needs `collectstatic`,
    which production runs at build time and tests do not.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for():
    """An API client that sends a real access token for ``user``."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return client

    return make


@pytest.fixture
def customer(db):
    return UserFactory(role=User.Role.CUSTOMER)


@pytest.fixture
def staff(db):
    return UserFactory(role=User.Role.STAFF)


@pytest.fixture
def admin(db):
    return UserFactory(role=User.Role.ADMIN)


@pytest.fixture
def customer_api(client_for, customer):
    return client_for(customer)


@pytest.fixture
def staff_api(client_for, staff):
    return client_for(staff)


@pytest.fixture
def admin_api(client_for, admin):
    return client_for(admin)


@pytest.fixture
def broker():
    """The in-memory broker, emptied before the test."""
    broker = dramatiq.get_broker()
    broker.flush_all()
    return broker


@pytest.fixture
def worker(broker):
    """A real Dramatiq worker on the stub broker; use with ``django_db(transaction=True)``.

    A worker thread has its own database connection and cannot see rows of a
    test wrapped in a transaction.
    """
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()
