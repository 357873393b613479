"""The scheduler keeps scheduling when its Redis lock key disappears (a flush, a failover)."""

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from dramatiq_crontab.tasks import heartbeat

from tixxety.scheduling import LOCK_NAME, LockKeeper

BASE_DIR = Path(__file__).resolve().parents[2]


def wait_until(condition, *, timeout: float):
    """The first truthy value of ``condition()`` within ``timeout`` seconds; fails the test otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    pytest.fail(f"not true within {timeout} s: {condition}")


@pytest.fixture
def redis_client(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def sends(broker):
    """How many messages the scheduled job has enqueued so far."""
    return lambda: broker.queues[heartbeat.queue_name].qsize()


@pytest.fixture
def keeper(redis_client, broker):
    """A scheduler that enqueues a message every 0.1 s while it holds a lock of its own."""
    name = f"test-scheduler-lock-{uuid.uuid4().hex}"
    scheduler = BackgroundScheduler()
    scheduler.add_job(heartbeat.send, IntervalTrigger(seconds=0.1), id="job")
    keeper = LockKeeper(scheduler, redis_client.lock(name, timeout=2, thread_local=False))
    assert keeper.try_acquire()
    keeper.schedule(every_seconds=0.2)
    scheduler.start()
    keeper.name = name
    yield keeper
    scheduler.shutdown()
    keeper.release()
    redis_client.delete(name)


def test_scheduler_takes_its_lock_back_after_the_key_is_deleted(keeper, redis_client, sends):
    wait_until(lambda: sends() >= 2, timeout=5)
    token = redis_client.get(keeper.name)

    redis_client.delete(keeper.name)

    new_token = wait_until(lambda: redis_client.get(keeper.name), timeout=5)
    assert new_token != token
    assert keeper.lock.owned()
    enqueued = sends()
    wait_until(lambda: sends() >= enqueued + 3, timeout=5)


def test_scheduler_stands_by_while_another_holds_the_lock(keeper, redis_client, sends):
    # Another scheduler's token, as after a failover to a replica where it won.
    redis_client.set(keeper.name, b"another-scheduler", px=10_000)

    wait_until(lambda: keeper.jobs_paused, timeout=5)
    time.sleep(0.3)  # a run already handed to the executor may still land
    enqueued = sends()
    time.sleep(0.6)
    assert sends() == enqueued, "a standby scheduler enqueued"

    redis_client.delete(keeper.name)  # the other scheduler stopped

    wait_until(lambda: not keeper.jobs_paused, timeout=5)
    assert keeper.lock.owned()
    wait_until(lambda: sends() >= enqueued + 3, timeout=5)


def test_crontab_command_survives_its_lock_key_being_deleted(redis_client):
    """dramatiq-crontab's own command exited with status 0 here: "The lock is no longer owned"."""
    redis_client.delete(LOCK_NAME)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "crontab", "--no-heartbeat"],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        token = wait_until(lambda: redis_client.get(LOCK_NAME), timeout=30)

        redis_client.delete(LOCK_NAME)

        # The lock is refreshed every 5 s (LOCK_REFRESH_INTERVAL).
        new_token = wait_until(lambda: redis_client.get(LOCK_NAME), timeout=15)
        assert new_token != token
        assert process.poll() is None, "the scheduler exited"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert redis_client.get(LOCK_NAME) is None, "the lock was not released on shutdown"
