"""What every test of a rate limit checks in a refusal, and a clean window to start one in."""

import time

from django.conf import settings
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from tixxety.ratelimits import LIMITS


def assert_rate_limited(response, *, period_seconds: int) -> None:
    """A 429 in the API's error shape, with a ``Retry-After`` within the limit's window."""
    assert response.status_code == 429, response.content[:300]
    assert response.json() == {"detail": response.json()["detail"], "code": "rate_limited"}
    assert response.json()["detail"].startswith("Too many requests.")
    assert 1 <= int(response["Retry-After"]) <= period_seconds


def start_of_a_window(name: str, *, address: str, needed_seconds: int = 30) -> None:
    """Wait for the next window of limit ``name`` (keyed by client address) if this one ends too soon.

    django-ratelimit counts in fixed windows: a test that sends a limit's
    worth of requests on a loaded machine can straddle a boundary, and its
    counter starts again at zero. Reads the real counter's window, counts nothing.
    """
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    usage = get_usage(
        request, group=name, key=LIMITS[name].key, rate=settings.RATE_LIMITS[name], increment=False
    )
    if usage["time_left"] < needed_seconds:
        time.sleep(usage["time_left"] + 1)
