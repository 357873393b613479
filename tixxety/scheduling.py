"""Keep one periodic scheduler active, and keep it active when its Redis lock disappears.

dramatiq-crontab holds a Redis lock so that only one ``crontab`` process
schedules; a job refreshes the lock every few seconds. When the key vanishes
(a ``FLUSHALL``, a failover to a replica that never had it, an eviction) its
refresh fails and the library's command exits, with status 0, for good: the
minute sweep stops and nothing restarts it.

``LockKeeper`` replaces that refresh job. It extends the lock while it owns
it; when it does not (lost, or never had it) it tries to take it, and while
another process holds it, the periodic jobs are paused (a hot standby) and
resumed as soon as the lock is ours again. Two schedulers may both fire one
run in the few seconds before the loser notices; every periodic job here is
idempotent, so that costs a duplicate message at worst.
"""

import contextlib
import logging
from collections.abc import Callable

import redis
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

KEEPER_JOB_ID = "tixxety.scheduling.keep_lock"
LOCK_NAME = "dramatiq-scheduler"  # dramatiq-crontab's, so both kinds of scheduler exclude each other


def scheduler_lock(redis_url: str, *, timeout: float) -> redis.lock.Lock:
    """The scheduler lock, on a client that gives up instead of hanging when Redis is away."""
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    return client.lock(LOCK_NAME, timeout=timeout, thread_local=False)


class LockKeeper:
    """Run ``scheduler``'s jobs only while this process owns ``lock``; take it back when it is lost."""

    def __init__(self, scheduler: BaseScheduler, lock, *, on_acquired: Callable[[], object] | None = None):
        self.scheduler = scheduler
        self.lock = lock
        self.on_acquired = on_acquired
        self.owned = False
        self.jobs_paused = False

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; a Redis failure counts as not taken."""
        try:
            self.owned = self.lock.acquire(blocking=False)
        except RedisError as error:
            logger.warning("scheduler lock: Redis unavailable: %s: %s", type(error).__name__, error)
            self.owned = False
        if self.owned:
            logger.info("scheduler lock acquired")
            self._notify_acquired()
        return self.owned

    def tick(self) -> None:
        """Extend the lock, or take it back; pause the jobs while another scheduler holds it."""
        if self.owned:
            try:
                self.lock.extend(self.lock.timeout, replace_ttl=True)
                return
            except (LockError, RedisError) as error:
                logger.warning("scheduler lock lost (%s); taking it back", type(error).__name__)
                self.owned = False
        if self.try_acquire():
            self._set_jobs_paused(False)
        else:
            self._set_jobs_paused(True)

    def schedule(self, *, every_seconds: float) -> None:
        """Add the keeper to the scheduler, to run every ``every_seconds`` (well below the lock's timeout)."""
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=every_seconds),
            id=KEEPER_JOB_ID,
            name="keep the scheduler lock",
            replace_existing=True,
        )

    def release(self) -> None:
        """Give the lock up (on shutdown), if it is still ours."""
        if not self.owned:
            return
        with contextlib.suppress(LockError, RedisError):  # expired or gone: nothing to give up
            self.lock.release()
        self.owned = False

    def _set_jobs_paused(self, paused: bool) -> None:
        if paused == self.jobs_paused:
            return
        for job in self.scheduler.get_jobs():
            if job.id == KEEPER_JOB_ID:
                continue
            if paused:
                self.scheduler.pause_job(job.id)
            else:
                self.scheduler.resume_job(job.id)
        self.jobs_paused = paused
        logger.warning(
            "another scheduler holds the lock: periodic jobs paused" if paused else "periodic jobs resumed"
        )

    def _notify_acquired(self) -> None:
        if self.on_acquired is None:
            return
        try:
            self.on_acquired()
        except Exception as error:  # a health mark must not stop scheduling
            logger.warning("scheduler lock hook failed: %s: %s", type(error).__name__, error)
