"""Loaded by pytest before Django starts (``-p`` in pytest.ini).

The suite runs actors on Dramatiq's in-memory StubBroker with a worker each
test starts itself, so a test decides when messages are processed; Redis
stays real as the cache. The broker is chosen when Django starts, before any
conftest is read, so the choice is made here.
"""

import os

os.environ["DRAMATIQ_BROKER_URL"] = "stub://"
