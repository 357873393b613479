"""What every test of a rate limit checks in a refusal."""


def assert_rate_limited(response, *, period_seconds: int) -> None:
    """A 429 in the API's error shape, with a ``Retry-After`` within the limit's window."""
    assert response.status_code == 429, response.content[:300]
    assert response.json() == {"detail": response.json()["detail"], "code": "rate_limited"}
    assert response.json()["detail"].startswith("Too many requests.")
    assert 1 <= int(response["Retry-After"]) <= period_seconds
