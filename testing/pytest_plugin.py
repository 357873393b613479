"""Loaded by pytest before Django starts (``-p`` in pytest.ini).

The suite runs actors on Dramatiq's in-memory StubBroker with a worker each
test starts itself, so a test decides when messages are processed; Redis
stays real as the cache. The broker is chosen when Django starts, before any
conftest is read, so the choice is made here.
"""

import os

os.environ["DRAMATIQ_BROKER_URL"] = "stub://"
# Playwright's sync API runs an event loop in the test thread; the live
# server's database work happens in its own thread, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
